"""Scenario 2: chat both ways between the official CPaaS SDK (in Chromium) and our Python SDK.

1:1 and group conversations, typing indicators. Each side is checked through its own documented
API: the events (``conversations:new``, ``conversations:change``, ``messages:change``,
``isTypingList:change``) and the conversation's ``getMessages()`` / ``isTypingList``.

The official 4.9.0 build keys a conversation by an *array* of destinations (``destination: [id]``
in its events and objects); ours by the string. Texts carry non-ASCII characters to show that the
parts arrive byte for byte.
"""

from __future__ import annotations

from typing import Any

from fake_platform import Platform
from kandy_testing.plugin import ClientFactory
from sdk.cpaas.conversation import chatTypes

from .browser import Browser, BrowserApp
from .official_cpaas import assert_no_sdk_trouble, open_cpaas

SERVICES = ["chat"]
ONE_TO_ONE, GROUP = chatTypes.ONETOONE, chatTypes.GROUP

# Send one text message from the official app through conversation (to, type); resolves when sent.
OFFICIAL_SEND = """([to, type, text]) => {
    const convo = client.conversation.get(to, {type}) || client.conversation.create(to, {type});
    return convo.createMessage({type: 'text', text}).send();
}"""
# The official app's messages of conversation (with, type): plain objects.
OFFICIAL_MESSAGES = """([id, type]) => {
    const convo = client.conversation.get(id, {type});
    return convo ? harness.plain(convo.getMessages()) : null;
}"""
OFFICIAL_CONVERSATION = "([id, type]) => harness.plain(client.conversation.get(id, {type}) || null)"


def _texts(messages: list[dict[str, Any]]) -> list[str]:
    return [p["text"] for m in messages for p in m["parts"] if p["type"] == "text"]


async def _official_messages(app: BrowserApp, with_: str, type_: str = ONE_TO_ONE) -> list[dict[str, Any]]:
    messages = await app.js(OFFICIAL_MESSAGES, [with_, type_])
    assert messages is not None, f"the official app has no {type_} conversation with {with_}"
    return messages


async def test_one_to_one_message_from_the_official_sdk_reaches_python(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=SERVICES)
    app = await open_cpaas(browser, platform, alice, SERVICES)
    bob_id, text = bob.account.user_id, "héllo from the browser ✓ 日本"

    await app.js(OFFICIAL_SEND, [bob_id, ONE_TO_ONE, text])
    new = await app.wait_event("conversations:new")
    assert new["payload"] == {"destination": [bob_id], "type": ONE_TO_ONE}
    sent = (await app.wait_event("messages:change", lambda p: bool(p.get("messageId"))))["payload"]
    assert sent["destination"] == [bob_id] and sent["type"] == ONE_TO_ONE and sent["sender"] == alice.user_id
    [own] = await _official_messages(app, bob_id)
    assert own["messageId"] == sent["messageId"] and own["sender"] == alice.user_id
    assert own["parts"] == [{"type": "text", "text": text}]

    new_there = await bob.recorder.wait("conversations:change", lambda p: p.get("destination") == alice.user_id)
    assert new_there["type"] == ONE_TO_ONE
    received = await bob.recorder.wait("messages:change", lambda p: p.get("sender") == alice.user_id)
    assert received["destination"] == alice.user_id and received["type"] == ONE_TO_ONE
    conversation = bob.conversation.get(alice.user_id)
    [copy] = conversation.getMessages()
    assert copy.messageId == received["messageId"] != sent["messageId"]  # each mailbox has its own id
    assert copy.sender == alice.user_id and copy.text == text
    assert [p["text"] for p in copy.parts if p["type"] == "text"] == [text]
    assert conversation.lastMessage == text

    await conversation.fetchMessages(10)  # the platform's history holds the same message
    assert [m.text for m in conversation.getMessages()] == [text]
    assert_no_sdk_trouble(browser, platform)


async def test_one_to_one_message_from_python_reaches_the_official_sdk_and_the_reply_comes_back(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=SERVICES)
    app = await open_cpaas(browser, platform, alice, SERVICES)
    bob_id, text, reply = bob.account.user_id, "Grüße from Python — ½ ✓", "réponse du navigateur"

    conversation = bob.conversation.create(alice.user_id)
    created = await bob.recorder.wait("conversations:new")
    assert created == {"destination": alice.user_id, "type": ONE_TO_ONE}
    sent = await conversation.createMessage({"type": "text", "text": text}).send()
    assert sent.deliveryStatus == "Delivered" and sent.sender == bob_id
    await bob.recorder.wait("messages:change", lambda p: p.get("messageId") == sent.messageId)

    arrived = (await app.wait_event("conversations:change"))["payload"]
    assert arrived["destination"] == [bob_id] and arrived["type"] == ONE_TO_ONE and arrived["messageId"]
    [copy] = await _official_messages(app, bob_id)
    assert copy["messageId"] == arrived["messageId"] and copy["sender"] == bob_id
    assert copy["parts"] == [{"type": "text", "text": text}]
    official = await app.js(OFFICIAL_CONVERSATION, [bob_id, ONE_TO_ONE])
    assert official["destination"] == [bob_id] and isinstance(official["lastReceived"], int | float)

    since = await app.mark()
    await app.js(OFFICIAL_SEND, [bob_id, ONE_TO_ONE, reply])
    # An existing conversation: messages:change (not conversations:change) on both sides.
    await app.wait_event("messages:change", lambda p: p.get("sender") == alice.user_id, since=since)
    back = await bob.recorder.wait("messages:change", lambda p: p.get("sender") == alice.user_id)
    assert back["destination"] == alice.user_id
    assert [m.text for m in conversation.getMessages()] == [text, reply]
    assert _texts(await _official_messages(app, bob_id)) == [text, reply]
    assert not bob.recorder.of("conversations:change")

    # The official app rebuilds the conversation from the platform: list, then history.
    since = await app.mark()
    await app.js("() => client.conversation.fetch()")
    listed = (await app.wait_event("conversations:change", lambda p: isinstance(p, list), since=since))["payload"]
    assert {"destination": [bob_id], "type": ONE_TO_ONE} in listed
    since = await app.mark()
    await app.js("to => client.conversation.get(to).clearMessages()", bob_id)
    await app.wait_event("messages:change", since=since)
    assert await _official_messages(app, bob_id) == []
    since = await app.mark()
    await app.js("to => client.conversation.get(to).fetchMessages()", bob_id)
    await app.wait_event("messages:change", lambda p: p == {"destination": [bob_id], "type": ONE_TO_ONE},
                         since=since)
    history = await _official_messages(app, bob_id)
    assert [(m["sender"], m["parts"]) for m in history] == [
        (bob_id, [{"type": "text", "text": text}]), (alice.user_id, [{"type": "text", "text": reply}])]
    assert_no_sdk_trouble(browser, platform)


async def test_typing_indicators_cross_both_ways(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=SERVICES)
    app = await open_cpaas(browser, platform, alice, SERVICES)
    bob_id = bob.account.user_id
    await app.js("to => { client.conversation.create(to); }", bob_id)
    conversation = bob.conversation.create(alice.user_id)

    # Official → Python: setIsTyping(true) then (false).
    await app.js("to => client.conversation.get(to).setIsTyping(true)", bob_id)
    local = (await app.wait_event("isTypingList:change"))["payload"]
    assert local == {"destination": [bob_id], "sender": alice.user_id, "type": ONE_TO_ONE, "state": "active"}
    typing = await bob.recorder.wait("isTypingList:change", lambda p: p.get("sender") == alice.user_id)
    assert typing["state"] == "active" and typing["destination"] == alice.user_id and typing["type"] == ONE_TO_ONE
    assert conversation.isTypingList == [alice.user_id]
    mark = bob.recorder.mark
    since = await app.mark()
    await app.js("to => client.conversation.get(to).setIsTyping(false)", bob_id)
    idle = await bob.recorder.wait("isTypingList:change", lambda p: p.get("state") == "idle", since=mark)
    assert idle["sender"] == alice.user_id and conversation.isTypingList == []
    # The official SDK drops its own user from its list when the platform has answered it, which
    # may come after the platform notified us: its own idle event says it has.
    await app.wait_event("isTypingList:change", lambda p: p.get("state") == "idle", since=since)

    # Python → official.
    since = await app.mark()
    await conversation.setIsTyping(True)
    remote = (await app.wait_event("isTypingList:change", lambda p: p.get("sender") == bob_id, since=since))
    assert remote["payload"] == {"destination": [bob_id], "sender": bob_id, "type": ONE_TO_ONE, "state": "active"}
    assert (await app.js(OFFICIAL_CONVERSATION, [bob_id, ONE_TO_ONE]))["isTypingList"] == [bob_id]
    since = await app.mark()
    await conversation.setIsTyping(False)
    await app.wait_event("isTypingList:change", lambda p: p.get("state") == "idle", since=since)
    assert (await app.js(OFFICIAL_CONVERSATION, [bob_id, ONE_TO_ONE]))["isTypingList"] == []
    assert_no_sdk_trouble(browser, platform)


async def _official_sends_in_group(app: BrowserApp, official_user: str, python: Any, group_id: str,
                                   text: str) -> None:
    since, mark = await app.mark(), python.recorder.mark
    await app.js(OFFICIAL_SEND, [group_id, GROUP, text])
    sent = (await app.wait_event("messages:change", lambda p: bool(p.get("messageId")), since=since))["payload"]
    assert sent["destination"] == [group_id] and sent["type"] == GROUP and sent["sender"] == official_user
    received = await python.recorder.wait(
        "messages:change", lambda p: p.get("type") == GROUP and p.get("sender") == official_user, since=mark)
    assert received["destination"] == group_id
    copy = python.conversation.get(group_id, {"type": GROUP}).getMessage(received["messageId"])
    assert (copy.sender, copy.text) == (official_user, text)


async def _python_sends_in_group(app: BrowserApp, python: Any, group_id: str, text: str) -> None:
    python_user = python.account.user_id
    new = await app.js(OFFICIAL_CONVERSATION, [group_id, GROUP]) is None
    since = await app.mark()
    conversation = python.conversation.get(group_id, {"type": GROUP}) or python.conversation.create(
        group_id, {"type": GROUP})
    sent = await conversation.createMessage({"type": "text", "text": text}).send()
    assert sent.deliveryStatus == "Delivered"
    # The first message of a conversation the official app does not know yet creates it.
    event = "conversations:change" if new else "messages:change"
    arrived = (await app.wait_event(event, lambda p: p.get("type") == GROUP, since=since))["payload"]
    assert arrived["destination"] == [group_id] and arrived["messageId"]
    messages = await _official_messages(app, group_id, GROUP)
    copy = next(m for m in messages if m["messageId"] == arrived["messageId"])
    assert copy["sender"] == python_user and copy["parts"] == [{"type": "text", "text": text}]


async def _typing_in_group(app: BrowserApp, official_user: str, python: Any, group_id: str) -> None:
    python_user = python.account.user_id
    conversation = python.conversation.get(group_id, {"type": GROUP})
    since = await app.mark()
    await conversation.setIsTyping(True)
    typing = await app.wait_event("isTypingList:change", lambda p: p.get("sender") == python_user, since=since)
    assert typing["payload"] == {"destination": [group_id], "sender": python_user, "type": GROUP, "state": "active"}
    await app.js("id => client.conversation.get(id, {type: 'chat-group'}).setIsTyping(true)", group_id)
    remote = await python.recorder.wait("isTypingList:change",
                                        lambda p: p.get("sender") == official_user and p.get("type") == GROUP)
    assert remote["destination"] == group_id and remote["state"] == "active"
    assert conversation.isTypingList == [official_user]


async def test_group_chat_in_a_group_the_official_sdk_created(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=SERVICES)
    app = await open_cpaas(browser, platform, alice, SERVICES)

    # 4.9.0 reads participant.address although the document gives User ID strings: pass objects
    # (tests/interop/README.md).
    await app.js("to => client.groups.create({name: 'Interop', subject: 'both SDKs', type: 'closed', "
                 "participants: [{address: to}]})", bob.account.user_id)
    group_id = (await app.wait_event("group:new"))["payload"]["id"]
    invitation = (await bob.recorder.wait("group:invitation_received"))["invitation"]
    assert invitation["id"] == group_id
    since = await app.mark()
    await bob.groups.acceptInvitation(group_id)
    await bob.recorder.wait("group:change", lambda p: p.get("id") == group_id and "error" not in p)
    await app.wait_event("group:change", lambda p: p.get("id") == group_id, since=since)

    await _official_sends_in_group(app, alice.user_id, bob, group_id, "groupe : bonjour à tous ✓")
    await _python_sends_in_group(app, bob, group_id, "Gruppe: hallo zusammen — ✓")
    texts = _texts(await _official_messages(app, group_id, GROUP))
    assert texts == ["groupe : bonjour à tous ✓", "Gruppe: hallo zusammen — ✓"]
    await _typing_in_group(app, alice.user_id, bob, group_id)
    assert_no_sdk_trouble(browser, platform)


async def test_group_chat_in_a_group_python_created(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=SERVICES)
    app = await open_cpaas(browser, platform, alice, SERVICES)

    await bob.groups.create({"name": "Interop", "type": "closed", "participants": [alice.user_id]})
    group_id = (await bob.recorder.wait("group:new"))["id"]
    invitation = (await app.wait_event("group:invitation_received"))["payload"]["invitation"]
    assert invitation["id"] == group_id
    mark = bob.recorder.mark
    await app.js("id => client.groups.acceptInvitation(id)", group_id)
    await app.wait_event("group:change", lambda p: p.get("id") == group_id)
    await bob.recorder.wait("group:change", lambda p: p.get("id") == group_id, since=mark)

    # Python speaks first here: the official app learns of the group conversation from the message.
    await _python_sends_in_group(app, bob, group_id, "première ligne ✓")
    await _official_sends_in_group(app, alice.user_id, bob, group_id, "zweite Zeile — ✓")
    conversation = bob.conversation.get(group_id, {"type": GROUP})
    assert [m.text for m in conversation.getMessages()] == ["première ligne ✓", "zweite Zeile — ✓"]
    assert _texts(await _official_messages(app, group_id, GROUP)) == ["première ligne ✓", "zweite Zeile — ✓"]
    await _typing_in_group(app, alice.user_id, bob, group_id)
    assert_no_sdk_trouble(browser, platform)
