"""The SDK's one error type and its code tables.

Every documented failure surfaces as a :class:`BasicError` (``code``, ``message``): raised where the
documents say an API throws or a Promise rejects, carried in event payloads (``error``) where they
say an event reports it. It is an ``Exception`` so that Python code can ``raise``/``except`` it::

    Exception
     └── BasicError            code + message, as documented
"""

from __future__ import annotations

from typing import Any

from kandy_media.errors import MediaError

DEFAULT_CODE = "NO_CODE"
# The CPaaS document spells it "occured" (ambiguity CPAAS-20, a typo); both products use the
# correct spelling here, see docs/decisions.md.
DEFAULT_MESSAGE = "An error occurred"


class BasicError(Exception):
    """Information about an error that occurred in the SDK (documented ``BasicError``)."""

    name = "BasicError"

    def __init__(self, code: str | int | None = None, message: str | None = None) -> None:
        self.code: str | int = DEFAULT_CODE if code in (None, "") else code
        self.message: str = message or DEFAULT_MESSAGE
        super().__init__(f"[{self.code}] {self.message}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "message": self.message}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BasicError):
            return NotImplemented
        return (self.code, self.message) == (other.code, other.message)

    def __hash__(self) -> int:
        return hash((self.code, self.message))

    def __repr__(self) -> str:
        return f"BasicError(code={self.code!r}, message={self.message!r})"


class Codes:
    """SDK-side error codes, namespaced per feature as the platform SDKs do (``feature:n``)."""

    # Generic
    DESTROYED = "sdk:1"
    NO_LOOP = "sdk:2"
    INVALID_EVENT = "events:1"
    LISTENER_NOT_FUNCTION = "events:2"
    # Authentication (Link / CallMe numbering follows the protocol notes: authentication:1..12)
    AUTH_CONNECT_FAILED = "authentication:1"
    AUTH_MISSING_TOKENS = "authentication:3"
    AUTH_INVALID_CREDENTIALS = "authentication:4"
    AUTH_INVALID_TOKEN = "authentication:5"
    AUTH_SUBSCRIBE_FAILED = "authentication:6"
    AUTH_UNSUBSCRIBE_FAILED = "authentication:7"
    AUTH_REFRESH_FAILED = "authentication:8"
    AUTH_NOT_CONNECTED = "authentication:9"
    AUTH_SERVICE_UNAVAILABLE = "authentication:12"
    # Subscription (CPaaS)
    SUB_NO_SERVICES = "subscription:1"
    SUB_CHANNEL_FAILED = "subscription:2"
    SUB_WEBSOCKET_FAILED = "subscription:3"
    SUB_TIMEOUT = "subscription:4"
    SUB_SERVICE_FAILED = "subscription:5"
    SUB_UNSUBSCRIBE_FAILED = "subscription:6"
    SUB_NO_TOKENS = "subscription:7"
    SUB_LOST_CONNECTION = "subscription:8"
    # Connectivity
    CONN_LOST = "connectivity:1"
    CONN_RECONNECT_FAILED = "connectivity:2"
    CONN_NOT_CONNECTED = "connectivity:3"
    # Call (call:6 invalid state, call:7 invalid param per the protocol notes)
    CALL_GENERIC = "call:1"
    CALL_NOT_FOUND = "call:2"
    CALL_MEDIA = "call:3"
    CALL_SIGNALLING = "call:4"
    CALL_NOT_SUPPORTED = "call:5"
    CALL_INVALID_STATE = "call:6"
    CALL_INVALID_PARAM = "call:7"
    CALL_TIMEOUT = "call:8"
    CALL_DEPRECATED = "call:9"
    CALL_MLINE_ORDER = "call:10"
    # Media
    MEDIA_NOT_FOUND = "media:1"
    MEDIA_PERMISSION_DENIED = "media:2"
    MEDIA_INVALID_PARAM = "media:3"
    # Notifications / push (Link)
    NOTIF_INVALID = "notifications:1"
    NOTIF_REGISTER_FAILED = "notifications:2"
    NOTIF_UNREGISTER_FAILED = "notifications:3"
    NOTIF_INVALID_CHANNEL = "notifications:4"
    # CPaaS features
    MESSAGING_GENERIC = "messaging:1"
    MESSAGING_INVALID_PARAM = "messaging:2"
    MESSAGING_SEND_FAILED = "messaging:3"
    MESSAGING_FETCH_FAILED = "messaging:4"
    MESSAGING_SMS_FAILED = "messaging:5"
    MESSAGING_DELETE_FAILED = "messaging:6"
    MESSAGING_UPLOAD_FAILED = "messaging:7"
    PRESENCE_INVALID_PARAM = "presence:1"
    PRESENCE_FAILED = "presence:2"
    GROUPS_GENERIC = "groups:1"
    GROUPS_NOT_FOUND = "groups:2"
    GROUPS_MISSING_PARAM = "groups:3"
    GROUPS_FAILED = "groups:4"
    CONTACTS_INVALID_PARAM = "contacts:1"
    CONTACTS_FAILED = "contacts:2"
    USERS_INVALID_PARAM = "users:1"
    USERS_NOT_FOUND = "users:2"
    USERS_FAILED = "users:3"


def as_basic_error(exc: BaseException, *, code: str = DEFAULT_CODE) -> BasicError:
    """Wrap any exception as a BasicError, keeping BasicErrors as they are (media errors are media)."""
    if isinstance(exc, BasicError):
        return exc
    if isinstance(exc, MediaError):
        return BasicError(Codes.CALL_MEDIA, str(exc))
    return BasicError(code, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
