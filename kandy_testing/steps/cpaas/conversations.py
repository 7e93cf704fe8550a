"""CPaaS conversations: create, get, fetch, typing, history, deletes, subscribers and listeners."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from sdk.cpaas.conversation import chatTypes

from ...world import World
from ..common import names
from ..values import CHAT_TYPE
from .groups import accepted, created_group
from .messaging import receives_message
from .support import chat_type, client_of, conversation_of, destination_of, group_id_of, message_of, texts_of, uid

LABEL = {"label": CHAT_TYPE}  # ONETOONE, GROUP or SMS (conversation.chatTypes)


# -- conversations -----------------------------------------------------------------------------
@then("the conversation chat types are:")
def chat_types(world: World, datatable: list[list[str]]) -> None:
    namespace = next(iter(world.actors.values())).client.conversation
    assert {row[0]: getattr(namespace.chatTypes, row[0]) for row in datatable} == dict(datatable)


@given(parsers.re(r"(?P<name>\w+) creates an? (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"), converters=LABEL)
@when(parsers.re(r"(?P<name>\w+) creates an? (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"), converters=LABEL)
def create_conversation(world: World, name: str, label: str, other: str) -> None:
    world.call(client_of(world, name).conversation.create, destination_of(world, other, label),
               {"type": chat_type(label)})


@given(parsers.re(r"(?P<name>\w+) has an? (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"), converters=LABEL)
def has_conversation(world: World, name: str, label: str, other: str) -> None:
    if label == "GROUP":
        created_group(world, name, "Chat group", other)
        accepted(world, other, "Chat group")
        world.scenario.chat_group = group_id_of(world, "Chat group")
    create_conversation(world, name, label, other)


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" for (?:her|his) (?P<label>[A-Z]+) conversation with '
                 r'(?P<other>\w+)$'), converters=LABEL)
def receives_for_conversation(world: World, name: str, event: str, label: str, other: str) -> None:
    destination = destination_of(world, other, label)
    world.wait_event(name, event, lambda p: p.get("destination") == destination and p.get("type") == chat_type(label))


@then(parsers.re(r"(?P<name>\w+)'s (?P<label>[A-Z]+) conversation with (?P<other>\w+) is available with get and "
                 r"getAll"), converters=LABEL)
def conversation_available(world: World, name: str, label: str, other: str) -> None:
    conversation = conversation_of(world, name, destination_of(world, other, label), chat_type(label))
    assert conversation in world.call(client_of(world, name).conversation.getAll)
    assert (conversation.type, conversation.address) == (chat_type(label), uid(world, name))


@then(parsers.re(r"creating it again gives (?P<name>\w+) the same conversation"))
def same_conversation(world: World, name: str) -> None:
    client = client_of(world, name)
    first = client.conversation.getAll()[0]
    again = world.call(client.conversation.create, first.destination.upper(), {"type": first.type})
    assert again is first and len(client.conversation.getAll()) == 1


@then(parsers.re(r"(?P<name>\w+) has no (?P<label>[A-Z]+) conversation with (?P<other>\w+)$"), converters=LABEL)
def no_conversation(world: World, name: str, label: str, other: str) -> None:
    destination = destination_of(world, other, label)
    client = client_of(world, name)
    assert world.call(client.conversation.get, destination, {"type": chat_type(label)}) is None
    assert all(c.destination != destination for c in client.conversation.getAll())


@when(parsers.re(r'(?P<name>\w+) fetches (?:her|his) (?P<label>[A-Z]+) conversations'), converters=LABEL)
def fetch_conversations(world: World, name: str, label: str) -> None:
    world.call(client_of(world, name).conversation.fetch, {"type": chat_type(label)})


@then(parsers.re(r'(?P<name>\w+) receives "conversations:change" listing (?:her|his) (?P<label>[A-Z]+) conversation '
                 r'with (?:"(?P<number>[^"]+)"|(?P<other>\w+))$'), converters=LABEL)
def conversations_listed(world: World, name: str, label: str, number: str | None, other: str | None) -> None:
    destination = number or destination_of(world, str(other), label)
    wanted = {"destination": destination, "type": chat_type(label)}
    world.wait_event(name, "conversations:change", lambda p: wanted in (p.get("conversations") or []),
                     expected=f"{name} to receive 'conversations:change' listing {label} with {destination}")




# -- typing ------------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) (?P<action>starts|stops) typing to (?P<other>\w+)"))
def typing(world: World, name: str, action: str, other: str) -> None:
    conversation = conversation_of(world, name, uid(world, other), chatTypes.ONETOONE)
    world.call(conversation.setIsTyping, action == "starts")


@then(parsers.re(r"(?P<name>\w+) sees (?P<other>\w+) typing in (?:her|his) conversation with (?:him|her)"))
def sees_typing(world: World, name: str, other: str) -> None:
    world.wait_event(name, "isTypingList:change",
                     lambda p: p.get("sender") == uid(world, other) and p.get("state") == "active")
    assert conversation_of(world, name, uid(world, other), chatTypes.ONETOONE).isTypingList == [uid(world, other)]


@then(parsers.re(r"(?P<name>\w+) sees nobody typing in (?:her|his) conversation with (?P<other>\w+)"))
def nobody_typing(world: World, name: str, other: str) -> None:
    world.wait_event(name, "isTypingList:change",
                     lambda p: p.get("sender") == uid(world, other) and p.get("state") == "idle")
    assert conversation_of(world, name, uid(world, other), chatTypes.ONETOONE).isTypingList == []




# -- history, deletes, subscribers -------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) fetches the (?:last (?P<amount>\d+) )?messages of (?:her|his) conversation with "
                 r"(?P<other>\w+)"))
def fetch_messages(world: World, name: str, amount: str | None, other: str) -> None:
    conversation = conversation_of(world, name, uid(world, other), chatTypes.ONETOONE)
    world.call(conversation.fetchMessages, *([int(amount)] if amount else []))


@when(parsers.re(r'(?P<name>\w+) fetches the messages of (?:her|his) SMS conversation with "(?P<number>[^"]+)"'))
def fetch_sms_messages(world: World, name: str, number: str) -> None:
    world.call(conversation_of(world, name, number, chatTypes.SMS).fetchMessages)


@then(parsers.re(r'(?P<name>\w+)\'s conversation with (?P<other>\w+) has the messages "(?P<texts>[^"]+)" in this '
                 r'order'))
def messages_in_order(world: World, name: str, other: str, texts: str) -> None:
    conversation = conversation_of(world, name, uid(world, other), chatTypes.ONETOONE)
    assert world.call(texts_of, conversation) == names(texts)


@then(parsers.re(r'(?P<name>\w+)\'s SMS conversation with "(?P<number>[^"]+)" has the messages "(?P<texts>[^"]+)" '
                 r'in this order'))
def sms_messages_in_order(world: World, name: str, number: str, texts: str) -> None:
    assert world.call(texts_of, conversation_of(world, name, number, chatTypes.SMS)) == names(texts)


@then(parsers.re(r"(?P<name>\w+)'s conversation with (?P<other>\w+) has no messages"))
def no_messages(world: World, name: str, other: str) -> None:
    assert world.call(conversation_of(world, name, uid(world, other), chatTypes.ONETOONE).getMessages) == []


@when(parsers.re(r'(?P<name>\w+) deletes (?:her|his) message "(?P<text>[^"]+)"'))
def delete_message(world: World, name: str, text: str) -> None:
    message = message_of(world, name, text)
    conversation = conversation_of(world, name, message.destination, message.type)
    world.call(conversation.deleteMessages, [message.messageId])


@when(parsers.re(r"(?P<name>\w+) clears the messages of (?:her|his) conversation with (?P<other>\w+)"))
def clear_messages(world: World, name: str, other: str) -> None:
    world.call(conversation_of(world, name, uid(world, other), chatTypes.ONETOONE).clearMessages)


@when(parsers.re(r"(?P<name>\w+) deletes (?:her|his) conversation with (?P<other>\w+)"))
def delete_conversation(world: World, name: str, other: str) -> None:
    world.call(conversation_of(world, name, uid(world, other), chatTypes.ONETOONE).delete)


@when(parsers.re(r"(?P<name>\w+) subscribes to (?:her|his) conversation with (?P<other>\w+)"))
def subscribe_conversation(world: World, name: str, other: str) -> None:
    calls: list[dict[str, Any]] = []
    world.scenario.subscriber_calls = calls
    conversation = conversation_of(world, name, uid(world, other), chatTypes.ONETOONE)
    world.scenario.unsubscribe = world.call(conversation.subscribe, calls.append)


@when(parsers.re(r"(?P<name>\w+) unsubscribes from (?:her|his) conversation with (?P<other>\w+)"))
def unsubscribe_conversation(world: World, name: str, other: str) -> None:
    assert world.scenario.unsubscribe is not None, f"{name} did not subscribe to a conversation"
    world.call(world.scenario.unsubscribe)


@then(parsers.re(r'(?P<name>\w+)\'s subscriber was told about the message "(?P<text>[^"]+)" in (?:her|his) '
                 r'conversation with (?P<other>\w+)'))
def subscriber_told(world: World, name: str, text: str, other: str) -> None:
    receives_message(world, name, text, other)
    message = message_of(world, name, text)
    assert {"conversationId": uid(world, other), "messageId": message.messageId} in world.scenario.subscriber_calls


@then(parsers.re(r'(?P<name>\w+)\'s subscriber was not told about the message "(?P<text>[^"]+)"'))
def subscriber_not_told(world: World, name: str, text: str) -> None:
    message = message_of(world, name, text)
    assert all(c["messageId"] != message.messageId for c in world.scenario.subscriber_calls)


@given(parsers.re(r'(?P<name>\w+) listens to "(?P<event>[^"]+)"'))
def listens(world: World, name: str, event: str) -> None:
    heard: list[dict[str, Any]] = []
    world.actor(name).state.heard[event] = heard
    world.call(client_of(world, name).on, event, heard.append)


@then(parsers.re(r'(?P<name>\w+)\'s "(?P<event>[^"]+)" listener was called for (?:her|his) conversation with '
                 r'(?P<other>\w+)'))
def listener_called(world: World, name: str, event: str, other: str) -> None:
    # The recorder hears an event after the specific listeners do: once it has the send's
    # completion, the listener registered under the other spelling has been called too.
    done = world.wait_event(name, "messages:change", lambda p: p.get("destination") == uid(world, other)
                            and "previousMessageId" in p)
    heard = world.actor(name).state.heard[event]
    assert any(p.get("messageId") == done["messageId"] for p in heard), heard
