"""Control plane of the emulated push providers: the outbox, registrations, expiring a token."""

from __future__ import annotations

from aiohttp import web

from ..core.errors import InvalidInput
from ..http import json_response, no_content, read_json, state_of

FILTERS = {"token": "token", "user": "user", "service": "service", "provider": "provider", "status": "status",
           "eventType": "event_type", "environment": "environment"}


async def outbox(request: web.Request) -> web.Response:
    """What the emulated APNs / FCM were asked to deliver:
    `?token=&user=&service=&provider=&status=&eventType=&environment=`."""
    state = state_of(request)
    unknown = set(request.query) - set(FILTERS)
    if unknown:
        raise InvalidInput("Unknown outbox filters %1; use %2", sorted(unknown), sorted(FILTERS))
    filters = {FILTERS[k]: v for k, v in request.query.items()}
    if "user" in filters:
        filters["user"] = state.users.get(filters["user"]).user_id
    return json_response({"pushes": [r.to_dict() for r in state.push.query(**filters)]})


async def clear_outbox(request: web.Request) -> web.Response:
    """Empty the push outbox."""
    state_of(request).push.clear()
    return no_content()


async def registrations(request: web.Request) -> web.Response:
    """Push device registrations: `?user=`."""
    state = state_of(request)
    user = request.query.get("user")
    user_id = state.users.get(user).user_id if user else None
    return json_response({"registrations": [r.to_dict() for r in state.push.of_user(user_id)]})


async def expire(request: web.Request) -> web.Response:
    """The push provider reports a token gone from its next push on: `{token}`."""
    token = (await read_json(request)).get("token")
    if not isinstance(token, str) or not token:
        raise InvalidInput("token is required")
    return json_response({"token": token, "registrations": state_of(request).push.expire(token)})
