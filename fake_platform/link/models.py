"""Link / CallMe subscriptions: state and rules, no HTTP.

An anonymous subscription is made for one CallMe call: its account is the callee as typed
(token-less mode) or an AES account token (token mode, with ``tokenrealm``). Its owner is an
anonymous principal of its own (``anonymous-<hex>``), never the callee: whoever subscribes
anonymously to call a user gets neither that user's notifications nor their TURN credentials.
A user subscription belongs to an authenticated Link user. Each subscription owns one
notification channel (``/websocket/<id>``); notifications for a user go to every channel of that
user's subscriptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import Forbidden, InvalidInput, NotFound, TooMany
from ..core.hub import ChannelEndpoint, NotificationHub, Product
from ..core.text import decimal
from .tokens import Realms, read_token

if TYPE_CHECKING:
    from ..state import PlatformConfig

USER_SERVICES = ("call", "IM", "Presence", "MWI", "SMS", "callMe", "conversation", "push")
CALLME = "callMe"
MIN_EXPIRES, MAX_EXPIRES, DEFAULT_EXPIRES = 60, 86400, 3600
SUBSCRIPTION_GONE = 39  # Link statusCode of a refresh whose subscription no longer exists


@dataclass
class LinkSubscription:
    id: str
    mode: str  # "anonymous" | "user"
    account: str  # as in the path
    owner: str  # user id (user mode) or the subscription's own anonymous principal
    services: list[str]
    expires: int
    channel_id: str
    created_at: float
    refreshed_at: float
    realm: str | None = None
    refreshes: int = 0
    last_refresh: float = 0.0  # loop time of the subscribe or the latest refresh (its expiry counts from it)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/rest/version/1/{self.mode}/{self.account}/subscription/{self.id}"

    @property
    def channel_path(self) -> str:
        return f"/rest/version/1/{self.mode}/{self.account}/websocket/{self.channel_id}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "mode": self.mode, "account": self.account, "owner": self.owner,
                "services": self.services, "expires": self.expires, "channel": self.channel_id,
                "realm": self.realm, "refreshes": self.refreshes}


def _subscribe_request(body: dict[str, Any]) -> dict[str, Any]:
    request = body.get("subscribeRequest")
    if not isinstance(request, dict):
        raise InvalidInput("Invalid input value for message part %1", "subscribeRequest")
    return request


def _expires(request: dict[str, Any]) -> int:
    expires = request.get("expires", DEFAULT_EXPIRES)
    if isinstance(expires, str) and decimal(expires) is not None:
        expires = decimal(expires)
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise InvalidInput("Invalid input value for message part %1", "expires")
    return max(MIN_EXPIRES, min(MAX_EXPIRES, expires))


class LinkSubscriptions:
    def __init__(self, hub: NotificationHub, users: Any, turn: Any, ids: Any, clock: Any,
                 limits: PlatformConfig) -> None:
        self._hub = hub
        self._limits = limits
        self._users = users
        self._turn = turn
        self._ids = ids
        self._clock = clock
        self.realms = Realms()
        self.subscriptions: dict[str, LinkSubscription] = {}
        self.anonymous_count = 0
        # Websocket (re)connects and notifications look subscriptions up by channel and by owner.
        self._by_channel: dict[str, str] = {}
        self._ids_by_owner: dict[str, dict[str, None]] = {}  # insertion-ordered sets
        # Addresses that can be called anonymously besides users (scripted endpoints register here).
        self.callable_addresses: set[str] = set()
        # Told of every envelope sent to a user: (owner, envelope, service) -> ... (the push service).
        self.relays: list[Callable[[str, dict[str, Any], str | None], Any]] = []

    # -- resolution ----------------------------------------------------------------------------
    def resolve_anonymous_account(self, account: str, realm: str | None) -> str:
        """The user id (or scripted endpoint address) an anonymous path's account names."""
        if realm is not None:
            address = read_token(account, self.realms.get(realm), self._clock.wall_ms())
        else:
            address = account
        user = self._users.find(address)
        if user is not None:
            return str(user.user_id)
        key = address.lower().removeprefix("sip:")
        if key in self.callable_addresses:
            return key
        raise NotFound("Account %1 is not known to the platform", address)

    # -- lifecycle -----------------------------------------------------------------------------
    def subscribe(self, mode: str, account: str, body: dict[str, Any], *, owner: str | None = None,
                  realm: str | None = None) -> LinkSubscription:
        """A subscription of the user ``owner`` (user mode), or an anonymous one (``owner`` None)."""
        request = _subscribe_request(body)
        services = request.get("service")
        if not isinstance(services, list) or not services or not all(isinstance(s, str) for s in services):
            raise InvalidInput("Invalid input value for message part %1", "service")
        if mode == "anonymous":
            granted = [CALLME] if CALLME in services else []
        else:
            granted = [s for s in services if s in USER_SERVICES]
        if not granted:
            raise Forbidden("None of the requested services %1 can be granted", services)
        if request.get("notificationType", "WebSocket") != "WebSocket":
            raise InvalidInput("Invalid input value for message part %1", "notificationType")
        if mode == "anonymous":
            if self.anonymous_count >= self._limits.max_anonymous_subscriptions:
                raise TooMany("%1 anonymous subscriptions are open, the most the platform keeps",
                              self._limits.max_anonymous_subscriptions)
            owner = self._ids.capability("anonymous")
        elif owner is None:
            raise InvalidInput("A user subscription needs its user")
        elif len(self.of_owner(owner)) >= self._limits.max_channels_per_user:
            raise Forbidden("User %1 has %2 subscriptions already, the most one user may have", owner,
                            self._limits.max_channels_per_user)
        endpoint = self._hub.open_channel(owner, Product.LINK)
        now = self._clock.wall()
        subscription = LinkSubscription(
            id=self._ids.capability("sub"), mode=mode, account=account, owner=owner, services=granted,
            expires=_expires(request), channel_id=endpoint.id, created_at=now, refreshed_at=now, realm=realm,
            last_refresh=self._clock.monotonic())
        self.subscriptions[subscription.id] = subscription
        self.anonymous_count += mode == "anonymous"
        self._by_channel[subscription.channel_id] = subscription.id
        self._ids_by_owner.setdefault(owner, {})[subscription.id] = None
        return subscription

    def get(self, mode: str, account: str, sub_id: str) -> LinkSubscription:
        subscription = self.subscriptions.get(sub_id)
        if subscription is None or subscription.mode != mode:
            raise NotFound("Subscription %1 not found", sub_id)
        if subscription.account.lower() != account.lower():
            raise Forbidden("Subscription %1 belongs to another account", sub_id)
        return subscription

    def refresh(self, mode: str, account: str, sub_id: str, body: dict[str, Any]) -> LinkSubscription:
        if sub_id not in self.subscriptions:
            # statusCode 39 on a 404 tells the SDKs (CallMe 4.41+, 5.x) the subscription is gone for good;
            # 4.21 treats it as any failed refresh.
            raise NotFound("Subscription %1 not found", sub_id, link_code=SUBSCRIPTION_GONE)
        subscription = self.get(mode, account, sub_id)
        subscription.expires = _expires(_subscribe_request(body))
        subscription.refreshed_at = self._clock.wall()
        subscription.last_refresh = self._clock.monotonic()
        subscription.refreshes += 1
        return subscription

    async def unsubscribe(self, mode: str, account: str, sub_id: str) -> LinkSubscription:
        subscription = self.get(mode, account, sub_id)
        return await self._remove(subscription)

    async def expire(self, now: float) -> int:
        """Remove the subscriptions not refreshed within their ``expires`` (the SDKs refresh at half
        of it): a ``gone`` notification, then the channel closes (1000)."""
        expired = [s for s in self.subscriptions.values() if now - s.last_refresh > s.expires]
        for subscription in expired:
            self._hub.publish(subscription.channel_id, self.envelope({"eventType": "gone"}))
            await self._remove(subscription)
        return len(expired)

    async def _remove(self, subscription: LinkSubscription) -> LinkSubscription:
        sub_id = subscription.id
        del self.subscriptions[sub_id]
        self.anonymous_count -= subscription.mode == "anonymous"
        self._by_channel.pop(subscription.channel_id, None)
        owned = self._ids_by_owner.get(subscription.owner, {})
        owned.pop(sub_id, None)
        if not owned:  # anonymous principals come and go: keep no empty entry
            self._ids_by_owner.pop(subscription.owner, None)
        await self._hub.close_channel(subscription.channel_id)
        return subscription

    def response(self, subscription: LinkSubscription) -> dict[str, Any]:
        creds = self._turn.credentials(subscription.owner)
        return {"subscribeResponse": {
            "statusCode": 0,
            "subscription": subscription.path,
            "subscriptionParams": {
                "service": list(subscription.services),
                "notificationChannel": subscription.channel_path,
                "expires": subscription.expires,
                "turnCredentials": {"username": creds["username"], "password": creds["password"],
                                    "urls": creds["urls"]},
                "sessionId": subscription.id,
            },
        }}

    # -- channels and delivery -----------------------------------------------------------------
    def channel(self, mode: str, account: str, channel_id: str) -> tuple[LinkSubscription, ChannelEndpoint]:
        subscription = self.subscriptions.get(self._by_channel.get(channel_id, ""))
        if subscription is None or subscription.channel_id != channel_id or subscription.mode != mode:
            raise NotFound("Notification channel %1 not found", channel_id)
        if subscription.account.lower() != account.lower():
            raise Forbidden("Channel %1 belongs to another account", channel_id)
        return subscription, self._hub.get(channel_id)

    def of_owner(self, owner: str) -> list[LinkSubscription]:
        found = (self.subscriptions.get(sub_id) for sub_id in self._ids_by_owner.get(owner, {}))
        return [s for s in found if s is not None and s.owner == owner]

    def notify(self, subscription: LinkSubscription, message: dict[str, Any]) -> bool:
        """Publish ``{"notificationMessage": {...}}`` with a fresh ``eventId`` on its channel."""
        envelope = self.envelope(message)
        if subscription.mode == "user":  # an anonymous subscription's owner is the callee, not the caller
            self._relay(subscription.owner, envelope, None)
        return self._hub.publish(subscription.channel_id, envelope)

    def notify_owner(self, owner: str, message: dict[str, Any], *, service: str | None = None) -> int:
        """One envelope (one ``eventId``) to every subscription of ``owner`` and to its push devices."""
        envelope = self.envelope(message)
        self._relay(owner, envelope, service)
        delivered = 0
        for subscription in self.of_owner(owner):
            if service is None or service in subscription.services:
                delivered += bool(self._hub.publish(subscription.channel_id, envelope))
        return delivered

    def notify_device(self, owner: str, message: dict[str, Any], service: str) -> bool:
        """For a party reached by push only: its newest ``service`` subscription (if it has one by now)
        and its push devices get the envelope."""
        envelope = self.envelope(message)
        self._relay(owner, envelope, service)
        subs = [s for s in self.of_owner(owner) if s.mode == "user" and service in s.services]
        return bool(subs) and self._hub.publish(subs[-1].channel_id, envelope)

    def _relay(self, owner: str, envelope: dict[str, Any], service: str | None) -> None:
        for relay in list(self.relays):
            relay(owner, envelope, service)

    def envelope(self, message: dict[str, Any]) -> dict[str, Any]:
        return {"notificationMessage": {**message, "eventId": self._ids.id("evt")}}
