"""SMS with the official CPaaS SDK: an inbound SMS (injected through the platform's control plane)
reaches it on its smsinbound subscription, and an SMS it sends lands in the platform's SMS outbox
with a delivery receipt back to it (the 4.9.0 build
emits messages:change for the receipt; its message objects do not show a delivery status)."""

from __future__ import annotations

import ssl

import aiohttp

from fake_platform import Platform
from sdk.cpaas.conversation import chatTypes

from .browser import Browser
from .official_cpaas import assert_no_sdk_trouble, open_cpaas

OUTSIDE_NUMBER = "+16135550123"


async def _control(platform: Platform, method: str, path: str, body: dict | None = None) -> dict:
    context = ssl.create_default_context(cafile=platform.ca_file)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        async with session.request(method, f"{platform.url}/_platform{path}", json=body) as response:
            assert response.status < 300, await response.text()
            return await response.json()


async def test_official_sdk_receives_and_sends_sms(platform: Platform, browser: Browser) -> None:
    alice = await platform.users.create()
    app = await open_cpaas(browser, platform, alice, ["smsinbound"])
    await app.js("number => client.updateConfig({messaging: {smsFrom: number}})", alice.phone_number)

    text_in = "Your code is 4711 ✓"
    await _control(platform, "POST", "/sms/inbound",
                   {"to": alice.user_id, "from": OUTSIDE_NUMBER, "message": text_in})
    change = await app.wait_event("conversations:change", lambda p: p.get("type") == chatTypes.SMS)
    assert change["payload"]["destination"] == [OUTSIDE_NUMBER] and change["payload"]["messageId"], change
    messages = await app.js("""([to, type]) => harness.plain(client.conversation.get(to, {type}).getMessages())""",
                            [OUTSIDE_NUMBER, chatTypes.SMS])
    assert [p["text"] for m in messages for p in m["parts"] if p["type"] == "text"] == [text_in]

    text_out = "Thanks, received."
    since = await app.mark()
    await app.js("([to, type, text]) => client.conversation.get(to, {type}).createMessage({type: 'text', text}).send()",
                 [OUTSIDE_NUMBER, chatTypes.SMS, text_out])
    # The send's messages:change carries the platform's message id; the delivery receipt that
    # follows (deliveryInfoNotification) updates that same message: a second messages:change.
    sent_event = await app.wait_event("messages:change", lambda p: p.get("type") == chatTypes.SMS
                                      and bool(p.get("sender")), since=since)
    message_id = sent_event["payload"]["messageId"]
    assert message_id and sent_event["payload"]["sender"] == alice.user_id
    outbox = (await _control(platform, "GET", "/sms/outbox"))["messages"]
    sent = [m for m in outbox if text_out in str(m)]
    assert sent and OUTSIDE_NUMBER in str(sent[0]) and alice.phone_number in str(sent[0]), outbox
    await app.wait_event("messages:change", lambda p: p.get("messageId") == message_id and "sender" not in p,
                         since=since)
    receipts = [e["body"]["deliveryInfoNotification"]["deliveryInfo"] for e in platform.journal(kind="ws-out")
                if "deliveryInfoNotification" in (e.get("body") or {})]
    assert receipts == [{"address": OUTSIDE_NUMBER, "messageId": message_id, "deliveryStatus": "DeliveredToTerminal"}]
    stored = await app.js("([to, type]) => harness.plain(client.conversation.get(to, {type}).getMessages())",
                          [OUTSIDE_NUMBER, chatTypes.SMS])
    assert [m["messageId"] for m in stored][-1] == message_id
    assert_no_sdk_trouble(browser, platform)
