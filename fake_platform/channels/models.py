"""CPaaS channels and service subscriptions: state and rules, no HTTP.

A service subscription names the channel it feeds by ``callbackReference.notifyURL`` (the
channel's ``callbackURL``). ``notify(user, service, frame)`` is how every other service reaches a
user: it gives the frame its unique ``id`` and publishes it on each channel the user subscribed
that service to. Channels and subscriptions outlive websocket drops (the SDK never re-subscribes).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import Forbidden, InvalidInput, NotFound
from ..core.hub import ChannelEndpoint, NotificationHub, Product

if TYPE_CHECKING:
    from ..core.ids import SeededRandom
    from ..state import PlatformConfig

SERVICES = ("call", "chat", "smsinbound", "presence")
_NO_URLS: dict[str, frozenset[str]] = {}


@dataclass
class ServiceSubscription:
    id: str
    user: str
    service: str
    notify_url: str
    client_correlator: str | None
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "user": self.user, "service": self.service, "notifyURL": self.notify_url,
                **self.extra}


class CpaasChannels:
    def __init__(self, hub: NotificationHub, ids: SeededRandom, clock: Any, limits: PlatformConfig) -> None:
        self._hub = hub
        self._ids = ids
        self._clock = clock
        self._limits = limits
        self.subscriptions: dict[str, ServiceSubscription] = {}
        self._ids_by_user: dict[str, dict[str, None]] = {}  # notify() looks them up by user (ordered set)
        # user -> service -> the notify URLs of its subscriptions: made by notify() (every member of a
        # group message comes there), forgotten whenever one of the user's subscriptions changes
        self._urls: dict[str, dict[str, frozenset[str]]] = {}

    # -- channels ------------------------------------------------------------------------------
    def create_channel(self, user: str, *, lifetime: int | None, role: str | None) -> ChannelEndpoint:
        if role not in (None, "client", "server"):
            raise InvalidInput("Invalid input value for message part %1", "x-connCheckRole")
        if lifetime is not None and (not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0):
            raise InvalidInput("Invalid input value for message part %1", "channelLifetime")
        if len(self.channels(user)) >= self._limits.max_channels_per_user:
            raise Forbidden("User %1 has %2 notification channels already, the most one user may have", user,
                            self._limits.max_channels_per_user)
        channel_id = f"ws-{self._ids.capability_uuid()}"
        return self._hub.open_channel(user, Product.CPAAS, channel_id=channel_id, conn_check_role=role or "client",
                                      lifetime=lifetime or 3600, callback_url=channel_id)

    def channel(self, user: str, channel_id: str) -> ChannelEndpoint:
        endpoint = self._hub.channels.get(channel_id)
        if endpoint is None or endpoint.product != Product.CPAAS:
            raise NotFound("Notification channel %1 not found", channel_id)
        if endpoint.user != user:
            raise Forbidden("Channel %1 belongs to another user", channel_id)
        return endpoint

    def refresh(self, endpoint: ChannelEndpoint, lifetime: int) -> None:
        """``PUT .../channelLifetime``: a new lifetime, counted from now."""
        endpoint.lifetime = lifetime
        endpoint.idle_since = max(endpoint.idle_since, self._clock.monotonic())

    async def expire(self, now: float) -> int:
        """Close the channels (and drop their subscriptions) that had no socket for their whole
        lifetime: the 4.9.0 SDK never refreshes a channel, so a connected socket keeps it alive."""
        expired = [c for c in self.channels_all() if c.socket is None and now - c.idle_since > c.lifetime]
        for endpoint in expired:
            await self.delete_channel(endpoint.user, endpoint.id)
        return len(expired)

    def channels_all(self) -> list[ChannelEndpoint]:
        return [c for c in self._hub.channels.values() if c.product == Product.CPAAS]

    async def delete_channel(self, user: str, channel_id: str) -> None:
        endpoint = self.channel(user, channel_id)
        for sub_id in [s.id for s in self.subscriptions.values() if s.notify_url == endpoint.callback_url]:
            self.subscriptions.pop(sub_id, None)
            self._ids_by_user.get(user, {}).pop(sub_id, None)
        self._urls.pop(user, None)
        await self._hub.close_channel(channel_id)

    def channels(self, user: str) -> list[ChannelEndpoint]:
        return self._hub.channels_of(user, Product.CPAAS)

    # -- subscriptions -------------------------------------------------------------------------
    def subscribe(self, user: str, service: str, notify_url: Any, correlator: Any = None,
                  **extra: Any) -> ServiceSubscription:
        if service not in SERVICES:
            raise InvalidInput("Unknown service %1", service)
        if not isinstance(notify_url, str) or not notify_url:
            raise InvalidInput("Invalid input value for message part %1", "callbackReference.notifyURL")
        if not any(c.callback_url == notify_url for c in self.channels(user)):
            raise InvalidInput("No notification channel %1 for user %2", notify_url, user)
        subscription = ServiceSubscription(id=self._ids.id("sub"), user=user, service=service,
                                           notify_url=notify_url,
                                           client_correlator=correlator if isinstance(correlator, str) else None,
                                           created_at=self._clock.wall(), extra=extra)
        self.subscriptions[subscription.id] = subscription
        self._ids_by_user.setdefault(user, {})[subscription.id] = None
        self._urls.pop(user, None)
        return subscription

    def unsubscribe(self, user: str, service: str, sub_id: str) -> ServiceSubscription:
        subscription = self.subscriptions.get(sub_id)
        if subscription is None or subscription.service != service:
            raise NotFound("Subscription %1 not found", sub_id)
        if subscription.user != user:
            raise Forbidden("Subscription %1 belongs to another user", sub_id)
        self._ids_by_user.get(user, {}).pop(sub_id, None)
        self._urls.pop(user, None)
        return self.subscriptions.pop(sub_id)

    def subscriptions_of(self, user: str, service: str | None = None) -> list[ServiceSubscription]:
        found = []
        for sub_id in self._ids_by_user.get(user, ()):
            s = self.subscriptions.get(sub_id)
            if s is not None and s.user == user and (service is None or s.service == service):
                found.append(s)
        return found

    # -- delivery ------------------------------------------------------------------------------
    def notify(self, user: str, service: str, frame: dict[str, Any], *, fresh: bool = False,
               notification_id: str | None = None, payload: bytes | None = None) -> int:
        """Publish ``{"<type>": {...}}`` to every channel ``user`` subscribed ``service`` to, each copy
        with its own ``id``. ``fresh``: the caller made ``frame`` for this call alone, so the first
        channel takes it itself (given its id, ``notification_id`` when the caller drew it: a fan-out
        draws its ids together) and only further channels get copies. ``payload``: the fresh frame's
        JSON text, once given its id, when the caller made it (``NotificationHub.publish_to``)."""
        # Every member of a group message comes here: no lists of subscriptions or channels built.
        notify_urls = self._urls.get(user, _NO_URLS).get(service)
        if notify_urls is None:
            notify_urls = self._urls.setdefault(user, {})[service] = self._notify_urls(user, service)
        if not notify_urls:
            return 0
        delivered = 0
        publish = self._hub.publish_to
        for endpoint in self._hub.endpoints_of(user):
            if endpoint.product == Product.CPAAS and endpoint.callback_url in notify_urls:
                if fresh:
                    fresh = False
                    ((_key, value),) = frame.items()
                    value["id"] = notification_id or self._ids.id("ntf")
                    delivered += publish(endpoint, frame, payload)
                else:
                    delivered += publish(endpoint, self._with_id(frame))
        return delivered

    def _notify_urls(self, user: str, service: str) -> frozenset[str]:
        subscriptions = self.subscriptions
        return frozenset(s.notify_url for sub_id in self._ids_by_user.get(user, ())
                         if (s := subscriptions.get(sub_id)) is not None and s.service == service and s.user == user)

    def same_time(self) -> AbstractContextManager[None]:
        """Notifications published inside are journaled with one timestamp (a fan-out)."""
        return self._hub.same_time()

    def notification_ids(self, count: int) -> list[str]:
        """``count`` notification ids from one draw (a fan-out's: they name, grant nothing)."""
        return self._ids.ids("ntf", count)

    def notify_channel(self, channel_id: str, frame: dict[str, Any]) -> bool:
        """Publish on one channel (call legs are per subscription, hence per channel)."""
        return self._hub.publish(channel_id, self._with_id(frame))

    def call_channels(self, user: str) -> list[ChannelEndpoint]:
        """The channels ``user`` subscribed the ``call`` service to (one callee leg each)."""
        notify_urls = {s.notify_url for s in self.subscriptions_of(user, "call")}
        return [c for c in self.channels(user) if c.callback_url in notify_urls]

    def _with_id(self, frame: dict[str, Any]) -> dict[str, Any]:
        ((key, value),) = frame.items()
        return {key: {**value, "id": self._ids.id("ntf")}}
