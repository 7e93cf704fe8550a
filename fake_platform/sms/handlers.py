"""HTTP side of SMS (cpaas-wire §4.4): send, conversation list, history, deletes."""

from __future__ import annotations

import functools
from typing import Any

from aiohttp import web

from ..doors import CORS_HEADERS
from ..http import cpaas_user, json_response, no_content, read_json, relay_delay, state_of, wrapped
from .models import SmsMessage

_BASE = "/cpaas/smsmessaging/v1"


def _message_url(message: SmsMessage) -> str:
    return f"{_BASE}/{message.owner}/remoteAddresses/{message.remote}/localAddresses/{message.local}/messages/" \
           f"{message.id}"


def _message_body(message: SmsMessage) -> dict[str, Any]:
    inbound = message.direction == "inbound"
    return {"resourceURL": _message_url(message), "messageId": message.id, "message": message.text,
            "senderAddress": message.remote if inbound else message.local,
            "destinationAddress": message.local if inbound else message.remote,
            "dateTime": message.date_time, "direction": message.direction, "deliveryStatus": message.status}


async def send(request: web.Request) -> web.StreamResponse:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "outboundSMSMessageRequest")
    text_part = body.get("outboundSMSTextMessage")
    sms = state_of(request).sms
    messages, receipts = sms.send(user, request.match_info["from"], body.get("address"),
                                  text_part.get("message") if isinstance(text_part, dict) else None)
    first = messages[0]
    response = json_response({"outboundSMSMessageRequest": {
        "address": [m.remote for m in messages],
        "clientCorrelator": body.get("clientCorrelator"),
        "senderAddress": first.local,
        "outboundSMSTextMessage": {"message": first.text},
        "deliveryInfoList": {
            "deliveryInfo": [{"address": m.remote, "deliveryStatus": m.status} for m in messages],
            "resourceURL": f"{_BASE}/{user}/remoteAddresses/{first.remote}/messages/{first.id}/deliveryInfos"},
        "resourceURL": _message_url(first),
    }}, status=201)
    # The receipts follow the answer, so that the SDK knows the message id before they arrive: a
    # browser may read a websocket message before the response it came after, hence the relay delay.
    response.headers.update(CORS_HEADERS)
    await response.prepare(request)
    await response.write_eof()
    progress = state_of(request).progress
    for receipt in receipts:
        progress.later("relay_delay", functools.partial(sms.send_receipt, receipt), seconds=relay_delay(request))
    return response


async def threads(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    result = []
    for (_owner, remote, local), messages in state_of(request).sms.threads_of(user):
        last = next(reversed(messages.values()), None)
        result.append({"remoteAddress": remote, "localAddress": local, "messagesCount": len(messages),
                       "lastMessage": _message_body(last) if last else None,
                       "resourceURL": f"{_BASE}/{user}/remoteAddresses/{remote}/localAddresses/{local}"})
    return json_response({"smsThreadList": {"smsThread": result}})


async def history(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    info = request.match_info
    messages = state_of(request).sms.history(user, info["remote"], info["local"])
    return json_response({"smsMessageList": {"smsMessage": [_message_body(m) for m in messages]}})


async def delete_thread(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    state_of(request).sms.delete_thread(user, request.match_info["remote"], request.match_info["local"])
    return no_content()


async def delete_message(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    info = request.match_info
    state_of(request).sms.delete_message(user, info["remote"], info["local"], info["message"])
    return no_content()
