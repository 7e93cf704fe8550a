"""Link / CallMe REST conventions (link-callme-wire §2).

Base URL ``{subscription.protocol}://{subscription.server}:{subscription.port}``, API version 1.
Every request carries ``X-Cpaas-Agent``; user-mode requests carry the connection's credentials
(Basic or Bearer); token-mode anonymous requests carry ``?tokenrealm=<realm>``. Error bodies with a
``statusCode`` (``callControlResponse``, ``subscribeResponse``, ``authorizationResponse`` or bare)
become ``BasicError(statusCode, reason)``; otherwise the HTTP status and ``body.message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...errors import BasicError, Codes
from ...transport.http import HttpError
from ...version import __version__

if TYPE_CHECKING:
    from .. import LinkClient

_WRAPPERS = ("callControlResponse", "callMeResponse", "subscribeResponse", "authorizationResponse",
             "appleDeviceRegistrationResponse", "googleDeviceRegistrationResponse")
# Messages the platform SDK hard-codes for some status codes.
_KNOWN_CODES = {5: "Invalid request", 26: "Session not found", 1004: "Request rejected by the server"}


def status_code_of(body: Any) -> tuple[int | None, str | None]:
    """The Link statusCode and reason carried by a response body, if any."""
    if not isinstance(body, Mapping):
        return None, None
    for key in _WRAPPERS:
        inner = body.get(key)
        if isinstance(inner, Mapping) and "statusCode" in inner:
            return inner.get("statusCode"), inner.get("reason") or inner.get("reasonText")
    if "statusCode" in body:
        return body.get("statusCode"), body.get("reason") or body.get("reasonText")
    return None, None


def error_from_body(error: HttpError, operation: str, fallback_code: str | None = None) -> BasicError:
    code, reason = status_code_of(error.body)
    if code is not None:
        message = reason or _KNOWN_CODES.get(code if isinstance(code, int) else -1) or f"{operation} failed"
        return BasicError(code, message)
    if error.status is None:
        return BasicError(fallback_code or Codes.CONN_NOT_CONNECTED, f"{operation} failed: {error.reason}")
    body = error.body if isinstance(error.body, Mapping) else {}
    return BasicError(fallback_code or error.status, body.get("message") or f"{operation} failed: {error.reason}")


class LinkRest:
    def __init__(self, client: LinkClient) -> None:
        self._client = client
        self.auth_headers: dict[str, str] = {}
        self.token_realm: str | None = None

    @property
    def _auth_config(self) -> Mapping[str, Any]:
        auth: Mapping[str, Any] = self._client.config["authentication"]
        return auth

    @property
    def base_url(self) -> str:
        sub = self._auth_config["subscription"]
        if not sub.get("server"):
            raise BasicError(Codes.CALL_INVALID_PARAM, "authentication.subscription.server is not configured")
        return f"{sub['protocol']}://{sub['server']}:{sub['port']}"

    @property
    def ws_base_url(self) -> str:
        ws = self._auth_config["websocket"]
        server = ws.get("server") or self._auth_config["subscription"].get("server")
        return f"{ws['protocol']}://{server}:{ws['port']}"

    def absolute(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}{path}"

    @property
    def agent(self) -> str:
        return f"{self._client.agent_name}/{__version__}"

    async def request(self, method: str, url: str, body: Any = None, *, operation: str,
                      error_code: str | None = None, response_type: str = "json",
                      authenticated: bool = True) -> Any:
        headers = {"X-Cpaas-Agent": self.agent}
        if authenticated:
            headers.update(self.auth_headers)
        params = {"tokenrealm": self.token_realm} if self.token_realm else None
        try:
            response = await self._client.http.request(method, self.absolute(url), json_body=body,
                                                       params=params, headers=headers,
                                                       response_type=response_type)
        except HttpError as exc:
            raise error_from_body(exc, operation, error_code) from exc
        return response.body
