"""The CPaaS product: ``create(config)`` and ``sdpHandlers``.

A CPaaS client is the shared :class:`~sdk.client.Client` plus, in this order: token
authentication (``setTokens``), the ``services`` subscription flow over the CPaaS notification
channel, ``connection``, and the feature namespaces the document lists. Namespaces are added here
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kandy_media.clock import Clock

from ..client import Client
from ..connection import Connection
from ..media.handlers import SdpHandlers
from ..media.namespace import Media
from ..namespace import api, documented
from .auth import CpaasAuth
from .calls import CpaasCall
from .config import SCHEMA
from .contacts import Contacts
from .conversation import ConversationNamespace
from .groups import Groups
from .presence import Presence
from .protocol.rest import CpaasRest
from .services import Services
from .users import Users

#: Documented CPaaS events, plus those the protocol notes name for the 4.9.0 build
#: (call:operation, media/subscription/connectivity and *:error events).
EVENT_TYPES = frozenset({
    # Calls
    "call:start", "call:receive", "call:stateChange", "call:newTrack", "call:trackEnded",
    "call:statsReceived", "call:trackReplaced", "call:operation", "call:newMedia", "call:removedMedia", "call:join",
    # Media
    "devices:change", "media:muted", "media:unmuted",
    # Messaging
    "conversations:new", "conversations:change", "messages:change", "messages:error", "isTypingList:change",
    # Presence
    "presence:change", "presence:selfChange", "presence:error",
    # Groups
    "group:new", "group:change", "group:delete", "group:refresh", "group:invitation_received", "group:error",
    # Contacts and directory
    "contacts:new", "contacts:change", "contacts:error", "directory:change", "directory:error",
    # Subscription and connectivity
    "subscription:change", "subscription:error", "ws:change", "notification:received",
})


class CpaasClient(Client):
    """A CPaaS SDK instance."""

    product: ClassVar[str] = "cpaas"
    CONFIG_SCHEMA: ClassVar[Mapping[str, Any]] = SCHEMA
    EVENT_TYPES: ClassVar[frozenset[str]] = EVENT_TYPES
    # Ambiguity CPAAS-01: the document also spells the event 'messages:changed'.
    EVENT_ALIASES: ClassVar[Mapping[str, str]] = {"messages:changed": "messages:change"}

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> None:
        super().__init__(config, clock=clock)
        self.auth = CpaasAuth()
        self.rest = CpaasRest(self)
        self.turn_credentials: dict[str, Any] | None = None
        self.services: Services = self._attach("services", Services(self))
        self.connection: Connection = self._attach("connection", Connection(self))
        self.media: Media = self._attach("media", Media(self))
        self.call: CpaasCall = self._attach("call", CpaasCall(self, self.media))
        self.conversation: ConversationNamespace = self._attach(
            "conversation", ConversationNamespace(self))
        self.presence: Presence = self._attach("presence", Presence(self))
        self.groups: Groups = self._attach("groups", Groups(self))
        self.contacts: Contacts = self._attach("contacts", Contacts(self))
        self.user: Users = self._attach("user", Users(self))

    @api
    def setTokens(self, params: Mapping[str, Any]) -> None:
        """Sets the access and identity tokens used for all requests to the platform."""
        self.auth.set_tokens(params)
        self._action("SET_TOKENS", {"username": self.auth.username})

    def _user_info(self) -> dict[str, Any]:
        return self.auth.user_info()

    def _identify_notification(self, frame: dict[str, Any]) -> tuple[str | None, str | None]:
        """CPaaS frames are ``{"<notificationType>": {"id": ..., ...}}`` (cpaas-wire §2.7)."""
        for key, value in frame.items():
            if isinstance(value, dict) and value.get("id") is not None:
                return key, str(value["id"])
        return None, None


@documented("cpaas", "create")
def create(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> CpaasClient:
    """The SDK creation factory: returns a CPaaS SDK instance."""
    return CpaasClient(config, clock=clock)


#: The module export ``sdpHandlers`` (``createCodecRemover``).
sdpHandlers = SdpHandlers("cpaas")

__all__ = ["CpaasClient", "create", "sdpHandlers"]
