"""The call service: the router, its resolvers (endpoints, users) and the caller legs per front door.

A user is rung on every registration that can take calls: each CPaaS notification channel with a
``call`` subscription and each Link user subscription that includes ``call``; a user with no such
Link subscription but a device registered for ``call`` pushes is rung by push alone. A caller's
notifications go back on the registration that placed the call (the CPaaS subscription with the
request's clientCorrelator, the Link user's latest subscription, the CallMe caller's channel).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..auth.models import UserDirectory
from ..channels.models import CpaasChannels
from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..core.progress import Pending
from ..link.models import LinkSubscriptions
from ..push.models import PushService
from ..registry import Core
from .channels import CpaasLegChannel, LinkLegChannel
from .conference import Conference
from .endpoints import Endpoints
from .models import ENDED, CallRouter, CallSession, Leg, LegDoor, Role, display_name_of, plain_address


class CallService:
    def __init__(self, core: Core, users: UserDirectory, cpaas_channels: CpaasChannels, link: LinkSubscriptions,
                 push: PushService) -> None:
        self._ids = core.ids
        self._domain = core.config.domain
        self._progress = core.progress
        self._users = users
        self._cpaas_channels = cpaas_channels
        self._link = link
        self._push = push
        self.router = CallRouter(core.ids, core.clock, core.progress)
        self.endpoints = Endpoints(self.router, core.config.domain, core.progress)
        self.router.resolvers = [self.endpoints.resolve, self._resolve_user]
        link.callable_addresses.update(self.endpoints.addresses())
        self.conferences: dict[str, Conference] = {}
        self._ended_call_ttl = core.config.ended_call_ttl
        core.housekeeping.add("calls", self.expire)
        self._pending_invites: dict[str, Pending] = {}

    # -- callees -------------------------------------------------------------------------------
    def _resolve_user(self, address: str) -> Callable[[CallSession], list[Leg]] | None:
        user = self._users.find(plain_address(address))
        if user is None:
            return None

        def make_legs(session: CallSession) -> list[Leg]:
            legs = []
            for channel in self._cpaas_channels.call_channels(user.user_id):
                legs.append(self.router.new_leg(owner=user.user_id, front_door=LegDoor.CPAAS, role=Role.CALLEE,
                                                address=user.user_id, name=user.display_name,
                                                channel=CpaasLegChannel(self._cpaas_channels, channel.id)))
            for subscription in self._link.of_owner(user.user_id):
                if subscription.mode == "user" and "call" in subscription.services:
                    legs.append(self.router.new_leg(owner=user.user_id, front_door=LegDoor.LINK, role=Role.CALLEE,
                                                    address=user.user_id, name=user.display_name,
                                                    channel=LinkLegChannel(self._link, subscription.id)))
            if not any(leg.front_door == LegDoor.LINK for leg in legs) and self._push.accepts(user.user_id, "call"):
                legs.append(self.router.new_leg(owner=user.user_id, front_door=LegDoor.LINK, role=Role.CALLEE,
                                                address=user.user_id, name=user.display_name,
                                                channel=LinkLegChannel(self._link, None, owner=user.user_id)))
            return legs

        return make_legs

    # -- callers -------------------------------------------------------------------------------
    def cpaas_caller(self, user_id: str, correlator: str | None, version: str) -> Leg:
        subs = self._cpaas_channels.subscriptions_of(user_id, "call")
        if not subs:
            raise Conflict("User %1 has no call subscription to be told about the call", user_id)
        chosen = next((s for s in subs if correlator and s.client_correlator == correlator), subs[-1])
        channel = next(c for c in self._cpaas_channels.channels(user_id) if c.callback_url == chosen.notify_url)
        user = self._users.get(user_id)
        return self.router.new_leg(owner=user_id, front_door=LegDoor.CPAAS, role=Role.CALLER, address=user_id,
                                   name=user.display_name,
                                   channel=CpaasLegChannel(self._cpaas_channels, channel.id, version))

    def link_caller(self, user_id: str, *, supports_early_media: bool) -> Leg:
        subs = [s for s in self._link.of_owner(user_id) if s.mode == "user" and "call" in s.services]
        if not subs:
            raise Conflict("User %1 has no Link subscription with the call service", user_id)
        user = self._users.get(user_id)
        leg = self.router.new_leg(owner=user_id, front_door=LegDoor.LINK, role=Role.CALLER, address=user_id,
                                  name=user.display_name, channel=LinkLegChannel(self._link, subs[-1].id))
        leg.supports_early_media = supports_early_media
        return leg

    def callme_caller(self, account: str, channel_id: Any, from_address: str, *,
                      supports_early_media: bool) -> Leg:
        subscription = next((s for s in self._link.subscriptions.values()
                             if s.mode == "anonymous" and s.channel_id == channel_id), None)
        if subscription is None:
            raise InvalidInput("Invalid input value for message part %1", "notifyChannelId")
        if subscription.account.lower() != account.lower():
            raise NotFound("Notification channel %1 not found for this account", channel_id)
        # Owned by the subscription's anonymous principal, not by the callee the account names.
        leg = self.router.new_leg(owner=subscription.owner, front_door=LegDoor.CALLME, role=Role.CALLER,
                                  address=plain_address(from_address), name=display_name_of(from_address),
                                  channel=LinkLegChannel(self._link, subscription.id), account=account.lower())
        leg.supports_early_media = supports_early_media
        return leg

    def callme_leg(self, leg_id: str, account: str) -> Leg:
        """A CallMe session through the anonymous door: the session id is the capability, and it
        must have been made for the account in the path. Sessions of users are not found there."""
        leg = self.router.legs.get(leg_id)
        if leg is None or leg.front_door != LegDoor.CALLME:
            raise NotFound("Session %1 not found", leg_id)
        if leg.extra.get("account") != account.lower():
            raise Forbidden("Session %1 belongs to another account", leg_id)
        return leg

    # -- set-up --------------------------------------------------------------------------------
    def start(self, caller: Leg, to_address: str, offer: str | None, relay_delay: float) -> CallSession:
        session = self.router.start(caller, to_address, offer)
        # Callees hear about the call only after the caller has its answer (cpaas-wire §8.1.8):
        # the invitations go out ``relay_delay`` after the response is written (Timings).
        if caller.front_door in (LegDoor.LINK, LegDoor.CALLME):
            # A Link / CallMe caller learns its session id from that response, and the official SDKs
            # drop a notification for a session they do not know yet (link-callme-wire §8 item 5):
            # the response and an endpoint's instant ringing race to the browser on two connections.
            # So the callees are invited once the caller shows it knows the session (its first
            # request on it: CallMe 5.x audits at once) or after a settle time (4.x does not).
            self._pending_invites[session.id] = self._progress.later("link_caller_settle",
                                                                     lambda: self._invite(session))
        else:
            self._progress.later("relay_delay", lambda: self._invite(session), seconds=relay_delay)
        return session

    def caller_knows_session(self, leg: Leg) -> None:
        """The caller made a request on its session: invite its callees now if they are still waiting."""
        session = leg.session
        if session is not None and leg is session.caller and session.id in self._pending_invites:
            self._pending_invites[session.id].cancel()
            self._invite(session)

    def _invite(self, session: CallSession) -> None:
        self._pending_invites.pop(session.id, None)
        if session.caller.state != ENDED:  # the caller may have hung up meanwhile
            self.router.invite(session)

    def join(self, leg_a: Leg, leg_b: Leg, caller: Leg, offer: str) -> CallSession:
        """Join two connected calls of one user into an audio conference; returns the user's new session.

        The two other parties are moved onto a bridge (each is asked for a fresh offer), the user's
        two legs end, and the user's new leg calls the bridge with ``offer``.
        """
        router = self.router
        first, second = router.connected_peer(leg_a), router.connected_peer(leg_b)
        conference = Conference(router, self._ids.id("conf"), self.endpoints.host_addresses)
        self.conferences[conference.id] = conference
        address = f"conference@{self._domain}"

        def bridge_leg() -> Leg:
            return router.new_leg(owner=f"conference:{conference.id}", front_door=LegDoor.ENDPOINT, role=Role.CALLEE,
                                  address=address, name="Conference", channel=conference.channel())

        for leg in (leg_a, leg_b):
            router.retire(leg, (200, "Call joined"))
        for party in (first, second):
            router.add_session(party, bridge_leg(), connected=True)
            router.request_offer(party)
        session = router.add_session(caller, bridge_leg(), connected=False)
        session.offer = offer
        asyncio.get_running_loop().call_soon(router.invite, session)
        return session

    async def expire(self, now: float) -> int:
        """Forget calls ended ``ended_call_ttl`` ago (PlatformConfig), what the scripted endpoints
        kept of them, and conference bridges none of whose legs is still up."""
        forgotten = self.router.expire(now, self._ended_call_ttl)
        for leg_id in forgotten:
            self.endpoints.calls.pop(leg_id, None)
        up = {leg.owner for leg in self.router.legs.values() if leg.state != ENDED}
        for conference_id, conference in list(self.conferences.items()):
            if f"conference:{conference_id}" not in up and not conference.participants:
                del self.conferences[conference_id]
                await conference.close()
        return len(forgotten)

    def dump(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.router.sessions.values()]

    async def close(self) -> None:
        for handle in self._pending_invites.values():
            handle.cancel()
        self._pending_invites.clear()
        await self.endpoints.close()
        for conference in self.conferences.values():
            await conference.close()
