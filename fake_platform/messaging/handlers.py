"""HTTP side of chat (cpaas-wire §4.3): send or type, list conversations, history, deletes."""

from __future__ import annotations

from aiohttp import web

from ..core.errors import InvalidInput
from ..core.text import decimal
from ..http import cpaas_user, json_response, no_content, read_json, state_of
from .models import GROUP, ONE_TO_ONE

MAX_HISTORY = 1000


def _target(request: web.Request) -> tuple[str, str]:
    if "group" in request.match_info:
        return GROUP, request.match_info["group"].lower()
    return ONE_TO_ONE, request.match_info["dest"].lower()


async def post_message(request: web.Request) -> web.Response:
    """A chat message, or an ``isComposing`` state: both are POSTed to the messages URL."""
    user = cpaas_user(request)
    kind, target = _target(request)
    body = await read_json(request)
    messaging = state_of(request).messaging
    if isinstance(body.get("isComposing"), dict):
        return json_response({"isComposing": messaging.compose(user, kind, target, body["isComposing"])})
    chat = body.get("chatMessage")
    if not isinstance(chat, dict):
        raise InvalidInput("Invalid input value for message part %1", "chatMessage")
    session, message = messaging.send(user, kind, target, chat)
    ver = request.match_info["ver"]
    return json_response({"chatMessage": {
        "resourceURL": session.message_path(message.id, ver), "senderAddress": message.sender,
        "x-destinationAddress": message.destination, "dateTime": message.date_time, "status": message.status,
        **({"text": message.text} if message.text is not None else {}),
    }}, status=201)


async def sessions(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    kind = GROUP if request.path.rstrip("/").endswith("/group/sessions") else ONE_TO_ONE
    messaging = state_of(request).messaging
    return json_response({"chatSessionList": {
        "chatSession": [messaging.session_body(s) for s in messaging.sessions(user, kind)]}})


async def history(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    kind, target = _target(request)
    limit = _limit(request)
    messaging = state_of(request).messaging
    session, messages = messaging.history(user, kind, target, limit)
    ver = request.match_info["ver"]
    return json_response({"chatMessageList": {
        "chatMessage": [messaging.message_body(session, m, ver) for m in messages],
        "resourceURL": f"{session.base_path(ver)}/messages"}})


async def delete_conversation(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    kind, target = _target(request)
    state_of(request).messaging.delete_session(user, kind, target)
    return no_content()


async def delete_message(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    kind, target = _target(request)
    state_of(request).messaging.delete_message(user, kind, target, request.match_info["message"])
    return no_content()


def _limit(request: web.Request) -> int | None:
    raw = request.query.get("max")
    if raw is None:
        return None
    value = decimal(raw)
    if value is None or not 1 <= value <= MAX_HISTORY:
        raise InvalidInput("Invalid input value for message part %1", "max")
    return value
