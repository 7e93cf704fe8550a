"""Steps for the CPaaS features: messaging, SMS, presence, groups, contacts and the directory.

Names ("Alice") are platform users with one CPaaS client each; groups are named in the steps and
their ids kept in ``world.values["groups"]``. Each step is one SDK or platform call, or one check;
waits go through the event recorder with a timeout.
"""

from __future__ import annotations

import io
import os
from typing import Any

from pytest_bdd import given, parsers, then, when

from sdk.cpaas.conversation import Conversation, chatTypes
from sdk.cpaas.messages import MessageSender
from sdk.cpaas.presence import activities, statuses

from ..world import World
from .common import names, parse_value

# Fast, unlimited reconnects: "offline" scenarios control the outage with platform faults.
CLIENT_CONFIG = {"connectivity": {"reconnectDelay": 200, "reconnectLimit": 0}}


# -- helpers -----------------------------------------------------------------------------------
def _client(world: World, name: str) -> Any:
    return world.actor(name).client


def _uid(world: World, name: str) -> str:
    return world.user(name).user_id


def _phone(world: World, name: str) -> str:
    return world.user(name).phone_number


def _chat_type(label: str) -> str:
    return getattr(chatTypes, label)


def _destination(world: World, other: str, label: str) -> str:
    """Where a conversation of type ``label`` with ``other`` goes: their id, the group, their number."""
    if label == "GROUP":
        return world.values["chat_group"]
    return _phone(world, other) if label == "SMS" else _uid(world, other)


def _sender(world: World, name: str, label: str) -> str:
    return _phone(world, name) if label == "SMS" else _uid(world, name)


def _group_id(world: World, group: str) -> str:
    return world.values.setdefault("groups", {})[group]


def _conversation(world: World, name: str, destination: str, chat_type: str) -> Conversation:
    found = world.call(_client(world, name).conversation.get, destination, {"type": chat_type})
    assert found is not None, f"{name} has no {chat_type} conversation with {destination}"
    return found


def _texts(conversation: Conversation) -> list[str]:
    return [m.text for m in conversation.getMessages()]


def _find_message(world: World, name: str, text: str) -> MessageSender | None:
    for conversation in _client(world, name).conversation.getAll():
        for message in conversation.getMessages():
            if message.text == text:
                return message
    return None


def _message(world: World, name: str, text: str) -> MessageSender:
    found = world.call(_find_message, world, name, text)
    assert found is not None, f"{name} has no message {text!r}"
    return found


def _mark(world: World, name: str) -> int:
    mark = world.actor(name).recorder.mark
    world.values[f"mark:{name}"] = mark
    return mark


def _since(world: World, name: str) -> int:
    return world.values.get(f"mark:{name}", 0)


def _send(world: World, name: str, destination: str, chat_type: str, text: str) -> MessageSender:
    client = _client(world, name)

    async def send() -> MessageSender:
        conversation = client.conversation.create(destination, {"type": chat_type})
        return await conversation.createMessage({"type": "text", "text": text}).send()

    return world.run(send())


def _wait_message(world: World, name: str, text: str, destination: str, chat_type: str, sender: str) -> Any:
    client = _client(world, name)

    def arrived(params: dict[str, Any]) -> bool:
        if params.get("destination") != destination.lower() or params.get("type") != chat_type:
            return False
        conversation = client.conversation.get(destination, {"type": chat_type})
        message = conversation.getMessage(params.get("messageId", "")) if conversation else None
        return message is not None and message.text == text and message.sender == sender.lower()

    return world.wait_event(name, "messages:change", arrived)


def _channels(world: World, name: str) -> list[Any]:
    assert world.platform is not None
    return world.platform.state.hub.channels_of(_uid(world, name), "cpaas")


# -- users and clients -------------------------------------------------------------------------
@given(parsers.re(r'(?P<who>[\w, ]+?) (?:is a cpaas user|are cpaas users) subscribed to "(?P<services>[^"]*)"'))
def cpaas_users(world: World, who: str, services: str) -> None:
    for name in names(who):
        world.create_client(name, "cpaas", config=CLIENT_CONFIG)
        world.sign_in(name)
        world.call(world.actor(name).client.services.subscribe, names(services))
        subscribed = world.call(world.actor(name).client.services.getSubscriptions)["subscribed"]
        assert sorted(subscribed) == sorted(names(services)), f"{name}: {subscribed}"


@given(parsers.re(r'(?P<name>\w+) has a second cpaas client "(?P<device>\w+)" subscribed to "(?P<services>[^"]*)"'))
def second_device(world: World, name: str, device: str, services: str) -> None:
    world.users[device] = world.user(name)
    cpaas_users(world, device, services)


# -- conversations -----------------------------------------------------------------------------
@then("the conversation chat types are:")
def chat_types(world: World, datatable: list[list[str]]) -> None:
    namespace = next(iter(world.actors.values())).client.conversation
    assert {row[0]: getattr(namespace.chatTypes, row[0]) for row in datatable} == dict(datatable)


@given(parsers.re(r"(?P<name>\w+) creates an? (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"))
@when(parsers.re(r"(?P<name>\w+) creates an? (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"))
def create_conversation(world: World, name: str, label: str, other: str) -> None:
    world.call(_client(world, name).conversation.create, _destination(world, other, label),
               {"type": _chat_type(label)})


@given(parsers.re(r"(?P<name>\w+) has an? (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"))
def has_conversation(world: World, name: str, label: str, other: str) -> None:
    if label == "GROUP":
        created_group(world, name, "Chat group", other)
        accepted(world, other, "Chat group")
        world.values["chat_group"] = _group_id(world, "Chat group")
    create_conversation(world, name, label, other)


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" for (?:her|his) (?P<label>[A-Z]+) conversation with '
                 r'(?P<other>\w+)$'))
def receives_for_conversation(world: World, name: str, event: str, label: str, other: str) -> None:
    destination = _destination(world, other, label)
    world.wait_event(name, event, lambda p: p.get("destination") == destination and p.get("type") == _chat_type(label))


@then(parsers.re(r"(?P<name>\w+)'s (?P<label>[A-Z]+) conversation with (?P<other>\w+) is available with get and "
                 r"getAll"))
def conversation_available(world: World, name: str, label: str, other: str) -> None:
    conversation = _conversation(world, name, _destination(world, other, label), _chat_type(label))
    assert conversation in world.call(_client(world, name).conversation.getAll)
    assert (conversation.type, conversation.address) == (_chat_type(label), _uid(world, name))


@then(parsers.re(r"creating it again gives (?P<name>\w+) the same conversation"))
def same_conversation(world: World, name: str) -> None:
    client = _client(world, name)
    first = client.conversation.getAll()[0]
    again = world.call(client.conversation.create, first.destination.upper(), {"type": first.type})
    assert again is first and len(client.conversation.getAll()) == 1


@then(parsers.re(r"(?P<name>\w+) has no (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"))
def no_conversation(world: World, name: str, label: str, other: str) -> None:
    destination = _destination(world, other, label)
    client = _client(world, name)
    assert world.call(client.conversation.get, destination, {"type": _chat_type(label)}) is None
    assert all(c.destination != destination for c in client.conversation.getAll())


@when(parsers.re(r'(?P<name>\w+) fetches (?:her|his) (?P<label>[A-Z]+) conversations'))
def fetch_conversations(world: World, name: str, label: str) -> None:
    world.call(_client(world, name).conversation.fetch, {"type": _chat_type(label)})


@then(parsers.re(r'(?P<name>\w+) receives "conversations:change" listing (?:her|his) (?P<label>[A-Z]+) conversation '
                 r'with (?:"(?P<number>[^"]+)"|(?P<other>\w+))$'))
def conversations_listed(world: World, name: str, label: str, number: str | None, other: str | None) -> None:
    destination = number or _destination(world, str(other), label)
    wanted = {"destination": destination, "type": _chat_type(label)}
    world.wait_event(name, "conversations:change", lambda p: wanted in (p.get("conversations") or []))


# -- sending and receiving ---------------------------------------------------------------------
@given(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" to (?P<other>\w+)$'))
@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" to (?P<other>\w+)$'))
def send_text(world: World, name: str, text: str, other: str) -> None:
    _send(world, name, _uid(world, other), chatTypes.ONETOONE, text)


@given(parsers.re(r'(?P<name>\w+) sends "(?P<texts>[^"]+)" to (?P<other>\w+) one by one'))
@when(parsers.re(r'(?P<name>\w+) sends "(?P<texts>[^"]+)" to (?P<other>\w+) one by one'))
def send_texts(world: World, name: str, texts: str, other: str) -> None:
    for text in names(texts):
        _send(world, name, _uid(world, other), chatTypes.ONETOONE, text)


@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" to "(?P<address>[^"]+)"'))
def send_to_address(world: World, name: str, text: str, address: str) -> None:
    _send(world, name, address, chatTypes.ONETOONE, text)


@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" in (?:her|his) (?P<label>[A-Z]+) conversation with '
                 r'(?P<other>\w+)'))
def send_in_conversation(world: World, name: str, text: str, label: str, other: str) -> None:
    _send(world, name, _destination(world, other, label), _chat_type(label), text)


@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" in the group "(?P<group>[^"]+)"'))
def send_in_group(world: World, name: str, text: str, group: str) -> None:
    _send(world, name, _group_id(world, group), chatTypes.GROUP, text)


@given(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+)$'))
@then(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+)$'))
def receives_message(world: World, name: str, text: str, other: str) -> None:
    _wait_message(world, name, text, _uid(world, other), chatTypes.ONETOONE, _uid(world, other))


@then(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+) in an? (?P<label>[A-Z]+) '
                 r'conversation'))
def receives_typed_message(world: World, name: str, text: str, other: str, label: str) -> None:
    _wait_message(world, name, text, _destination(world, other, label), _chat_type(label),
                  _sender(world, other, label))


@then(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+) in the group '
                 r'"(?P<group>[^"]+)"'))
def receives_group_message(world: World, name: str, text: str, other: str, group: str) -> None:
    _wait_message(world, name, text, _group_id(world, group), chatTypes.GROUP, _uid(world, other))


@then(parsers.re(r'(?P<name>\w+) receives the messages "(?P<texts>[^"]+)" from (?P<other>\w+) in this order'))
def receives_messages_in_order(world: World, name: str, texts: str, other: str) -> None:
    events = [_wait_message(world, name, t, _uid(world, other), chatTypes.ONETOONE, _uid(world, other))
              for t in names(texts)]
    ids = [e["messageId"] for e in events]
    order = [p["messageId"] for t, p in world.actor(name).client.event_history
             if t == "messages:change" and p.get("messageId") in ids and "sender" in p]
    assert order == ids, f"arrival order {order}, expected {ids}"


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has delivery status "(?P<status>\w+)"'))
def delivery_status(world: World, name: str, text: str, status: str) -> None:
    def reached(_params: dict[str, Any]) -> bool:
        message = _find_message(world, name, text)
        return message is not None and message.deliveryStatus == status

    world.wait_event(name, "messages:change", reached)
    assert _message(world, name, text).isPending is False


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has the documented fields as sent by (?P<me>\w+)'))
def sent_fields(world: World, name: str, text: str, me: str) -> None:
    message = _message(world, name, text)
    assert message.sender == _uid(world, me) and message.type == chatTypes.ONETOONE
    assert (message.isPending, message.read, message.deliveryStatus) == (False, False, "Delivered")
    assert message.parts == [{"type": "text", "text": text}]
    assert not message.messageId.startswith("local-")
    _check_timestamp(world, message)


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has the documented fields as received from '
                 r'(?P<other>\w+)'))
def received_fields(world: World, name: str, text: str, other: str) -> None:
    message = _message(world, name, text)
    assert message.sender == _uid(world, other) and message.type == chatTypes.ONETOONE
    assert (message.isPending, message.read) == (False, False)
    assert message.parts == [{"type": "text", "text": text}]
    _check_timestamp(world, message)


def _check_timestamp(world: World, message: MessageSender) -> None:
    now = world.call(lambda: world.actors[next(iter(world.actors))].client.clock.wall())
    assert isinstance(message.timestamp, float) and abs(now - message.timestamp) < 60, \
        f"timestamp {message.timestamp} is not seconds since the epoch (now {now})"


@then(parsers.re(r'the two copies of "(?P<text>[^"]+)" have different message ids'))
def different_ids(world: World, text: str) -> None:
    copies = [m.messageId for n in world.actors if (m := world.call(_find_message, world, n, text)) is not None]
    assert len(copies) == 2 and copies[0] != copies[1], copies


# -- message parts and files -------------------------------------------------------------------
@when(parsers.re(r'(?P<name>\w+) creates a message "(?P<text>[^"]+)" for (?P<other>\w+)$'))
def create_message(world: World, name: str, text: str, other: str) -> None:
    _mark(world, name)
    conversation = _conversation(world, name, _uid(world, other), chatTypes.ONETOONE)
    world.values["draft"] = world.call(conversation.createMessage, {"type": "text", "text": text})


@when(parsers.re(r"(?P<name>\w+) adds a JSON part (?P<value>\{.*\}) to the message"))
def add_json(world: World, name: str, value: str) -> None:
    world.call(world.values["draft"].addPart, {"type": "json", "json": parse_value(value)})


@when(parsers.re(r'(?P<name>\w+) adds a file part "(?P<file>[^"]+)" of (?P<size>\d+) random bytes to the message'))
def add_file(world: World, name: str, file: str, size: str) -> None:
    content = os.urandom(int(size))
    world.values.setdefault("files", {})[file] = content
    world.call(world.values["draft"].addPart, {"type": "file", "file": io.BytesIO(content), "name": file})


@when(parsers.re(r"(?P<name>\w+) sends the message$"))
def send_draft(world: World, name: str) -> None:
    sent = world.call(world.values["draft"].send)
    assert sent.deliveryStatus == "Delivered", sent.to_dict()


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has a JSON part (?P<value>\{.*\})'))
def has_json_part(world: World, name: str, text: str, value: str) -> None:
    parts = [p for p in _message(world, name, text).parts if p["type"] == "json"]
    assert [p["json"] for p in parts] == [parse_value(value)], parts


@when(parsers.re(r'(?P<name>\w+) creates the image links of the message "(?P<text>[^"]+)"'))
def image_links(world: World, name: str, text: str) -> None:
    world.call(_message(world, name, text).createImageLinks)


@then(parsers.re(r'(?P<name>\w+)\'s file "(?P<file>[^"]+)" has the content (?P<other>\w+) sent'))
def file_intact(world: World, name: str, file: str, other: str) -> None:
    part = next(p for c in _client(world, name).conversation.getAll() for m in c.getMessages() for p in m.parts
                if p.get("type") == "file" and p.get("name") == file)
    assert part["content"] == world.values["files"][file], "file content differs"
    assert part["url"].startswith("data:") and part["link"].startswith("http")


# -- typing ------------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) (?P<action>starts|stops) typing to (?P<other>\w+)"))
def typing(world: World, name: str, action: str, other: str) -> None:
    conversation = _conversation(world, name, _uid(world, other), chatTypes.ONETOONE)
    world.call(conversation.setIsTyping, action == "starts")


@then(parsers.re(r"(?P<name>\w+) sees (?P<other>\w+) typing in (?:her|his) conversation with (?:him|her)"))
def sees_typing(world: World, name: str, other: str) -> None:
    world.wait_event(name, "isTypingList:change",
                     lambda p: p.get("sender") == _uid(world, other) and p.get("state") == "active")
    assert _conversation(world, name, _uid(world, other), chatTypes.ONETOONE).isTypingList == [_uid(world, other)]


@then(parsers.re(r"(?P<name>\w+) sees nobody typing in (?:her|his) conversation with (?P<other>\w+)"))
def nobody_typing(world: World, name: str, other: str) -> None:
    world.wait_event(name, "isTypingList:change",
                     lambda p: p.get("sender") == _uid(world, other) and p.get("state") == "idle")
    assert _conversation(world, name, _uid(world, other), chatTypes.ONETOONE).isTypingList == []


# -- history, deletes, subscribers -------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) fetches the (?:last (?P<amount>\d+) )?messages of (?:her|his) conversation with "
                 r"(?P<other>\w+)"))
def fetch_messages(world: World, name: str, amount: str | None, other: str) -> None:
    conversation = _conversation(world, name, _uid(world, other), chatTypes.ONETOONE)
    world.call(conversation.fetchMessages, *([int(amount)] if amount else []))


@when(parsers.re(r'(?P<name>\w+) fetches the messages of (?:her|his) SMS conversation with "(?P<number>[^"]+)"'))
def fetch_sms_messages(world: World, name: str, number: str) -> None:
    world.call(_conversation(world, name, number, chatTypes.SMS).fetchMessages)


@then(parsers.re(r'(?P<name>\w+)\'s conversation with (?P<other>\w+) has the messages "(?P<texts>[^"]+)" in this '
                 r'order'))
def messages_in_order(world: World, name: str, other: str, texts: str) -> None:
    conversation = _conversation(world, name, _uid(world, other), chatTypes.ONETOONE)
    assert world.call(_texts, conversation) == names(texts)


@then(parsers.re(r'(?P<name>\w+)\'s SMS conversation with "(?P<number>[^"]+)" has the messages "(?P<texts>[^"]+)" '
                 r'in this order'))
def sms_messages_in_order(world: World, name: str, number: str, texts: str) -> None:
    assert world.call(_texts, _conversation(world, name, number, chatTypes.SMS)) == names(texts)


@then(parsers.re(r"(?P<name>\w+)'s conversation with (?P<other>\w+) has no messages"))
def no_messages(world: World, name: str, other: str) -> None:
    assert world.call(_conversation(world, name, _uid(world, other), chatTypes.ONETOONE).getMessages) == []


@when(parsers.re(r'(?P<name>\w+) deletes (?:her|his) message "(?P<text>[^"]+)"'))
def delete_message(world: World, name: str, text: str) -> None:
    message = _message(world, name, text)
    conversation = _conversation(world, name, message.destination, message.type)
    world.call(conversation.deleteMessages, [message.messageId])


@when(parsers.re(r"(?P<name>\w+) clears the messages of (?:her|his) conversation with (?P<other>\w+)"))
def clear_messages(world: World, name: str, other: str) -> None:
    world.call(_conversation(world, name, _uid(world, other), chatTypes.ONETOONE).clearMessages)


@when(parsers.re(r"(?P<name>\w+) deletes (?:her|his) conversation with (?P<other>\w+)"))
def delete_conversation(world: World, name: str, other: str) -> None:
    world.call(_conversation(world, name, _uid(world, other), chatTypes.ONETOONE).delete)


@when(parsers.re(r"(?P<name>\w+) subscribes to (?:her|his) conversation with (?P<other>\w+)"))
def subscribe_conversation(world: World, name: str, other: str) -> None:
    calls: list[dict[str, Any]] = []
    world.values["subscriber_calls"] = calls
    conversation = _conversation(world, name, _uid(world, other), chatTypes.ONETOONE)
    world.values["unsubscribe"] = world.call(conversation.subscribe, calls.append)


@when(parsers.re(r"(?P<name>\w+) unsubscribes from (?:her|his) conversation with (?P<other>\w+)"))
def unsubscribe_conversation(world: World, name: str, other: str) -> None:
    world.call(world.values["unsubscribe"])


@then(parsers.re(r'(?P<name>\w+)\'s subscriber was told about the message "(?P<text>[^"]+)" in (?:her|his) '
                 r'conversation with (?P<other>\w+)'))
def subscriber_told(world: World, name: str, text: str, other: str) -> None:
    receives_message(world, name, text, other)
    message = _message(world, name, text)
    assert {"conversationId": _uid(world, other), "messageId": message.messageId} in world.values["subscriber_calls"]


@then(parsers.re(r'(?P<name>\w+)\'s subscriber was not told about the message "(?P<text>[^"]+)"'))
def subscriber_not_told(world: World, name: str, text: str) -> None:
    message = _message(world, name, text)
    assert all(c["messageId"] != message.messageId for c in world.values["subscriber_calls"])


@given(parsers.re(r'(?P<name>\w+) listens to "(?P<event>[^"]+)"'))
def listens(world: World, name: str, event: str) -> None:
    heard: list[dict[str, Any]] = []
    world.values[f"heard:{event}"] = heard
    world.call(_client(world, name).on, event, heard.append)


@then(parsers.re(r'(?P<name>\w+)\'s "(?P<event>[^"]+)" listener was called for (?:her|his) conversation with '
                 r'(?P<other>\w+)'))
def listener_called(world: World, name: str, event: str, other: str) -> None:
    # The recorder hears an event after the specific listeners do: once it has the send's
    # completion, the listener registered under the other spelling has been called too.
    done = world.wait_event(name, "messages:change", lambda p: p.get("destination") == _uid(world, other)
                            and "previousMessageId" in p)
    heard = world.values[f"heard:{event}"]
    assert any(p.get("messageId") == done["messageId"] for p in heard), heard


# -- offline -----------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) goes offline"))
def goes_offline(world: World, name: str) -> None:
    assert world.platform is not None
    fault = world.call(world.platform.faults.add, "refuse_upgrades", duration=60, match={"user": _uid(world, name)})
    world.values[f"offline:{name}"] = fault.id
    world.values["drop_mark"] = _mark(world, name)
    assert world.run(world.platform.drop_sockets(user=_uid(world, name))) == 1


@then(parsers.re(r"the platform holds (?P<count>\d+) notifications for (?P<name>\w+)"))
def platform_holds(world: World, count: str, name: str) -> None:
    held = world.call(lambda: sum(len(c.buffer) for c in _channels(world, name)))
    assert held == int(count), f"{held} notifications held for {name}"


@when(parsers.re(r"(?P<name>\w+) comes back online"))
def comes_back(world: World, name: str) -> None:
    assert world.platform is not None
    world.call(world.platform.state.faults.remove, world.values.pop(f"offline:{name}"))
    world.wait_event(name, "ws:change", lambda p: p.get("state") == "connected", since=_since(world, name))


# -- SMS ---------------------------------------------------------------------------------------
@when(parsers.re(r'(?P<name>\w+) sends the SMS "(?P<text>[^"]+)" to "(?P<number>[^"]+)"'))
def send_sms(world: World, name: str, text: str, number: str) -> None:
    _send(world, name, number, chatTypes.SMS, text)


@then(parsers.re(r'the platform\'s SMS outbox (?P<verb>has|does not have) "(?P<text>[^"]+)" to "(?P<number>[^"]+)"'))
def sms_outbox(world: World, verb: str, text: str, number: str) -> None:
    assert world.platform is not None
    found = any(m["to"] == number and m["message"] == text for m in world.call(world.platform.sms_outbox))
    assert found == (verb == "has")


@when(parsers.re(r'the platform delivers the SMS "(?P<text>[^"]+)" from "(?P<number>[^"]+)" to (?P<name>\w+)'))
def deliver_sms(world: World, text: str, number: str, name: str) -> None:
    assert world.platform is not None
    world.call(world.platform.inject_sms, _uid(world, name), number, text)


@then(parsers.re(r'(?P<name>\w+) receives the SMS "(?P<text>[^"]+)" from "(?P<number>[^"]+)"'))
def receives_sms(world: World, name: str, text: str, number: str) -> None:
    _wait_message(world, name, text, number, chatTypes.SMS, number)


@when(parsers.re(r"(?P<name>\w+) fetches (?:her|his) SMS conversations"))
def fetch_sms_conversations(world: World, name: str) -> None:
    world.call(_client(world, name).conversation.fetch, {"type": chatTypes.SMS})


# -- bad input ---------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) creates a message with the part (?P<part>\{.*\}) for (?P<other>\w+)"))
def bad_part(world: World, name: str, part: str, other: str) -> None:
    conversation = world.call(_client(world, name).conversation.create, _uid(world, other))
    world.attempt(conversation.createMessage, parse_value(part))


@when(parsers.re(r'(?P<name>\w+) creates a conversation of type "(?P<kind>[^"]+)" with (?P<other>\w+)'))
def bad_type(world: World, name: str, kind: str, other: str) -> None:
    world.attempt(_client(world, name).conversation.create, _uid(world, other), {"type": kind})


@when(parsers.re(r"(?P<name>\w+) sends a message with only a JSON part to (?P<other>\w+)"))
def json_only(world: World, name: str, other: str) -> None:
    conversation = world.call(_client(world, name).conversation.create, _uid(world, other))
    message = world.call(conversation.createMessage, {"type": "json", "json": {"a": 1}})
    world.attempt(message.send)


# -- presence ----------------------------------------------------------------------------------
def _presence_value(namespace: type, text: str) -> str:
    return text.strip('"') if text.startswith('"') else getattr(namespace, text)


@then(parsers.re(r"the presence (?P<kind>statuses|activities) are:"))
def presence_constants(world: World, kind: str, datatable: list[list[str]]) -> None:
    namespace = getattr(next(iter(world.actors.values())).client.presence, kind)
    assert {row[0]: getattr(namespace, row[0]) for row in datatable} == dict(datatable)


@given(parsers.re(r"(?P<name>\w+) subscribes to the presence of (?P<others>[\w, ]+)$"))
@when(parsers.re(r"(?P<name>\w+) subscribes to the presence of (?P<others>[\w, ]+)$"))
def presence_subscribe(world: World, name: str, others: str) -> None:
    world.call(_client(world, name).presence.subscribe, [_uid(world, o) for o in names(others)])


@when(parsers.re(r"(?P<name>\w+) unsubscribes from the presence of (?P<others>[\w, ]+)$"))
def presence_unsubscribe(world: World, name: str, others: str) -> None:
    world.call(_client(world, name).presence.unsubscribe, [_uid(world, o) for o in names(others)])
    world.values[f"sent:{name}"] = world.call(lambda: sum(c.delivered + c.buffered_total
                                                          for c in _channels(world, name)))


@when(parsers.re(r'(?P<name>\w+) updates (?:her|his) presence to (?P<status>"[^"]+"|\w+) and (?P<activity>\w+)'
                 r'(?: with the note "(?P<note>[^"]*)")?$'))
def presence_update(world: World, name: str, status: str, activity: str, note: str | None) -> None:
    args = [_presence_value(statuses, status), _presence_value(activities, activity)] + ([note] if note else [])
    world.attempt(_client(world, name).presence.update, *args)
    assert world.last_error is None or status.startswith('"'), world.last_error


@given(parsers.re(r"(?P<name>\w+) updated (?:her|his) presence to (?P<status>\w+) and (?P<activity>\w+)$"))
def presence_updated(world: World, name: str, status: str, activity: str) -> None:
    mark = _mark(world, name)
    world.call(_client(world, name).presence.update, getattr(statuses, status), getattr(activities, activity))
    world.wait_event(name, "presence:selfChange", since=mark)


@then(parsers.re(r"(?P<name>\w+)'s own presence is (?P<status>\w+) and (?P<activity>\w+)$"))
def own_presence(world: World, name: str, status: str, activity: str) -> None:
    own = world.call(_client(world, name).presence.getSelf)
    assert (own["userId"], own["status"], own["activity"]) == \
        (_uid(world, name), getattr(statuses, status), getattr(activities, activity)), own


@then(parsers.re(r'(?P<name>\w+)\'s own presence has the note "(?P<note>[^"]*)"'))
def own_note(world: World, name: str, note: str) -> None:
    assert world.call(_client(world, name).presence.getSelf)["note"] == note


@then(parsers.re(r"(?P<name>\w+) sees (?P<other>\w+)'s presence as (?P<status>\w+) and (?P<activity>\w+)"
                 r'(?: with the note "(?P<note>[^"]*)")?$'))
def sees_presence(world: World, name: str, other: str, status: str, activity: str, note: str | None) -> None:
    wanted = {"userId": _uid(world, other), "status": getattr(statuses, status),
              "activity": getattr(activities, activity), "note": note}
    world.wait_event(name, "presence:change", lambda p: p == wanted)
    assert world.call(_client(world, name).presence.get, _uid(world, other)) == wanted


@when(parsers.re(r'(?P<name>\w+) fetches the presence of (?:"(?P<address>[^"]+)"|(?P<others>[\w, ]+))$'))
def presence_fetch(world: World, name: str, address: str | None, others: str | None) -> None:
    users = [address] if address else [_uid(world, o) for o in names(str(others))]
    world.call(_client(world, name).presence.fetch, users)


@then(parsers.re(r"(?P<name>\w+)'s presence get for (?P<other>\w+) is (?P<status>\w+) and (?P<activity>\w+)$"))
def presence_get(world: World, name: str, other: str, status: str, activity: str) -> None:
    found = world.call(_client(world, name).presence.get, _uid(world, other))
    assert (found["status"], found["activity"]) == (getattr(statuses, status), getattr(activities, activity))


@then(parsers.re(r"(?P<name>\w+)'s presence get for (?P<others>[\w, ]+) lists (?P<count>\d+) users"))
def presence_get_many(world: World, name: str, others: str, count: str) -> None:
    found = world.call(_client(world, name).presence.get, [_uid(world, o) for o in names(others)])
    assert len(found) == int(count), found


@then(parsers.re(r"(?P<name>\w+)'s presence getAll lists (?P<others>[\w, ]+)$"))
def presence_get_all(world: World, name: str, others: str) -> None:
    found = {p["userId"] for p in world.call(_client(world, name).presence.getAll)}
    assert found == {_uid(world, o) for o in names(others)}, found


@then(parsers.re(r"the platform sent (?P<name>\w+) no notification since (?:she|he) unsubscribed"))
def no_notification_since(world: World, name: str) -> None:
    now = world.call(lambda: sum(c.delivered + c.buffered_total for c in _channels(world, name)))
    assert now == world.values[f"sent:{name}"]


# -- groups ------------------------------------------------------------------------------------
def _create_group(world: World, name: str, group: str, members: str, **params: Any) -> str:
    client = _client(world, name)
    mark = _mark(world, name)
    world.call(client.groups.create, {"name": group, "participants": [_uid(world, m) for m in names(members)],
                                      "type": "closed", **params})
    created = world.wait_event(name, "group:new", since=mark)
    assert "error" not in created, created
    world.values.setdefault("groups", {})[group] = created["id"]
    return created["id"]


@when(parsers.re(r'(?P<name>\w+) creates the group "(?P<group>[^"]+)" with (?P<members>[\w, ]+?), subject '
                 r'"(?P<subject>[^"]+)" and image "(?P<image>[^"]+)"'))
def create_group(world: World, name: str, group: str, members: str, subject: str, image: str) -> None:
    _create_group(world, name, group, members, subject=subject, image=image)


@given(parsers.re(r'(?P<name>\w+) created the group "(?P<group>[^"]+)" with (?P<members>[\w, ]+)$'))
def created_group(world: World, name: str, group: str, members: str) -> None:
    group_id = _create_group(world, name, group, members)
    for member in names(members):  # invitations in hand before anyone answers them
        world.wait_event(member, "group:invitation_received", lambda p: p["invitation"]["id"] == group_id)


@when(parsers.re(r"(?P<name>\w+) creates a group without a name"))
def group_without_name(world: World, name: str) -> None:
    world.attempt(_client(world, name).groups.create, {"participants": [], "type": "closed"})


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>group:[a-z]+)" for the group "(?P<group>[^"]+)"'))
def group_event(world: World, name: str, event: str, group: str) -> None:
    group_id = _group_id(world, group)

    def matches(params: dict[str, Any]) -> bool:
        found = params.get("id") or (params.get("group") or {}).get("id")
        return found == group_id and "error" not in params

    world.wait_event(name, event, matches)


@then(parsers.re(r'(?P<name>\w+) receives an invitation to the group "(?P<group>[^"]+)" from (?P<admin>\w+)'))
def invitation(world: World, name: str, group: str, admin: str) -> None:
    params = world.wait_event(name, "group:invitation_received",
                              lambda p: p["invitation"]["id"] == _group_id(world, group))
    invited = params["invitation"]
    assert invited["name"] == group
    assert {"address": _uid(world, admin), "status": "Connected", "isAdmin": True} in invited["participants"]


@then(parsers.re(r'(?P<name>\w+)\'s (?P<kind>invitations|groups) (?P<verb>list|do not list) the group '
                 r'"(?P<group>[^"]+)"'))
def groups_listed(world: World, name: str, kind: str, verb: str, group: str) -> None:
    namespace = _client(world, name).groups
    items = world.call(namespace.getInvitations if kind == "invitations" else namespace.getAll)
    assert (_group_id(world, group) in [i["id"] for i in items]) == (verb == "list"), items


@then(parsers.re(r'(?P<name>\w+)\'s group "(?P<group>[^"]+)" has the name "(?P<title>[^"]+)", subject '
                 r'"(?P<subject>[^"]+)" and image "(?P<image>[^"]+)"'))
def group_details(world: World, name: str, group: str, title: str, subject: str, image: str) -> None:
    found = world.call(_client(world, name).groups.get, _group_id(world, group))
    assert (found["name"], found["subject"], found["image"], found["type"]) == (title, subject, image, "closed")


@then(parsers.re(r'the participants of (?P<name>\w+)\'s group "(?P<group>[^"]+)" are (?P<members>[\w, ]+)$'))
def participants(world: World, name: str, group: str, members: str) -> None:
    found = world.call(_client(world, name).groups.getParticipants, _group_id(world, group))
    assert sorted(found) == sorted(_uid(world, m) for m in names(members)), found


@then(parsers.re(r'(?P<name>\w+) is the administrator of the group "(?P<group>[^"]+)"'))
def is_admin(world: World, name: str, group: str) -> None:
    found = world.call(_client(world, name).groups.get, _group_id(world, group))
    admins = [p["address"] for p in found["participants"] if p["isAdmin"]]
    assert admins == [_uid(world, name)], found


@given(parsers.re(r'(?P<name>\w+) accepted the invitation to the group "(?P<group>[^"]+)"'))
def accepted(world: World, name: str, group: str) -> None:
    mark = _mark(world, name)
    world.call(_client(world, name).groups.acceptInvitation, _group_id(world, group))
    assert "error" not in world.wait_event(name, "group:change", since=mark)


@when(parsers.re(r'(?P<name>\w+) (?P<action>accepts|rejects) the invitation to the group "(?P<group>[^"]+)"'))
def answer_invitation(world: World, name: str, action: str, group: str) -> None:
    namespace = _client(world, name).groups
    operation = namespace.acceptInvitation if action == "accepts" else namespace.rejectInvitation
    world.call(operation, _group_id(world, group))


@when(parsers.re(r'(?P<name>\w+) leaves the group "(?P<group>[^"]+)"'))
def leave_group(world: World, name: str, group: str) -> None:
    world.call(_client(world, name).groups.leave, _group_id(world, group))


@when(parsers.re(r'(?P<name>\w+) adds (?P<other>\w+) to the group "(?P<group>[^"]+)"'))
def add_participant(world: World, name: str, other: str, group: str) -> None:
    world.call(_client(world, name).groups.addParticipant, _group_id(world, group), _uid(world, other))


@when(parsers.re(r'(?P<name>\w+) removes (?P<other>\w+) from the group "(?P<group>[^"]+)"'))
def remove_participant(world: World, name: str, other: str, group: str) -> None:
    world.call(_client(world, name).groups.removeParticipant, _group_id(world, group), _uid(world, other))


@when(parsers.re(r'(?P<name>\w+) deletes the group "(?P<group>[^"]+)"'))
def delete_group(world: World, name: str, group: str) -> None:
    world.call(_client(world, name).groups.delete, _group_id(world, group))


@when(parsers.re(r'(?P<name>\w+) tries to (?P<operation>add \w+ to|remove \w+ from|delete) the group '
                 r'"(?P<group>[^"]+)"'))
def try_admin_operation(world: World, name: str, operation: str, group: str) -> None:
    verb, *rest = operation.split()
    if verb == "add":
        add_participant(world, name, rest[0], group)
    elif verb == "remove":
        remove_participant(world, name, rest[0], group)
    else:
        delete_group(world, name, group)


@then(parsers.re(r'(?P<name>\w+) sees (?P<other>\w+) as "(?P<status>\w+)" in the group "(?P<group>[^"]+)"'))
def sees_participant(world: World, name: str, other: str, status: str, group: str) -> None:
    group_id, address = _group_id(world, group), _uid(world, other)

    def shown(params: dict[str, Any]) -> bool:
        found = _client(world, name).groups.get(group_id)
        return params.get("id") == group_id and found is not None and \
            any(p["address"] == address and p["status"] == status for p in found["participants"])

    world.wait_event(name, "group:change", shown)


@then(parsers.re(r'(?P<name>\w+) no longer sees (?P<other>\w+) in the group "(?P<group>[^"]+)"'))
def no_longer_sees(world: World, name: str, other: str, group: str) -> None:
    group_id, address = _group_id(world, group), _uid(world, other)

    def gone(params: dict[str, Any]) -> bool:
        found = _client(world, name).groups.get(group_id)
        return params.get("id") == group_id and found is not None and \
            all(p["address"] != address for p in found["participants"])

    world.wait_event(name, "group:change", gone)


@when(parsers.re(r"(?P<name>\w+) fetches the groups"))
def fetch_groups(world: World, name: str) -> None:
    world.call(_client(world, name).groups.fetch)


# -- contacts ----------------------------------------------------------------------------------
def _add_contact(world: World, name: str, contact: dict[str, Any]) -> None:
    world.call(_client(world, name).contacts.add, contact)


@when(parsers.re(r'(?P<name>\w+) adds the contact "(?P<contact_id>[^"]+)" with:'))
def add_contact_table(world: World, name: str, contact_id: str, datatable: list[list[str]]) -> None:
    contact: dict[str, Any] = {"contactId": contact_id}
    for key, value in datatable:
        contact[key] = value == "true" if key == "buddy" else value
    _add_contact(world, name, contact)


@given(parsers.re(r'(?P<name>\w+) added the contact "(?P<contact_id>[^"]+)" for (?P<other>\w+)'
                  r'(?P<buddy> as a buddy)?$'))
@when(parsers.re(r'(?P<name>\w+) adds the contact "(?P<contact_id>[^"]+)" for (?P<other>\w+)'
                 r'(?P<buddy> as a buddy)?$'))
def add_contact(world: World, name: str, contact_id: str, other: str, buddy: str | None) -> None:
    mark = _mark(world, name)
    _add_contact(world, name, {"contactId": contact_id, "primaryContact": _uid(world, other),
                               "firstName": world.user(other).first_name, "buddy": bool(buddy)})
    world.values["contact_mark"] = mark


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>contacts:[a-z]+)" for the contact "(?P<contact_id>[^"]+)"'))
def contact_event(world: World, name: str, event: str, contact_id: str) -> None:
    world.wait_event(name, event, lambda p: (p.get("contact") or {}).get("contactId") == contact_id)


@then(parsers.re(r'(?P<name>\w+)\'s contact "(?P<contact_id>[^"]+)" has the firstName "(?P<first>[^"]+)" and the '
                 r"buddy flag (?P<buddy>true|false)"))
def contact_first_and_buddy(world: World, name: str, contact_id: str, first: str, buddy: str) -> None:
    contact = world.call(_client(world, name).contacts.get, contact_id)
    assert (contact["firstName"], contact["buddy"]) == (first, buddy == "true"), contact


@then(parsers.re(r'(?P<name>\w+)\'s contact "(?P<contact_id>[^"]+)" has the (?P<field>\w+) "(?P<value>[^"]*)"$'))
def contact_field(world: World, name: str, contact_id: str, field: str, value: str) -> None:
    contact = world.call(_client(world, name).contacts.get, contact_id)
    assert contact is not None and contact.get(field) == value, contact


@then(parsers.re(r'(?P<name>\w+)\'s contacts are "(?P<ids>[^"]*)"'))
def contacts_are(world: World, name: str, ids: str) -> None:
    found = sorted(c["contactId"] for c in world.call(_client(world, name).contacts.getAll))
    assert found == sorted(names(ids)), found


@when(parsers.re(r'(?P<name>\w+) updates the contact "(?P<contact_id>[^"]+)" with the (?P<field>\w+) '
                 r'"(?P<value>[^"]*)"'))
def update_contact(world: World, name: str, contact_id: str, field: str, value: str) -> None:
    contacts = _client(world, name).contacts
    contact = world.call(contacts.get, contact_id)
    world.call(contacts.update, {**contact, field: value})


@when(parsers.re(r'(?P<name>\w+) fetches the contact "(?P<contact_id>[^"]+)"'))
def fetch_contact(world: World, name: str, contact_id: str) -> None:
    world.call(_client(world, name).contacts.fetch, contact_id)


@when(parsers.re(r'(?P<name>\w+) removes the contact "(?P<contact_id>[^"]+)"'))
def remove_contact(world: World, name: str, contact_id: str) -> None:
    world.call(_client(world, name).contacts.remove, contact_id)


@when(parsers.re(r"(?P<name>\w+) refreshes the contacts"))
def refresh_contacts(world: World, name: str) -> None:
    world.call(_client(world, name).contacts.refresh)


@when(parsers.re(r"(?P<name>\w+) adds a contact without a contactId"))
def contact_without_id(world: World, name: str) -> None:
    world.attempt(_client(world, name).contacts.add, {"primaryContact": "someone@example.com"})


# -- directory ---------------------------------------------------------------------------------
@given("the directory has these users:")
def directory_users(world: World, datatable: list[list[str]]) -> None:
    assert world.platform is not None
    header, *rows = datatable
    for row in rows:
        fields = dict(zip(header, row, strict=True))
        world.users[fields["firstName"]] = world.run(world.platform.users.create(
            first_name=fields["firstName"], last_name=fields["lastName"]))


def _search(world: World, name: str, filters: dict[str, Any], options: dict[str, Any]) -> None:
    _mark(world, name)
    world.values["search"] = (filters, options)
    world.attempt(_client(world, name).user.search, filters, options)


@when(parsers.re(r"(?P<name>\w+) fetches the directory entry of (?P<other>\w+)"))
def fetch_user(world: World, name: str, other: str) -> None:
    _mark(world, name)
    world.call(_client(world, name).user.fetch, _uid(world, other))


@when(parsers.re(r"(?P<name>\w+) fetches (?:her|his) own directory entry"))
def fetch_self(world: World, name: str) -> None:
    _mark(world, name)
    world.call(_client(world, name).user.fetchSelfInfo)


@when(parsers.re(r'(?P<name>\w+) searches the directory for (?P<field>\w+) "(?P<value>[^"]+)" sorted by '
                 r"(?P<sort>\w+)(?: (?P<order>asc|desc))?(?:, (?P<page>\d+) at a time)?$"))
def search(world: World, name: str, field: str, value: str, sort: str, order: str | None, page: str | None) -> None:
    if value.endswith("'s number"):
        value = _phone(world, value[: -len("'s number")])
    options: dict[str, Any] = {"sortBy": sort}
    if order:
        options["order"] = order
    if page:
        options["max"] = int(page)
    _search(world, name, {field: value}, options)


@when(parsers.re(r"(?P<name>\w+) asks for the next page"))
def next_page(world: World, name: str) -> None:
    filters, options = world.values["search"]
    _search(world, name, filters, {**options, "next": world.values["next"]})


@then(parsers.re(r'(?P<name>\w+) receives "directory:change" with the results "(?P<people>[^"]*)"'
                 r"(?: and (?P<paging>a|no) next page)?$"))
def directory_results(world: World, name: str, people: str, paging: str | None) -> None:
    assert world.last_error is None, world.last_error
    params = world.wait_event(name, "directory:change", since=_since(world, name))
    found = [f"{u['firstName']} {u['lastName']}" for u in params["results"]]
    assert found == names(people), found
    if paging is not None:
        assert ("next" in params) == (paging == "a"), params
        world.values["next"] = params.get("next")


@then(parsers.re(r"(?P<name>\w+)'s user get for (?P<other>\w+) has the documented User fields"))
def user_fields(world: World, name: str, other: str) -> None:
    user = world.call(_client(world, name).user.get, _uid(world, other))
    person = world.user(other)
    assert (user["userId"], user["firstName"], user["lastName"], user["emailAddress"]) == \
        (person.user_id, person.first_name, person.last_name, person.email), user
    assert user["photoURL"].startswith("https://") and user["buddy"] in ("true", "false"), user


@then(parsers.re(r"(?P<name>\w+)'s user getAll lists (?P<others>[\w, ]+)$"))
def users_get_all(world: World, name: str, others: str) -> None:
    found = {u["userId"] for u in world.call(_client(world, name).user.getAll)}
    assert found == {_uid(world, o) for o in names(others)}, found


@then(parsers.re(r'(?P<name>\w+)\'s user get for (?P<other>\w+) says buddy "(?P<buddy>true|false)"'))
def user_buddy(world: World, name: str, other: str, buddy: str) -> None:
    world.wait_event(name, "directory:change", since=_since(world, name))
    assert world.call(_client(world, name).user.get, _uid(world, other))["buddy"] == buddy

