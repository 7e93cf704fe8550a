"""CPaaS REST conventions: URLs, the bearer header, and the error-body mapping (cpaas-wire §1).

Paths are ``{protocol}://{base}:{port}/cpaas/<service>/<version>/{user}/...``; ``{user}`` is the
idToken's ``preferred_username``, inserted raw. Error bodies
``{"requestError":{"serviceException"|"policyException":{messageId,text,variables}}}`` become
``BasicError(messageId, text with %1.. replaced)``; other failures become
``"<Operation> request failed: <status text>"`` with the HTTP status as the code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ...errors import BasicError, Codes
from ...transport.http import HttpError

if TYPE_CHECKING:
    from .. import CpaasClient

_PLACEHOLDER = re.compile(r"%(\d+)")


def error_from_body(error: HttpError, operation: str, fallback_code: str | None = None) -> BasicError:
    """The BasicError the CPaaS SDK derives from a failed request (cpaas-wire §1.7)."""
    body = error.body if isinstance(error.body, Mapping) else {}
    request_error = body.get("requestError")
    if isinstance(request_error, Mapping):
        exception = request_error.get("serviceException") or request_error.get("policyException")
        if isinstance(exception, Mapping) and isinstance(exception.get("text"), str):
            variables = exception.get("variables") or []

            def fill(match: re.Match[str]) -> str:
                index = int(match.group(1)) - 1
                return str(variables[index]) if 0 <= index < len(variables) else match.group(0)

            return BasicError(exception.get("messageId") or fallback_code, _PLACEHOLDER.sub(fill, exception["text"]))
    if error.status is None:
        return BasicError(fallback_code or Codes.CONN_NOT_CONNECTED, f"{operation} request failed: {error.reason}")
    return BasicError(error.status if fallback_code is None else fallback_code,
                      f"{operation} request failed: {error.reason or error.status}")


class CpaasRest:
    """Builds CPaaS URLs for the current user and performs authenticated requests."""

    def __init__(self, client: CpaasClient) -> None:
        self._client = client

    @property
    def _server(self) -> Mapping[str, Any]:
        server: Mapping[str, Any] = self._client.config["authentication"]["server"]
        return server

    @property
    def base_url(self) -> str:
        server = self._server
        if not server.get("base"):
            raise BasicError(Codes.CALL_INVALID_PARAM, "authentication.server.base is not configured")
        return f"{server['protocol']}://{server['base']}:{server['port']}"

    @property
    def ws_base_url(self) -> str:
        # The JS SDK always uses wss; a Python client against an http platform uses ws
        # (docs/decisions.md: "websocket scheme follows authentication.server.protocol").
        server = self._server
        scheme = "wss" if server["protocol"] == "https" else "ws"
        return f"{scheme}://{server['base']}:{server['port']}"

    @property
    def version(self) -> str:
        return str(self._server.get("version") or "v1")

    @property
    def user(self) -> str:
        username = self._client.auth.username
        if not username:
            raise BasicError(Codes.SUB_NO_TOKENS, "No tokens set: call setTokens() first")
        return username

    @property
    def correlator(self) -> str | None:
        correlator: str | None = self._client.config["authentication"].get("clientCorrelator")
        return correlator

    def url(self, service: str, path: str = "", *, version: str | None = None) -> str:
        """``{base}/cpaas/{service}/{version}/{user}/{path}`` (path segments raw, as the SDK sends them)."""
        tail = f"/{path.lstrip('/')}" if path else ""
        return f"{self.base_url}/cpaas/{service}/{version or self.version}/{self.user}{tail}"

    def absolute(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"

    async def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        operation: str,
        error_code: str | None = None,
        response_type: str = "json",
        params: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> Any:
        token = self._client.auth.access_token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._client.http.request(
                method, url, json_body=body, data=data, params=params, headers=headers,
                response_type=response_type)
        except HttpError as exc:
            raise error_from_body(exc, operation, error_code) from exc
        return response.body


def segment(value: str) -> str:
    """A path segment as the platform SDKs write it: raw, except characters that break a URL."""
    return quote(value, safe="@+:;,=!$&'()*~-._")
