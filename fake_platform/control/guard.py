"""Who may use the control plane (``/_platform/``): it hands out every password and token.

A web page the developer happens to open must not reach it, and neither may anyone else on the
network when the platform listens beyond loopback. Four checks, on every control request:

1. ``Host`` names the address the platform serves (127.0.0.1, localhost, [::1], the host it was
   bound to, or one of ``PlatformConfig.control_hosts``), with its port: a page on a rebound DNS
   name (``evil.example`` -> 127.0.0.1) sends its own name and is refused. When the platform
   listens on every interface (``0.0.0.0``) the address is not known; the token guards instead.
2. ``Origin``, when a browser sends one, is the platform's own origin or one of
   ``PlatformConfig.control_origins``; only those get CORS headers, and a preflight from any other
   origin is refused, so no page elsewhere can read an answer.
3. A body is JSON sent as ``application/json``: a ``text/plain`` "simple request" (which a browser
   sends cross-origin without a preflight) is refused before it acts.
4. Beyond loopback a control token is required (``Authorization: Bearer <token>``). The CLI prints
   it; ``Platform.control_token`` has it; on 127.0.0.1 none is needed unless one was configured.
   A browser cannot add that header to a page load or a websocket: it holds the token in a cookie
   (HttpOnly, SameSite=Strict) that ``GET /_platform/ui/login?token=<token>`` trades it for (that
   route checks the token itself).

Each refusal is the control plane's error body with its status (403, 401, 415).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from aiohttp import web
from yarl import URL

from ..core.errors import Forbidden, PlatformError, Unauthorized
from ..http import state_of
from ..routing import Handler

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
CORS_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Accept"
TOKEN_COOKIE = "kandy_control"  # the control token as a browser holds it (fake_platform/ui/handlers.py)
TOKEN_LOGIN = "/_platform/ui/login"  # trades ?token= for the cookie, checking it itself


class UnsupportedMediaType(PlatformError):
    status, kind = 415, "unsupported_media_type"


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ControlPolicy:
    """The control plane's rules for one served address (built from the config and base URL)."""

    def __init__(self, base_url: str, *, token: str | None, origins: list[str], hosts: list[str]) -> None:
        url = URL(base_url) if base_url else URL("http://127.0.0.1")
        self.port = url.port
        bound = (url.host or "").strip("[]")
        self.wildcard = bound in WILDCARDS
        self.hosts = {h.lower().strip("[]") for h in (*LOOPBACK_NAMES, bound, *hosts) if h}
        self.token = token
        own = {str(url.with_host(h).origin()) for h in ("127.0.0.1", "localhost") if url.host} if url.host else set()
        if url.host and not self.wildcard:
            own.add(str(url.origin()))
        self.origins = {o.rstrip("/") for o in (*own, *origins)}

    def check_host(self, request: web.Request) -> None:
        if self.wildcard:
            return
        host, port = _split_host(request.host)
        expected_port = self.port
        if host not in self.hosts or (port is not None and expected_port is not None and port != expected_port):
            raise Forbidden("Host %1 is not the address this control plane serves", request.host)

    def check_origin(self, origin: str | None) -> None:
        if origin is not None and origin.rstrip("/") not in self.origins:
            raise Forbidden("Origin %1 may not use the control plane", origin)

    def check_token(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE, "")
        if not self.accepts(given):
            raise Unauthorized("The control plane needs its token: Authorization: Bearer <controlToken> "
                               "(in a browser, open %1?token=<controlToken>)", TOKEN_LOGIN)

    def accepts(self, token: str) -> bool:
        return self.token is None or hmac.compare_digest(token.encode(), self.token.encode())


def _split_host(value: str) -> tuple[str, int | None]:
    """``Host`` header -> (lower-case name without brackets, port or None)."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return name, int(port) if port.isascii() and port.isdigit() else None


def policy_of(request: web.Request) -> ControlPolicy:
    """Built per request (a few microseconds): the served address and the config may change."""
    state = state_of(request)
    config = state.config
    return ControlPolicy(state.base_url, token=config.control_token, origins=list(config.control_origins),
                         hosts=list(config.control_hosts))


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Allow-Methods": CORS_METHODS,
            "Access-Control-Allow-Headers": CORS_HEADERS, "Access-Control-Max-Age": "600"}


@web.middleware
async def control_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS headers for an allowed origin only (outermost, so errors carry them too)."""
    response = await handler(request)
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") in policy_of(request).origins and not response.prepared:
        response.headers.update(_cors(origin))
    return response


@web.middleware
async def control_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Host, origin, preflight, token and content type, in that order (inside the error renderer)."""
    policy = policy_of(request)
    policy.check_host(request)
    policy.check_origin(request.headers.get("Origin"))
    if request.method == "OPTIONS":
        return web.Response(status=204)
    if request.path != TOKEN_LOGIN:
        policy.check_token(request)
    if request.body_exists and request.content_type != "application/json":
        raise UnsupportedMediaType("The control plane takes JSON bodies sent as application/json, not %1",
                                   request.content_type)
    return await handler(request)


def middlewares(errors: Any) -> list[Any]:
    return [control_cors, errors, control_guard]
