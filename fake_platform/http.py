"""Request helpers shared by every service's handlers: the platform state, bodies, credentials.

The front doors and their middlewares are in :mod:`fake_platform.doors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .core.errors import (
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    Unauthorized,
)
from .core.text import load_json

if TYPE_CHECKING:
    from .state import PlatformState

STATE_KEY: web.AppKey[PlatformState] = web.AppKey("platform_state")
USER_KEY: web.RequestKey[str] = web.RequestKey("user_id", str)
#: A check of the JSON body, run by read_json as the handler reads it (set by fake_platform/contract).
BODY_CHECK: web.RequestKey[Callable[[Any], None]] = web.RequestKey("body_check", object)  # type: ignore[arg-type]



#: The platform state, as state_of found it for this request.
_REQUEST_STATE: web.RequestKey[Any] = web.RequestKey("request_platform_state", object)


def state_of(request: web.Request) -> PlatformState:
    """The platform state, looked up in the app chain once per request and then kept on it: the
    middlewares, the authentication and the handler of a chat POST each ask (six lookups, each
    walking the door's sub-app and the root app)."""
    try:
        state: PlatformState = request[_REQUEST_STATE]
    except KeyError:
        state = request[_REQUEST_STATE] = request.config_dict[STATE_KEY]
    return state


def relay_delay(request: web.Request) -> float:
    """How long the far end waits to hear of this request (``Timings.relay_delay``)."""
    timings = state_of(request).progress.timings
    return timings.browser_relay_delay if "Origin" in request.headers else timings.relay_delay


# -- request helpers --------------------------------------------------------------------------
async def read_json(request: web.Request, *, required: bool = True) -> dict[str, Any]:
    """The JSON object body, or the door's 4xx (never a 500) for anything else: over
    ``max_json_bytes`` a 413, nested deeper than ``max_json_depth`` or not JSON a 400."""
    config = state_of(request).config
    if (request.content_length or 0) > config.max_json_bytes:
        raise PayloadTooLarge("A JSON body is limited to %1 bytes", config.max_json_bytes)
    raw = await request.read()
    if not raw:
        if required:
            raise InvalidInput("Invalid input value for message part %1", "body")
        return {}
    if len(raw) > config.max_json_bytes:
        raise PayloadTooLarge("A JSON body is limited to %1 bytes", config.max_json_bytes)
    try:
        body = load_json(raw, config.max_json_depth)
    except ValueError as exc:  # invalid UTF-8, not JSON, nested too deep, a 5,000-digit number
        raise InvalidInput("Request body is not acceptable JSON: %1", str(exc)[:200]) from None
    if not isinstance(body, dict):
        raise InvalidInput("Request body must be a JSON object")
    if (check := request.get(BODY_CHECK)) is not None:
        check(body)
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
    user_id: str = claims["preferred_username"]
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
