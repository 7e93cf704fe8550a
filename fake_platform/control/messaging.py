"""Control-plane handlers for messaging: inject an inbound SMS, read the SMS outbox."""

from __future__ import annotations

from aiohttp import web

from ..core.errors import InvalidInput, NotFound
from ..http import json_response, read_json, state_of


async def inbound_sms(request: web.Request) -> web.Response:
    """An SMS from the outside world arrives: `{to: userId or number, from: "+1...", message}`."""
    state = state_of(request)
    body = await read_json(request)
    to, sender, text = body.get("to"), body.get("from"), body.get("message")
    if not isinstance(to, str) or not isinstance(sender, str) or not isinstance(text, str):
        raise InvalidInput("to, from and message are required strings")
    user = state.users.find(to)
    if user is None or user.kind != "user":
        raise NotFound("User %1 not found", to)
    message = state.sms.receive(user.user_id, sender, text)
    return json_response({"messageId": message.id, "to": user.user_id, "destinationAddress": message.local},
                         status=201)


async def sms_outbox(request: web.Request) -> web.Response:
    """SMS sent by users to numbers outside the platform."""
    return json_response({"messages": list(state_of(request).sms.outbox)})
