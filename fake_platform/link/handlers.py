"""HTTP side of Link / CallMe subscriptions and websockets."""

from __future__ import annotations

import base64
import hmac

from aiohttp import web

from ..core.errors import Forbidden, Unauthorized
from ..core.websocket import serve_channel
from ..http import USER_KEY, bearer_token, json_response, read_json, state_of


def link_credentials(request: web.Request) -> str | None:
    """The Link user whose credentials the request carries (Basic, or a Bearer token in the
    header or the websocket query), None when it carries none; Unauthorized when they are wrong."""
    state = state_of(request)
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            username, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise Unauthorized("Malformed Basic credentials") from None
        user = state.users.find(username)
        if user is None or user.kind != "user" or not hmac.compare_digest(user.password.encode(), password.encode()):
            raise Unauthorized("Invalid credentials for %1", username)
        return user.user_id
    token = bearer_token(request)
    if not token and not header:
        return None
    user_id = state.tokens.verify(token)["preferred_username"]
    user = state.users.find(user_id)
    if user is None or user.kind != "user":
        raise Unauthorized("Unknown user %1", user_id)
    return user.user_id


def link_user(request: web.Request) -> str:
    """Authenticate a Link user request (Basic or Bearer) and check the path username."""
    state = state_of(request)
    user_id = link_credentials(request)
    if user_id is None:
        raise Unauthorized("Missing credentials")
    path_user = request.match_info.get("account")
    if path_user is not None and state.users.find(path_user) is not state.users.find(user_id):
        raise Forbidden("User %1 may not act on behalf of %2", user_id, path_user)
    request[USER_KEY] = user_id
    return user_id


def anonymous(request: web.Request) -> None:
    """An anonymous (CallMe) request carries no credentials: the resource it names is its own
    capability. Credentials that are present are checked anyway and cannot belong to it."""
    user_id = link_credentials(request)
    if user_id is not None:
        raise Forbidden("User %1 cannot act on anonymous resources", user_id)


async def subscribe(request: web.Request) -> web.Response:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    realm = request.query.get("tokenrealm")
    if mode == "anonymous":
        anonymous(request)
        state.link.resolve_anonymous_account(account, realm)  # the callee must exist
        owner = None
    else:
        owner = link_user(request)
    body = await read_json(request)
    subscription = state.link.subscribe(mode, account, body, owner=owner, realm=realm)
    return json_response(state.link.response(subscription), status=200)


async def refresh(request: web.Request) -> web.Response:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    if mode == "user":
        link_user(request)
    else:
        anonymous(request)
    subscription = state.link.refresh(mode, account, request.match_info["sub"], await read_json(request))
    return json_response({"subscribeResponse": {"statusCode": 0, "subscriptionParams": {
        "service": subscription.services, "expires": subscription.expires}}})


async def unsubscribe(request: web.Request) -> web.Response:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    if mode == "user":
        link_user(request)
    else:
        anonymous(request)
    await state.link.unsubscribe(mode, account, request.match_info["sub"])
    return json_response({"subscribeResponse": {"statusCode": 0}})


async def websocket(request: web.Request) -> web.StreamResponse:
    """Without credentials the channel id is the capability (the official Link and CallMe SDKs open
    the socket with none); credentials that are present must be the channel owner's."""
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    subscription, endpoint = state.link.channel(mode, account, request.match_info["channel"])
    if mode == "anonymous":
        anonymous(request)
        return await serve_channel(request, endpoint, state)
    user_id = link_credentials(request)
    if user_id is not None:
        if user_id != subscription.owner:
            raise Forbidden("User %1 cannot open the channel of %2", user_id, subscription.owner)
        request[USER_KEY] = user_id
    return await serve_channel(request, endpoint, state)
