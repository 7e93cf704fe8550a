"""Domain errors and the protocol error bodies they become.

Models raise :class:`PlatformError` subclasses that carry only a kind, a text and variables. The
HTTP middleware renders them once, in the error format of the front door that was called:

* CPaaS (``/cpaas/...``): ``{"requestError":{"serviceException"|"policyException":
  {"messageId","text","variables"}}}`` (cpaas-wire §1.7);
* Link / CallMe (``/rest/...``): ``{"<wrapper>":{"statusCode":N,"reason":"..."}}``
  (link-callme-wire §2, §8);
* OAuth token endpoint: ``{"error","error_description"}``;
* control plane (``/_platform/...``): ``{"error":{"kind","message"}}``.

Exception tree::

    PlatformError
     ├── InvalidInput      400
     ├── Unauthorized      401
     ├── Forbidden         403
     ├── NotFound          404
     ├── Conflict          409
     ├── Gone              410
     ├── PayloadTooLarge   413
     ├── TooMany           429
     ├── Unavailable       503
     ├── ProtocolError     any status, a body given verbatim (fault rules, special statuses)
     └── OAuthError        400/401, OAuth body
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    status = 500
    kind = "error"
    # CPaaS messageId and whether it is a policy (rather than service) exception
    message_id = "SVC0001"
    policy = False
    # Link statusCode
    link_code = 1

    def __init__(self, text: str, *variables: Any, link_code: int | None = None,
                 message_id: str | None = None) -> None:
        self.text = text
        self.variables = [str(v) for v in variables]
        if link_code is not None:
            self.link_code = link_code
        if message_id is not None:
            self.message_id = message_id
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = self.text
        for index, value in enumerate(self.variables, start=1):
            text = text.replace(f"%{index}", value)
        return text

    def cpaas_body(self) -> dict[str, Any]:
        key = "policyException" if self.policy else "serviceException"
        return {"requestError": {key: {"messageId": self.message_id, "text": self.text,
                                       "variables": self.variables}}}

    def link_body(self, wrapper: str | None = None) -> dict[str, Any]:
        inner = {"statusCode": self.link_code, "reason": self.message}
        return {wrapper: inner} if wrapper else inner

    def control_body(self) -> dict[str, Any]:
        return {"error": {"kind": self.kind, "message": self.message}}


class InvalidInput(PlatformError):
    status, kind, message_id, link_code = 400, "invalid", "SVC0002", 5

    def __init__(self, text: str = "Invalid input value for message part %1", *variables: Any, **kw: Any) -> None:
        super().__init__(text, *variables, **kw)


class Unauthorized(PlatformError):
    status, kind, message_id, policy, link_code = 401, "unauthorized", "POL0001", True, 4


class Forbidden(PlatformError):
    status, kind, message_id, policy, link_code = 403, "forbidden", "POL0002", True, 6


class NotFound(PlatformError):
    status, kind, message_id, link_code = 404, "not_found", "SVC0004", 47


class Conflict(PlatformError):
    status, kind, message_id, link_code = 409, "conflict", "SVC0005", 11


class Gone(PlatformError):
    status, kind, message_id, link_code = 410, "gone", "SVC0004", 42


class PayloadTooLarge(PlatformError):
    """A body or frame over the platform's limit (``PlatformConfig.max_json_bytes`` ...)."""

    status, kind, message_id, link_code = 413, "too_large", "SVC0002", 5


class TooMany(PlatformError):
    """A platform-wide cap reached (``PlatformConfig.max_anonymous_subscriptions``)."""

    status, kind, message_id, policy, link_code = 429, "too_many", "POL0003", True, 1


class Unavailable(PlatformError):
    status, kind, message_id, link_code = 503, "unavailable", "SVC0001", 1


class ProtocolError(PlatformError):
    """A response whose status and body are given as they are (fault rules, special cases)."""

    def __init__(self, status: int, body: Any, text: str = "injected error") -> None:
        super().__init__(text)
        self.status = status
        self.body = body

    def cpaas_body(self) -> Any:
        return self.body

    def link_body(self, wrapper: str | None = None) -> Any:
        return self.body

    def control_body(self) -> Any:
        return self.body


class OAuthError(PlatformError):
    kind = "oauth"

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status

    def oauth_body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.text}
