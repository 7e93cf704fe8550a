"""Received chat messages kept as records: the objects handed out keep the documented shape and
every change made to them (sdk/cpaas/messages.py, docs/decisions.md "Received messages")."""

from __future__ import annotations

import gc
from typing import Any

import sdk.cpaas
from sdk.cpaas.conversation import Conversation, chatTypes
from sdk.cpaas.messages import MessageSender
from sdk.notifications import PUSH

GROUP = "grp-1"
ME = "alice@example.com"


def _client() -> Any:
    return sdk.cpaas.create({"logs": {"logLevel": "silent"}})


def _receive(client: Any, number: int, *, text: str | None = None,
             attachment: dict[str, Any] | None = None) -> str:
    """Hand the client a group chat notification as the platform words it; the message id."""
    message_id = f"m-{number}"
    chat: dict[str, Any] = {"senderAddress": "Bob@example.com", "x-destinationAddress": GROUP,
                            "dateTime": 1000.0 + number, "x-type": "inbound"}
    if text is not None:
        chat["text"] = text
    if attachment is not None:
        chat["attachment"] = [attachment]
    base = f"/cpaas/chat/v1/{ME}/group/{GROUP}"
    frame = {"chatMessageNotification": {"chatMessage": chat, "id": f"ntf-{number}", "link": [
        {"rel": "chatMessage", "href": f"{base}/messages/{message_id}"}, {"rel": "chatSession", "href": base}]}}
    assert client.notifications.process(frame, PUSH)
    return message_id


def _conversation(client: Any) -> Conversation:
    conversation = client.conversation.get(GROUP, {"type": chatTypes.GROUP})
    assert conversation is not None
    return conversation


def test_a_received_message_has_the_documented_properties() -> None:
    client = _client()
    message_id = _receive(client, 1, text="hello")
    message = _conversation(client).getMessage(message_id)
    assert isinstance(message, MessageSender)
    assert message.to_dict() == {"timestamp": 1001.0, "isPending": False, "read": False,
                                 "parts": [{"type": "text", "text": "hello"}], "sender": "bob@example.com",
                                 "messageId": "m-1", "type": chatTypes.GROUP, "deliveryStatus": None}
    assert (message.text, message.destination, message.parts) == ("hello", GROUP, [{"type": "text", "text": "hello"}])
    assert repr(message) == "MessageSender('m-1', sender='bob@example.com', text='hello')"


def test_the_same_object_is_handed_out_while_it_is_held() -> None:
    client = _client()
    ids = [_receive(client, n, text=f"t{n}") for n in range(3)]
    conversation = _conversation(client)
    held = conversation.getMessage(ids[1])
    assert conversation.getMessage(ids[1]) is held
    assert conversation.getMessages()[1] is held
    assert [m.messageId for m in conversation.getMessages()] == ids


def test_a_property_set_on_a_received_message_is_kept_after_it_is_dropped() -> None:
    client = _client()
    message_id = _receive(client, 1, text="hello")
    conversation = _conversation(client)
    conversation.getMessage(message_id).read = True
    gc.collect()
    again = conversation.getMessage(message_id)
    assert again.read is True
    assert again.to_dict()["parts"] == [{"type": "text", "text": "hello"}]


def test_parts_changed_in_place_are_kept_after_the_message_is_dropped() -> None:
    client = _client()
    first, second = _receive(client, 1, text="one"), _receive(client, 2, text="two")
    conversation = _conversation(client)
    conversation.getMessage(first).parts[0]["seen"] = True
    conversation.getMessage(second).parts.append({"type": "text", "text": "more"})
    gc.collect()
    assert conversation.getMessage(first).parts == [{"type": "text", "text": "one", "seen": True}]
    assert conversation.getMessage(second).text == "two more"
    assert [m.messageId for m in conversation.getMessages()] == [first, second]  # kept in their place


def test_a_file_part_is_described_as_the_platform_sent_it() -> None:
    client = _client()
    attachment = {"name": "a.png", "link": "https://x/objects/1", "x-id": "obj-1", "contentType": "image/png"}
    message_id = _receive(client, 1, text="see", attachment=attachment)
    parts = _conversation(client).getMessage(message_id).to_dict()["parts"]
    assert parts == [{"type": "text", "text": "see"},
                     {**attachment, "rawURL": "https://x/objects/1", "type": "file"}]


def test_deleted_and_cleared_messages_stay_gone_when_a_held_object_changes() -> None:
    client = _client()
    ids = [_receive(client, n, text=f"t{n}") for n in range(3)]
    conversation = _conversation(client)
    held = conversation.getMessage(ids[0])
    conversation._remove(ids[0])  # what deleteMessages does once the platform agreed
    held.read = True
    assert conversation.getMessage(ids[0]) is None
    assert [m.messageId for m in conversation.getMessages()] == ids[1:]
    kept = conversation.getMessage(ids[1])
    conversation.clearMessages()
    kept.read = True
    assert conversation.getMessages() == []


def test_received_text_messages_leave_nothing_for_the_cycle_collector() -> None:
    client = _client()
    for n in range(200):
        _receive(client, n, text=f"message {n}")
    conversation = _conversation(client)
    assert conversation.getMessage("m-7").text == "message 7"  # read, not changed
    gc.collect()  # a collection untracks tuples of plain values
    assert [e for e in conversation._messages if gc.is_tracked(e)] == []


def _chat_frame(*, group: bool = True, **changes: Any) -> dict[str, Any]:
    base = f"/cpaas/chat/v1/{ME}/group/{GROUP}" if group else f"/cpaas/chat/v1/{ME}/oneToOne/bob@example.com/adhoc"
    chat = {"senderAddress": "Bob@Example.com", "x-destinationAddress": "Grp-1" if group else ME,
            "dateTime": 1234.5, "x-type": "inbound", "text": "hi"}
    notification: dict[str, Any] = {"chatMessage": chat, "id": "ntf-1", "link": [
        {"rel": "chatMessage", "href": f"{base}/messages/m-9"}, {"rel": "chatSession", "href": base}]}
    for key, value in changes.items():
        (chat if key != "link" else notification)[key] = value
    return notification


def test_the_plain_text_reading_gives_what_the_general_one_gives() -> None:
    protocol = _client().conversation._protocol
    for notification in (_chat_frame(), _chat_frame(group=False), _chat_frame(text=""),
                         _chat_frame(dateTime=None)):
        fast = protocol.inbound_text(notification)
        kind, item = protocol.parse_chat(notification)
        assert kind == "message" and fast is not None
        assert fast == (item["type"], item["destination"], item["messageId"], item["sender"], item["timestamp"],
                        item["parts"][0]["text"])
        assert item["parts"] == [{"type": "text", "text": fast[5]}] and item["deliveryStatus"] is None


def test_other_chat_notifications_are_left_to_the_general_reading() -> None:
    protocol = _client().conversation._protocol
    session_first = [{"rel": "chatSession", "href": "/cpaas/chat/v1/a/group/g"},
                     {"rel": "chatMessage", "href": "/cpaas/chat/v1/a/group/g/messages/m-1"}]
    for notification in (_chat_frame(attachment=[{"name": "a", "link": "https://x/1"}]), _chat_frame(text=7),
                         _chat_frame(**{"x-type": "outbound"}), _chat_frame(link=session_first),
                         _chat_frame(link=[]), {"isComposing": {"state": "active"}}):
        assert protocol.inbound_text(notification) is None
