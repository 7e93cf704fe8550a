"""Messaging, groups, presence, contacts and directory through the SDK: the edge cases.

Offline delivery, history paging, large files, group membership rules and directory paging, all
over real HTTP and websockets on 127.0.0.1; waits are on events with timeouts.
"""

from __future__ import annotations

import io
import os

import pytest

from sdk.cpaas.conversation import chatTypes
from sdk.errors import BasicError

RECONNECT = {"connectivity": {"reconnectDelay": 100, "reconnectLimit": 0}}


async def _send(client, destination: str, text: str, chat_type: str = chatTypes.ONETOONE):
    conversation = client.conversation.create(destination, {"type": chat_type})
    return await conversation.createMessage({"type": "text", "text": text}).send()


def _texts(conversation) -> list[str]:
    return [m.text for m in conversation.getMessages()]


async def test_messages_sent_while_offline_arrive_in_order_after_the_reconnect(platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["chat"])
    bob = await make_cpaas(services=["chat"], **RECONNECT)
    fault = platform.faults.add("refuse_upgrades", duration=60, match={"user": bob.account.user_id})
    mark = bob.recorder.mark
    assert await platform.drop_sockets(user=bob.account.user_id) == 1
    texts = [f"offline {i}" for i in range(30)]
    for text in texts:
        sent = await _send(alice, bob.account.user_id, text)
        assert sent.deliveryStatus == "Delivered"  # accepted for Bob's channel, waiting in its buffer
    (channel,) = platform.channels(user=bob.account.user_id, product="cpaas")
    assert channel["buffered"] == 30 and not channel["connected"]
    platform.faults.remove(fault.id)
    await bob.recorder.wait("ws:change", lambda p: p["state"] == "connected", since=mark, timeout=10)
    conversation = None

    def all_arrived(_params: dict) -> bool:
        found = bob.conversation.get(alice.account.user_id)
        return found is not None and len(found.getMessages()) == 30

    await bob.recorder.wait("messages:change", all_arrived, timeout=10)
    conversation = bob.conversation.get(alice.account.user_id)
    assert _texts(conversation) == texts
    await conversation.fetchMessages(100)
    assert _texts(conversation) == texts


async def test_a_recipient_without_a_channel_finds_the_messages_in_the_history(platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["chat"])
    bob_user = await platform.users.create()
    for text in ("one", "two", "three"):
        sent = await _send(alice, bob_user.user_id, text)
        assert sent.deliveryStatus == "Pending"  # nobody could be told
    bob = await make_cpaas(bob_user)
    await bob.conversation.fetch()
    change = await bob.recorder.wait("conversations:change")
    assert change["conversations"] == [{"destination": alice.account.user_id, "type": chatTypes.ONETOONE}]
    conversation = bob.conversation.get(alice.account.user_id)
    assert conversation.lastMessage == "three" and isinstance(conversation.lastReceived, int)
    await conversation.fetchMessages(2)
    assert _texts(conversation) == ["two", "three"]
    assert all(m.sender == alice.account.user_id and not m.isPending for m in conversation.getMessages())


async def test_a_large_binary_file_round_trips_byte_for_byte(platform, make_cpaas, tmp_path) -> None:
    alice = await make_cpaas(services=["chat"])
    bob = await make_cpaas(services=["chat"])
    content = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "photo.png"
    path.write_bytes(content)
    conversation = alice.conversation.create(bob.account.user_id)
    message = conversation.createMessage({"type": "text", "text": "a photo"})
    with path.open("rb") as handle:  # a real file object: its name gives the part's name and type
        message.addPart({"type": "file", "file": handle})
    sent = await message.send()
    assert sent.parts[1]["name"] == "photo.png" and sent.parts[1]["contentType"] == "image/png"
    received = await bob.recorder.wait("messages:change", lambda p: p.get("sender") == alice.account.user_id)
    copy = bob.conversation.get(alice.account.user_id).getMessage(received["messageId"])
    await copy.createImageLinks()
    assert copy.parts[1]["content"] == content
    assert copy.parts[1]["url"].startswith("data:image/png;base64,")


async def test_message_parts_are_checked_before_anything_is_sent(platform, make_cpaas) -> None:
    alice = await make_cpaas()
    conversation = alice.conversation.create("someone@example.com")
    for part in [{"type": "text"}, {"type": "json"}, {"type": "file", "file": b"x"},
                 {"type": "file", "file": 42, "name": "x"}, {"type": "json", "json": {1, 2}},
                 {"type": "json", "json": {}, "file": b"x"}, "text"]:
        with pytest.raises(BasicError) as caught:
            conversation.createMessage(part)
        assert caught.value.code == "messaging:2", part
    message = conversation.createMessage({"type": "text", "text": "once"})
    sms = alice.conversation.create("+15551234567", {"type": chatTypes.SMS})
    with_file = sms.createMessage({"type": "text", "text": "x"})
    with_file.addPart({"type": "file", "file": io.BytesIO(b"x"), "name": "a"})
    with pytest.raises(BasicError):
        with_file.send()  # an SMS carries text only
    await message.send()
    with pytest.raises(BasicError):
        message.send()  # already sent
    with pytest.raises(BasicError):
        message.addPart({"type": "text", "text": "late"})
    with pytest.raises(BasicError):
        sms.setIsTyping(True)
    with pytest.raises(BasicError):
        conversation.fetchMessages(0)


async def test_group_messages_reach_connected_participants_only(platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["chat"])
    bob = await make_cpaas(services=["chat"])
    carol = await make_cpaas(services=["chat"])
    await alice.groups.create({"name": "Team", "participants": [bob.account.user_id, carol.account.user_id]})
    group = (await alice.recorder.wait("group:new"))["id"]
    await bob.recorder.wait("group:invitation_received")
    await bob.groups.acceptInvitation(group)
    await _send(alice, group, "for connected people", chatTypes.GROUP)
    await bob.recorder.wait("messages:change", lambda p: p.get("destination") == group and "sender" in p)
    assert carol.conversation.get(group, {"type": chatTypes.GROUP}) is None
    assert platform.dump()["chatSessions"].get(carol.account.user_id, 0) == 0  # no session of any kind
    await carol.groups.acceptInvitation(group)
    await _send(bob, group, "welcome carol", chatTypes.GROUP)
    await carol.recorder.wait("messages:change", lambda p: p.get("destination") == group and "sender" in p)
    assert _texts(carol.conversation.get(group, {"type": chatTypes.GROUP})) == ["welcome carol"]
    await alice.conversation.fetch({"type": chatTypes.GROUP})
    listed = await alice.recorder.wait("conversations:change", lambda p: p.get("type") == chatTypes.GROUP)
    assert listed["conversations"] == [{"destination": group, "type": chatTypes.GROUP}]
    # Only the administrator may delete the group conversation (it is the group's URL).
    mark = bob.recorder.mark
    await bob.conversation.get(group, {"type": chatTypes.GROUP}).delete()
    error = await bob.recorder.wait("messages:error", since=mark)
    assert error["error"].code == "POL0002"


async def test_an_invitation_sent_while_offline_arrives_after_the_reconnect(platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["chat"])
    bob = await make_cpaas(services=["chat"], **RECONNECT)
    fault = platform.faults.add("refuse_upgrades", duration=60, match={"user": bob.account.user_id})
    mark = bob.recorder.mark
    await platform.drop_sockets(user=bob.account.user_id)
    await alice.groups.create({"name": "While away", "participants": [bob.account.user_id]})
    group = (await alice.recorder.wait("group:new"))["id"]
    assert bob.groups.getInvitations() == []
    platform.faults.remove(fault.id)
    invitation = await bob.recorder.wait("group:invitation_received", since=mark, timeout=10)
    assert invitation["invitation"]["id"] == group
    assert [i["id"] for i in bob.groups.getInvitations()] == [group]


async def test_fetching_history_of_an_unknown_conversation_reports_the_error(platform, make_cpaas) -> None:
    alice = await make_cpaas()
    conversation = alice.conversation.create((await platform.users.create()).user_id)
    await conversation.fetchMessages()
    change = await alice.recorder.wait("messages:change", lambda p: "error" in p)
    assert change["error"].code == "SVC0004"
    await conversation.delete()  # nothing on the platform: already gone counts as deleted
    assert alice.conversation.getAll() == []


async def test_sms_between_two_platform_users(platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["smsinbound"])
    bob = await make_cpaas(services=["smsinbound"])
    sent = await _send(alice, bob.account.phone_number, "text me", chatTypes.SMS)
    assert sent.sender == alice.account.user_id and sent.type == chatTypes.SMS
    await alice.recorder.wait("messages:change", lambda p: sent.deliveryStatus == "Delivered")
    received = await bob.recorder.wait("messages:change", lambda p: p.get("type") == chatTypes.SMS)
    assert received["destination"] == alice.account.phone_number
    conversation = bob.conversation.get(alice.account.phone_number, {"type": chatTypes.SMS})
    message = conversation.getMessage(received["messageId"])
    assert message.text == "text me" and message.sender == alice.account.phone_number
    await alice.conversation.get(bob.account.phone_number, {"type": chatTypes.SMS}).deleteMessages([sent.messageId])
    # On the platform: gone from Alice's copy only (what a fresh fetch of each side's history shows).
    mine = alice.conversation.get(bob.account.phone_number, {"type": chatTypes.SMS})
    mine.clearMessages()
    await mine.fetchMessages()
    assert mine.getMessages() == []
    conversation.clearMessages()
    await conversation.fetchMessages()
    assert [m.text for m in conversation.getMessages()] == ["text me"]


async def test_directory_paging_visits_every_user_once(platform, make_cpaas) -> None:
    await platform.users.create_many(24)
    alice = await make_cpaas()
    seen: list[str] = []
    next_page = None
    for _ in range(10):  # bounded: 25 users, 10 per page
        mark = alice.recorder.mark
        options = {"max": 10, "sortBy": "lastName", **({"next": next_page} if next_page else {})}
        await alice.user.search({}, options)
        page = await alice.recorder.wait("directory:change", since=mark)
        seen += [u["userId"] for u in page["results"]]
        next_page = page.get("next")
        if next_page is None:
            break
    everyone = {u.user_id for u in platform.users.all() if u.kind == "user"}
    assert len(seen) == len(set(seen)) == 25 and set(seen) == everyone
    with pytest.raises(BasicError):
        alice.user.search({"userId": 42})
    with pytest.raises(BasicError):
        alice.user.search({}, {"max": 1000})


async def test_presence_errors_and_self_presence(platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["presence"])
    with pytest.raises(BasicError):
        alice.presence.update("open", "asleep")
    with pytest.raises(BasicError):
        alice.presence.fetch([])
    await alice.presence.update("open", "busy", "ignored unless ActivitiesOther")  # legacy values are mapped
    assert alice.presence.getSelf() == {"userId": alice.account.user_id, "status": "Open", "activity": "Busy",
                                        "note": None}
    mark = alice.recorder.mark
    await alice.presence.unsubscribe("nobody-watched@example.com")
    error = await alice.recorder.wait("presence:error", since=mark)
    assert error["error"].code == "SVC0004"


async def test_a_contact_update_replaces_it_and_buddy_stays_boolean(platform, make_cpaas) -> None:
    alice = await make_cpaas()
    await alice.contacts.add({"contactId": "c1", "primaryContact": "x@example.com", "buddy": True,
                              "mobilePhoneNumber": "+15550001111"})
    await alice.contacts.update({"contactId": "c1", "primaryContact": "x@example.com", "firstName": "Xavier"})
    await alice.contacts.fetch("c1")
    assert alice.contacts.get("c1") == {"contactId": "c1", "primaryContact": "x@example.com", "firstName": "Xavier",
                                        "list": "friends"}
    with pytest.raises(BasicError):
        alice.contacts.add({"contactId": "c2", "primaryContact": "y@example.com", "buddy": "yes"})
