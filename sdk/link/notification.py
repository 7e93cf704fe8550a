"""The Link ``notification`` namespace: push registration, ``process``, and the websocket switch.

Pushes and websocket frames meet in one notification router (sdk/notifications.py): the same
``eventId`` through both channels is handled once (``notifications.idCacheLength`` ids are
remembered, 0 disables that). Channels: ``PUSH`` is always on; ``WEBSOCKET`` is on while a socket
is open, unless the app turned it off with ``enableWebsocket(false)``; that holds across reconnects
until ``enableWebsocket(true)`` (see docs/decisions.md). With
``notifications.incomingCallNotificationMode: 'push-channel-only'`` an incoming call (``eventType``
``call``) is only taken from ``process()``.

LINK-02: the document names the namespace ``notification`` but sends apps to
``api.notifications.process``; both spellings answer the six calls (``client.notifications`` is
the router, which forwards them here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, api
from ..notifications import PUSH, WEBSOCKET, NotificationRouter
from .protocol.push import APPLE, GOOGLE, PushProtocol

if TYPE_CHECKING:
    from . import LinkClient

CHANNELS = (PUSH, WEBSOCKET)
PUSH_CHANNEL_ONLY = "push-channel-only"


def channel_name(channel: Any) -> str:
    if not isinstance(channel, str) or channel.upper() not in CHANNELS:
        raise BasicError(Codes.NOTIF_INVALID_CHANNEL,
                         f"Unknown notification channel {channel!r}: use 'PUSH' (default) or 'WEBSOCKET'")
    return channel.upper()


def envelope(notification: Any) -> dict[str, Any]:
    """Check that ``notification`` is a websocket-frame-shaped object: ``{notificationMessage: {eventType}}``."""
    if isinstance(notification, str | bytes):
        raise BasicError(Codes.NOTIF_INVALID, "notification must be an object, not a string: parse the push "
                         "payload's JSON and pass the object with its 'notificationMessage'")
    if not isinstance(notification, Mapping):
        raise BasicError(Codes.NOTIF_INVALID, f"notification must be an object, got {type(notification).__name__}")
    message = notification.get("notificationMessage")
    if not isinstance(message, Mapping) or not isinstance(message.get("eventType"), str):
        raise BasicError(Codes.NOTIF_INVALID, "notification must carry notificationMessage.eventType "
                         "(the same shape as a websocket notification)")
    return dict(notification)


class LinkNotificationRouter(NotificationRouter):
    """The Link client's router: documented ``process`` semantics and the websocket switch."""

    namespace: LinkNotification | None = None
    websocket_paused = False  # enableWebsocket(false) until enableWebsocket(true)

    def process(self, notification: Any, channel: Any = PUSH) -> bool:
        """``notification.process`` (also reached as ``client.notifications.process``, LINK-02)."""
        name = channel_name(channel)
        return self.receive(envelope(notification), name)

    def set_enabled(self, channel: str, enabled: bool) -> bool:
        changed = super().set_enabled(channel, enabled)
        if changed:
            self._emit("notifications:change", {"channel": channel, "enabled": enabled})
        return changed

    def websocket_opened(self) -> None:
        if not self.websocket_paused:
            self.set_enabled(WEBSOCKET, True)

    def websocket_closed(self) -> None:
        self.set_enabled(WEBSOCKET, False)

    # -- the documented calls under the plural spelling (LINK-02) ------------------------------
    def _documented(self) -> LinkNotification:
        assert self.namespace is not None
        return self.namespace

    def registerApplePush(self, params: Any) -> Any:
        return self._documented().registerApplePush(params)

    def registerAndroidPush(self, params: Any) -> Any:
        return self._documented().registerAndroidPush(params)

    def unregisterApplePush(self, registrationInfo: Any) -> Any:
        return self._documented().unregisterApplePush(registrationInfo)

    def unregisterAndroidPush(self, registrationInfo: Any) -> Any:
        return self._documented().unregisterAndroidPush(registrationInfo)

    def enableWebsocket(self, enable: Any) -> None:
        self._documented().enableWebsocket(enable)


def _services(params: Mapping[str, Any]) -> list[str]:
    services = params.get("services")
    if not isinstance(services, list | tuple) or not services or not all(
            isinstance(s, str) and s for s in services):
        raise BasicError(Codes.NOTIF_INVALID, "params.services must be a non-empty array of service names")
    return list(services)


def _text(params: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = params.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BasicError(Codes.NOTIF_INVALID, f"params.{key} must be a non-empty string"
                         + ("" if required else " when given"))
    return value


def _params(params: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(params, Mapping):
        raise BasicError(Codes.NOTIF_INVALID, f"{what} expects a params object")
    return params


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    # Keys without a value are left out, as JSON.stringify leaves out undefined.
    return {k: v for k, v in body.items() if v is not None}


def _registration(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise BasicError(Codes.NOTIF_INVALID, "registrationInfo must be the registration path the "
                         "register…Push promise resolved with")
    return value


class LinkNotification(Namespace):
    """The documented ``notification`` namespace."""

    api_path = "notification"

    def __init__(self, client: LinkClient) -> None:
        super().__init__(client)
        self._push = PushProtocol(client)
        self._link_router: LinkNotificationRouter = client.notifications
        self._link_router.namespace = self
        self._link_router.filters.append(self._incoming_call_channel)

    def _incoming_call_channel(self, kind: str | None, frame: dict[str, Any], channel: str) -> bool:
        mode = self._client.config["notifications"].get("incomingCallNotificationMode")
        return not (mode == PUSH_CHANNEL_ONLY and kind == "call" and channel != PUSH)

    @property
    def _router(self) -> LinkNotificationRouter:
        return self._link_router

    @api
    def process(self, notification: Any, channel: Any = PUSH) -> None:
        """Provides an external notification (a push payload, or a websocket frame) for processing."""
        self._router.process(notification, channel)

    @api
    async def registerApplePush(self, params: Any) -> str:
        """Registers the device with APNs; resolves with the registration (for ``unregisterApplePush``)."""
        params = _params(params, "registerApplePush")
        services = _services(params)
        needs_voip, needs_standard = "call" in services, any(s != "call" for s in services)
        production = params.get("isProduction")
        if production is not None and not isinstance(production, bool):
            raise BasicError(Codes.NOTIF_INVALID, "params.isProduction must be a boolean")
        body = _without_none({
            "bundleID": _text(params, "bundleId", required=True),
            "service": services,
            "clientCorrelator": _text(params, "clientCorrelator", required=False),
            "realm": _text(params, "realm", required=False),
            "isProduction": production,
            "voipDeviceToken": _text(params, "voipDeviceToken", required=needs_voip),
            "standardDeviceToken": _text(params, "standardDeviceToken", required=needs_standard),
        })
        return await self._push.register(APPLE, body)

    @api
    async def registerAndroidPush(self, params: Any) -> str:
        """Registers the device with FCM; resolves with the registration (for ``unregisterAndroidPush``)."""
        params = _params(params, "registerAndroidPush")
        body = _without_none({
            "bundleID": _text(params, "bundleId", required=True),
            "service": _services(params),
            "clientCorrelator": _text(params, "clientCorrelator", required=False),
            "realm": _text(params, "realm", required=False),
            "deviceToken": _text(params, "deviceToken", required=True),
        })
        return await self._push.register(GOOGLE, body)

    @api
    async def unregisterApplePush(self, registrationInfo: Any) -> None:
        """Unregisters an Apple push registration; resolves with None."""
        await self._push.unregister(APPLE, _registration(registrationInfo))

    @api
    async def unregisterAndroidPush(self, registrationInfo: Any) -> None:
        """Unregisters an Android push registration; resolves with None."""
        await self._push.unregister(GOOGLE, _registration(registrationInfo))

    @api
    def enableWebsocket(self, enable: Any) -> None:
        """Enables, or disables, the processing of websocket notifications (emits ``notifications:change``)."""
        if not isinstance(enable, bool):
            raise BasicError(Codes.NOTIF_INVALID, "enableWebsocket expects a boolean")
        router = self._router
        router.websocket_paused = not enable
        channel = self._client.channel
        router.set_enabled(WEBSOCKET, enable and channel is not None and channel.connected)

    def snapshot(self) -> Any:
        router = self._router
        return {"channels": dict(router.enabled), "websocketPaused": router.websocket_paused,
                "duplicates": router.duplicates, "dropped": router.dropped}
