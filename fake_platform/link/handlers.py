"""HTTP side of Link / CallMe subscriptions and websockets."""

from __future__ import annotations

import base64

from aiohttp import web

from ..core.errors import Forbidden, Unauthorized
from ..core.websocket import serve_channel
from ..http import USER_KEY, bearer_token, json_response, read_json, state_of


def link_user(request: web.Request) -> str:
    """Authenticate a Link user request (Basic or Bearer) and check the path username."""
    state = state_of(request)
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise Unauthorized("Malformed Basic credentials") from None
        user = state.users.find(username)
        if user is None or user.kind != "user" or user.password != password:
            raise Unauthorized("Invalid credentials for %1", username)
        user_id = user.user_id
    else:
        user_id = state.tokens.verify(bearer_token(request))["preferred_username"]
    path_user = request.match_info.get("account")
    if path_user is not None and state.users.find(path_user) is not state.users.find(user_id):
        raise Forbidden("User %1 may not act on behalf of %2", user_id, path_user)
    request[USER_KEY] = user_id
    return user_id


async def subscribe(request: web.Request) -> web.Response:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    realm = request.query.get("tokenrealm")
    body = await read_json(request)
    if mode == "anonymous":
        owner = state.link.resolve_anonymous_account(account, realm)
    else:
        owner = link_user(request)
    subscription = state.link.subscribe(mode, account, body, owner=owner, realm=realm)
    return json_response(state.link.response(subscription), status=200)


async def refresh(request: web.Request) -> web.Response:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    if mode == "user":
        link_user(request)
    subscription = state.link.refresh(mode, account, request.match_info["sub"], await read_json(request))
    return json_response({"subscribeResponse": {"statusCode": 0, "subscriptionParams": {
        "service": subscription.services, "expires": subscription.expires}}})


async def unsubscribe(request: web.Request) -> web.Response:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    if mode == "user":
        link_user(request)
    await state.link.unsubscribe(mode, account, request.match_info["sub"])
    return json_response({"subscribeResponse": {"statusCode": 0}})


async def websocket(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    subscription, endpoint = state.link.channel(mode, account, request.match_info["channel"])
    token = bearer_token(request)
    if token and mode == "user":
        claims = state.tokens.verify(token)
        if state.users.find(claims["preferred_username"]) is not state.users.find(subscription.owner):
            raise Forbidden("Token of %1 cannot open the channel of %2", claims["preferred_username"],
                            subscription.owner)
    return await serve_channel(request, endpoint, state)
