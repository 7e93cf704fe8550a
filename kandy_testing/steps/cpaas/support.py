"""Helpers shared by the CPaaS step modules: clients, addresses, conversations, sending and waiting.

Names ("Alice") are platform users with one CPaaS client each; groups are named in the steps and
their ids kept in ``world.scenario.groups``. Each step is one SDK or platform call, or one check;
waits go through the event recorder with a timeout.
"""

from __future__ import annotations

from typing import Any

from sdk.cpaas.conversation import Conversation, chatTypes
from sdk.cpaas.messages import MessageSender

from ...world import World

# Fast, unlimited reconnects: "offline" scenarios control the outage with platform faults.
CLIENT_CONFIG = {"connectivity": {"reconnectDelay": 200, "reconnectLimit": 0}}


def client_of(world: World, name: str) -> Any:
    return world.actor(name).client


def uid(world: World, name: str) -> str:
    return world.user(name).user_id


def phone(world: World, name: str) -> str:
    return world.user(name).phone_number


def chat_type(label: str) -> str:
    return getattr(chatTypes, label)


def destination_of(world: World, other: str, label: str) -> str:
    """Where a conversation of type ``label`` with ``other`` goes: their id, the group, their number."""
    if label == "GROUP":
        assert world.scenario.chat_group is not None, "no GROUP conversation in this scenario"
        return world.scenario.chat_group
    return phone(world, other) if label == "SMS" else uid(world, other)


def sender_of(world: World, name: str, label: str) -> str:
    return phone(world, name) if label == "SMS" else uid(world, name)


def group_id_of(world: World, group: str) -> str:
    assert group in world.scenario.groups, f"no group {group!r} in this scenario: {sorted(world.scenario.groups)}"
    return world.scenario.groups[group]


def conversation_of(world: World, name: str, destination: str, chat_type: str) -> Conversation:
    found = world.call(client_of(world, name).conversation.get, destination, {"type": chat_type})
    assert found is not None, f"{name} has no {chat_type} conversation with {destination}"
    return found


def texts_of(conversation: Conversation) -> list[str]:
    return [m.text for m in conversation.getMessages()]


def find_message(world: World, name: str, text: str) -> MessageSender | None:
    for conversation in client_of(world, name).conversation.getAll():
        for message in conversation.getMessages():
            if message.text == text:
                return message
    return None


def message_of(world: World, name: str, text: str) -> MessageSender:
    found = world.call(find_message, world, name, text)
    assert found is not None, f"{name} has no message {text!r}"
    return found


def send_message(world: World, name: str, destination: str, chat_type: str, text: str) -> MessageSender:
    client = client_of(world, name)

    async def send() -> MessageSender:
        conversation = client.conversation.create(destination, {"type": chat_type})
        return await conversation.createMessage({"type": "text", "text": text}).send()

    return world.run(send())


def wait_message(world: World, name: str, text: str, destination: str, chat_type: str, sender: str) -> Any:
    client = client_of(world, name)

    def arrived(params: dict[str, Any]) -> bool:
        if params.get("destination") != destination.lower() or params.get("type") != chat_type:
            return False
        conversation = client.conversation.get(destination, {"type": chat_type})
        message = conversation.getMessage(params.get("messageId", "")) if conversation else None
        return message is not None and message.text == text and message.sender == sender.lower()

    return world.wait_event(name, "messages:change", arrived,
                            expected=f"{name} to receive the message {text!r} from {sender}")


def channels_of(world: World, name: str) -> list[dict[str, Any]]:
    """``name``'s CPaaS notification channels, as the platform shows them."""
    assert world.platform is not None
    return world.platform.channels(user=uid(world, name), product="cpaas")
