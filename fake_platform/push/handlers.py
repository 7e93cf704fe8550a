"""HTTP side of push registration (link-callme-wire §6)."""

from __future__ import annotations

from aiohttp import web

from ..http import json_response, no_content, read_json, state_of
from ..link.handlers import link_user
from .models import APPLE

WRAPPERS = {APPLE: "appleDeviceRegistrationResponse", "google": "googleDeviceRegistrationResponse"}


async def register(request: web.Request) -> web.Response:
    user = link_user(request)
    provider = request.match_info["provider"]
    body = await read_json(request)
    registration = state_of(request).push.register(provider, user, request.match_info["account"],
                                                   request.match_info["ver"], body)
    return json_response({WRAPPERS[provider]: {"statusCode": 0, "registration": registration.path}})


async def unregister(request: web.Request) -> web.Response:
    user = link_user(request)
    state_of(request).push.unregister(request.match_info["provider"], user, request.match_info["registration"])
    return no_content()
