"""CPaaS chat messages: sending, receiving, delivery status, documented fields, bad input."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from sdk.cpaas.conversation import chatTypes
from sdk.cpaas.messages import MessageSender

from ...world import World, observes
from ..common import names, parse_value
from ..values import CHAT_TYPE
from .support import (
    chat_type,
    client_of,
    destination_of,
    find_message,
    group_id_of,
    message_of,
    send_message,
    sender_of,
    uid,
    wait_message,
)

LABEL = {"label": CHAT_TYPE}  # ONETOONE, GROUP or SMS (conversation.chatTypes)


# -- sending and receiving ---------------------------------------------------------------------
@given(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" to (?P<other>\w+)$'))
@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" to (?P<other>\w+)$'))
def send_text(world: World, name: str, text: str, other: str) -> None:
    send_message(world, name, uid(world, other), chatTypes.ONETOONE, text)


@given(parsers.re(r'(?P<name>\w+) sends "(?P<texts>[^"]+)" to (?P<other>\w+) one by one'))
@when(parsers.re(r'(?P<name>\w+) sends "(?P<texts>[^"]+)" to (?P<other>\w+) one by one'))
def send_texts(world: World, name: str, texts: str, other: str) -> None:
    for text in names(texts):
        send_message(world, name, uid(world, other), chatTypes.ONETOONE, text)


@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" to "(?P<address>[^"]+)"'))
def send_to_address(world: World, name: str, text: str, address: str) -> None:
    send_message(world, name, address, chatTypes.ONETOONE, text)


@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" in (?:her|his) (?P<label>[A-Z]+) conversation with '
                 r'(?P<other>\w+)'), converters=LABEL)
def send_in_conversation(world: World, name: str, text: str, label: str, other: str) -> None:
    send_message(world, name, destination_of(world, other, label), chat_type(label), text)


@when(parsers.re(r'(?P<name>\w+) sends "(?P<text>[^"]+)" in the group "(?P<group>[^"]+)"'))
def send_in_group(world: World, name: str, text: str, group: str) -> None:
    send_message(world, name, group_id_of(world, group), chatTypes.GROUP, text)


@given(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+)$'))
@then(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+)$'))
@observes
def receives_message(world: World, name: str, text: str, other: str) -> None:
    wait_message(world, name, text, uid(world, other), chatTypes.ONETOONE, uid(world, other))


@then(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+) in an? (?P<label>[A-Z]+) '
                 r'conversation'), converters=LABEL)
def receives_typed_message(world: World, name: str, text: str, other: str, label: str) -> None:
    wait_message(world, name, text, destination_of(world, other, label), chat_type(label),
                  sender_of(world, other, label))


@then(parsers.re(r'(?P<name>\w+) receives the message "(?P<text>[^"]+)" from (?P<other>\w+) in the group '
                 r'"(?P<group>[^"]+)"'))
def receives_group_message(world: World, name: str, text: str, other: str, group: str) -> None:
    wait_message(world, name, text, group_id_of(world, group), chatTypes.GROUP, uid(world, other))


@then(parsers.re(r'(?P<name>\w+) receives the messages "(?P<texts>[^"]+)" from (?P<other>\w+) in this order'))
def receives_messages_in_order(world: World, name: str, texts: str, other: str) -> None:
    events = [wait_message(world, name, t, uid(world, other), chatTypes.ONETOONE, uid(world, other))
              for t in names(texts)]
    ids = [e["messageId"] for e in events]
    order = [p["messageId"] for t, p in world.actor(name).client.event_history
             if t == "messages:change" and p.get("messageId") in ids and "sender" in p]
    assert order == ids, f"arrival order {order}, expected {ids}"


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has delivery status "(?P<status>\w+)"'))
def delivery_status(world: World, name: str, text: str, status: str) -> None:
    def reached(_params: dict[str, Any]) -> bool:
        message = find_message(world, name, text)
        return message is not None and message.deliveryStatus == status

    world.wait_event(name, "messages:change", reached,
                     expected=f"{name}'s message {text!r} to reach the delivery status {status!r}")
    assert message_of(world, name, text).isPending is False


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has the documented fields as sent by (?P<me>\w+)'))
def sent_fields(world: World, name: str, text: str, me: str) -> None:
    message = message_of(world, name, text)
    assert message.sender == uid(world, me) and message.type == chatTypes.ONETOONE
    assert (message.isPending, message.read, message.deliveryStatus) == (False, False, "Delivered")
    assert message.parts == [{"type": "text", "text": text}]
    assert not message.messageId.startswith("local-")
    _check_timestamp(world, message)


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has the documented fields as received from '
                 r'(?P<other>\w+)'))
def received_fields(world: World, name: str, text: str, other: str) -> None:
    message = message_of(world, name, text)
    assert message.sender == uid(world, other) and message.type == chatTypes.ONETOONE
    assert (message.isPending, message.read) == (False, False)
    assert message.parts == [{"type": "text", "text": text}]
    _check_timestamp(world, message)


def _check_timestamp(world: World, message: MessageSender) -> None:
    now = world.call(lambda: world.actors[next(iter(world.actors))].client.clock.wall())
    assert isinstance(message.timestamp, float) and abs(now - message.timestamp) < 60, \
        f"timestamp {message.timestamp} is not seconds since the epoch (now {now})"


@then(parsers.re(r'the two copies of "(?P<text>[^"]+)" have different message ids'))
def different_ids(world: World, text: str) -> None:
    copies = [m.messageId for n in world.actors if (m := world.call(find_message, world, n, text)) is not None]
    assert len(copies) == 2 and copies[0] != copies[1], copies




# -- bad input ---------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) creates a message with the part (?P<part>\{.*\}) for (?P<other>\w+)"))
def bad_part(world: World, name: str, part: str, other: str) -> None:
    conversation = world.call(client_of(world, name).conversation.create, uid(world, other))
    world.attempt(conversation.createMessage, parse_value(part))


@when(parsers.re(r'(?P<name>\w+) creates a conversation of type "(?P<kind>[^"]+)" with (?P<other>\w+)'))
def bad_type(world: World, name: str, kind: str, other: str) -> None:
    world.attempt(client_of(world, name).conversation.create, uid(world, other), {"type": kind})


@when(parsers.re(r"(?P<name>\w+) sends a message with only a JSON part to (?P<other>\w+)"))
def json_only(world: World, name: str, other: str) -> None:
    conversation = world.call(client_of(world, name).conversation.create, uid(world, other))
    message = world.call(conversation.createMessage, {"type": "json", "json": {"a": 1}})
    world.attempt(message.send)
