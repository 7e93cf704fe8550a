"""The Link / CallMe product: ``create(config)`` and ``sdpHandlers``.

A Link client is the shared :class:`~sdk.client.Client` plus the Link subscription (anonymous per
CallMe call, or a Link user between ``connect`` and ``disconnect``), ``connection``, and the
namespaces of the Link document. Namespaces are added here and nowhere else.

``connect`` / ``disconnect`` are not in the CallMe document; they are the Link user mode that the
document presumes when it references ``call.make`` / ``call.answer`` (ambiguity LINK-01), with the
Link 4.x credential forms (``{username, password}`` or ``{username, bearerAccessToken}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kandy_media.clock import Clock

from ..client import Client
from ..connection import Connection
from ..errors import BasicError, Codes, as_basic_error
from ..media.handlers import SdpHandlers
from ..media.namespace import LinkMedia
from ..namespace import api, documented
from ..transport.channel import ChannelEvent
from ..version import __version__
from .calls import LinkCall
from .config import SCHEMA
from .notification import LinkNotification, LinkNotificationRouter
from .protocol.rest import LinkRest
from .resync import resync_calls
from .session import LinkSession

#: Documented Link events, plus those the protocol notes name for the 4.21 build.
EVENT_TYPES = frozenset({
    # Calls
    "call:start", "call:receive", "call:stateChange", "call:operation", "call:newTrack", "call:trackEnded",
    "call:newMedia", "call:removedMedia", "call:trackReplaced", "call:statsReceived", "call:customParameters",
    "call:availableCodecs",
    # Media
    "devices:change", "devices:error", "media:muted", "media:unmuted", "media:sourceMuted", "media:sourceUnmuted",
    # Notifications, connectivity, authentication
    "notifications:change", "notifications:error", "notification:received", "ws:change",
    "auth:change", "auth:error", "auth:resub", "subscription:change", "subscription:error",
})


class LinkClient(Client):
    """A Link / CallMe SDK instance."""

    product: ClassVar[str] = "link"
    agent_name: ClassVar[str] = "link-py-sdk"
    CONFIG_SCHEMA: ClassVar[Mapping[str, Any]] = SCHEMA
    EVENT_TYPES: ClassVar[frozenset[str]] = EVENT_TYPES
    ROUTER_CLASS: ClassVar[type[LinkNotificationRouter]] = LinkNotificationRouter

    notifications: LinkNotificationRouter

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> None:
        super().__init__(config, clock=clock)
        self.rest = LinkRest(self)
        self.session = LinkSession(self)
        self.turn_credentials: dict[str, Any] | None = None
        self.connection: Connection = self._attach("connection", Connection(self))
        self.media: LinkMedia = self._attach("media", LinkMedia(self))
        self.call: LinkCall = self._attach("call", LinkCall(self, self.media))
        self.notification: LinkNotification = self._attach("notification", LinkNotification(self))
        self.notifications.on_error = lambda channel, exc: self.emit("notifications:error", {
            "channel": channel, "error": as_basic_error(exc, code=Codes.NOTIF_INVALID)})

    @api
    def getVersion(self) -> str:
        """Returns the current version of the API."""
        return __version__

    # -- Link user mode (LINK-01) --------------------------------------------------------------
    @api
    async def connect(self, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """Subscribe as a Link user; resolves with ``{username, services}``, emits ``auth:change``."""
        try:
            info = await self.session.start_user(credentials)
        except BasicError as error:
            self.emit("auth:error", {"error": error})
            raise
        self.emit("auth:change", {"connected": True})
        return {"username": info.account, "services": list(info.services)}

    @api
    async def disconnect(self) -> None:
        """Unsubscribe the Link user and close the websocket; emits ``auth:change``."""
        await self.session.stop()
        self.emit("auth:change", {"connected": False, "forced": False})

    # -- product hooks -------------------------------------------------------------------------
    def _user_info(self) -> dict[str, Any]:
        info = self.session.info
        token = self.session.credentials.get("bearerAccessToken")
        return {"username": None if info is None else info.account, "token": token}

    def _identify_notification(self, frame: dict[str, Any]) -> tuple[str | None, str | None]:
        """Link frames are ``{"notificationMessage": {"eventType": ..., "eventId": ...}}`` (§4.3)."""
        message = frame.get("notificationMessage")
        if not isinstance(message, dict) or not isinstance(message.get("eventType"), str):
            return None, None
        event_id = message.get("eventId")
        return message["eventType"], None if event_id is None else str(event_id)

    def on_websocket_connected(self, event: ChannelEvent) -> None:
        """Called on every (re)connect of the websocket (call resync hooks in here)."""
        if self.config["call"].get("resyncOnConnect"):
            self.spawn(resync_calls(self), "call-resync")

    async def _teardown(self) -> None:
        if self.session.active:
            try:
                await self.session.stop(reason="DESTROYED")
            except Exception as exc:  # teardown must finish whatever the platform says
                self._log.warn(f"unsubscribe during destroy failed: {exc}")
        await super()._teardown()


@documented("link", "create")
def create(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> LinkClient:
    """The SDK creation factory: returns a Link / CallMe SDK instance."""
    return LinkClient(config, clock=clock)


#: The module export ``sdpHandlers`` (``createCodecRemover``).
sdpHandlers = SdpHandlers("link")

__all__ = ["LinkClient", "create", "sdpHandlers"]
