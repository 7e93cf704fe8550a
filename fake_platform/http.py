"""HTTP plumbing shared by every service: middlewares and request helpers.

Middlewares, outermost first: CORS (browsers can use the platform), journal (every request and
its status), faults (latency and injected errors, before the handler runs), errors (domain errors
rendered once, in the error format of the front door: see core/errors.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .core.errors import (
    Forbidden,
    InvalidInput,
    OAuthError,
    PlatformError,
    ProtocolError,
    Unauthorized,
)

if TYPE_CHECKING:
    from .state import PlatformState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATE_KEY: web.AppKey[PlatformState] = web.AppKey("platform_state")
USER_KEY: web.RequestKey[str] = web.RequestKey("user_id", str)

_CPAAS_USER = re.compile(r"^/cpaas/(?:nms/v\d+/chat|[^/]+/[^/]+)/([^/]+)")
_LINK_USER = re.compile(r"^/rest/version/[^/]+/(?:user|anonymous)/([^/]+)")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, X-Cpaas-Agent, x-token",
    "Access-Control-Max-Age": "600",
}


def state_of(request: web.Request) -> PlatformState:
    return request.app[STATE_KEY]


def relay_delay(request: web.Request) -> float:
    """How long the far end waits to hear of this request (see ``PlatformConfig.relay_delay``)."""
    config = state_of(request).config
    return config.browser_relay_delay if "Origin" in request.headers else config.relay_delay


def path_user(path: str) -> str | None:
    """The user segment of a CPaaS or Link path (used for journal entries and fault matching)."""
    match = _CPAAS_USER.match(path) or _LINK_USER.match(path)
    if match and not path.startswith("/cpaas/auth/"):
        return match.group(1)
    return None


def family(path: str) -> str:
    if path.startswith("/_platform"):
        return "control"
    if path.startswith("/cpaas/auth/"):
        return "oauth"
    if path.startswith("/cpaas/"):
        return "cpaas"
    if path.startswith("/rest/"):
        return "link"
    return "control"


def link_wrapper(path: str) -> str | None:
    if "/subscription" in path:
        return "subscribeResponse"
    if "/push/apple" in path:
        return "appleDeviceRegistrationResponse"
    if "/push/google" in path:
        return "googleDeviceRegistrationResponse"
    if "/callControl" in path or "/callMe" in path or "/calldisposition" in path:
        return "callControlResponse"
    return None


def render_error(error: PlatformError, path: str) -> web.Response:
    kind = family(path)
    if isinstance(error, OAuthError):
        body: Any = error.oauth_body()
    elif kind == "cpaas":
        body = error.cpaas_body()
    elif kind == "link":
        body = error.link_body(getattr(error, "wrapper", None) or link_wrapper(path))
    else:
        body = error.control_body()
    return web.json_response(body, status=error.status, headers=CORS_HEADERS)


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == "OPTIONS":
        return web.Response(status=204, headers=CORS_HEADERS)
    response = await handler(request)
    if not response.prepared:
        response.headers.update(CORS_HEADERS)
    return response


@web.middleware
async def journal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = state_of(request)
    if request.path.startswith("/_platform") or request.headers.get("Upgrade", "").lower() == "websocket":
        return await handler(request)
    started = time.perf_counter()
    body_text = await request.text() if request.can_read_body and request.content_type != "multipart/form-data" \
        else None
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        state.journal.record(
            "http", method=request.method, path=request.path, status=status,
            user=request.get(USER_KEY) or path_user(request.path),
            body=_maybe_json(body_text), duration_ms=round((time.perf_counter() - started) * 1000, 3),
            detail={"query": dict(request.query)} if request.query else {},
        )


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/_platform"):
        return await handler(request)
    state = state_of(request)
    ctx = {"method": request.method, "path": request.path, "user": path_user(request.path),
           "product": "cpaas" if request.path.startswith("/cpaas") else "link"}
    latency = state.faults.check("latency", **ctx)
    if latency is not None:
        await asyncio.sleep(float(latency.params.get("ms", 0)) / 1000.0)
    injected = state.faults.check("http_error", **ctx)
    if injected is not None:
        status = int(injected.params.get("status", 500))
        body = injected.params.get("body")
        if body is not None:
            raise ProtocolError(status, body)
        error = PlatformError(injected.params.get("text", "Injected failure (fault %1)"), injected.id,
                              message_id=injected.params.get("messageId"),
                              link_code=injected.params.get("statusCode"))
        error.status = status
        raise error
    return await handler(request)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except PlatformError as error:
        return render_error(error, request.path)
    except web.HTTPException as exc:
        if exc.status == 404:
            return render_error(_not_routed(request), request.path)
        if exc.status == 405:
            error = InvalidInput("Method %1 is not allowed on %2", request.method, request.path)
            error.status = 405
            return render_error(error, request.path)
        raise


def _not_routed(request: web.Request) -> PlatformError:
    from .core.errors import NotFound

    return NotFound("No resource at %1", request.path)


MIDDLEWARES = [cors_middleware, journal_middleware, error_middleware, fault_middleware]


# -- request helpers --------------------------------------------------------------------------
async def read_json(request: web.Request, *, required: bool = True) -> dict[str, Any]:
    """The JSON object body, or InvalidInput (never a 500) for anything else."""
    raw = await request.read()
    if not raw:
        if required:
            raise InvalidInput("Invalid input value for message part %1", "body")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("Request body must be a JSON object")
    return body


def wrapped(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise InvalidInput("Invalid input value for message part %1", key)
    return value


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query.get("access_token") or request.query.get("token")


def cpaas_user(request: web.Request) -> str:
    """Authenticate a CPaaS request and check that ``{user}`` in the path is the token's user."""
    state = state_of(request)
    claims = state.tokens.verify(bearer_token(request))
    user_id = claims["preferred_username"]
    path_user_id = request.match_info.get("user")
    if path_user_id is not None and path_user_id.lower() != user_id.lower():
        raise Forbidden("User %1 may not act on resources of %2", user_id, path_user_id)
    if state.users.find(user_id) is None:
        raise Unauthorized("Unknown user %1", user_id)
    request[USER_KEY] = user_id
    return user_id


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def no_content() -> web.Response:
    return web.Response(status=204)


def _maybe_json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
