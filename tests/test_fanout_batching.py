"""What a group message's fan-out draws and reads once for all members: its ids (one random draw
per message, the counter numbering each copy) and the journal's timestamp (one per fan-out)."""

from __future__ import annotations

import asyncio
import re
from itertools import count
from typing import Any

import orjson

from fake_platform import Platform
from fake_platform.core.ids import SeededRandom
from fake_platform.core.journal import Journal
from fake_platform.core.websocket import encode

from .test_chat_fanout import _channel, _group

ID_SHAPE = re.compile(r"^(m|ntf)-[0-9a-f]{8}-\d+$")


def test_a_run_of_ids_has_the_shape_of_single_ids_and_the_counter_goes_on_after_it() -> None:
    ids = SeededRandom(7)
    first = ids.id("m")
    run = ids.ids("m", 3)
    after = ids.id("m")
    assert all(ID_SHAPE.match(i) for i in [first, *run, after])
    numbers = [int(i.rsplit("-", 1)[1]) for i in [first, *run, after]]
    assert numbers == [1, 2, 3, 4, 5]  # every id unique: the counter numbers each one
    assert len({i.split("-")[1] for i in run}) == 1  # one draw for the run
    assert ids.ids("m", 0) == [] and ids.id("m").endswith("-6")


def test_frames_journaled_inside_same_time_share_one_timestamp_read_once() -> None:
    walls, monos = count(1000), count(1)
    journal = Journal(lambda: next(walls), lambda: float(next(monos)))
    journal.frame("ws-out", "a", "ch-a", b"{}")
    with journal.same_time():
        for user in ("b", "c", "d"):
            journal.frame("ws-out", user, f"ch-{user}", b"{}")
        with journal.same_time():  # nested: its own time, the outer one's back after it
            journal.frame("ws-out", "e", "ch-e", b"{}")
        journal.frame("ws-out", "f", "ch-f", b"{}")
    journal.frame("ws-out", "g", "ch-g", b"{}")
    times = [(e.user, e.at, e.mono) for e in journal.query()]
    assert times == [("a", 1000, 1.0), ("b", 1001, 2.0), ("c", 1001, 2.0), ("d", 1001, 2.0),
                     ("e", 1002, 3.0), ("f", 1001, 2.0), ("g", 1003, 4.0)]
    assert [e.seq for e in journal.query()] == list(range(1, 8))


async def test_every_members_copy_and_notification_has_its_own_id_across_messages(platform: Platform) -> None:
    state, users, group_id = await _group(platform, 5)
    recorders = {user: _channel(state, user) for user in users[1:]}
    for text in ("one", "two"):
        state.messaging.send(users[0], "group", group_id, {"text": text})
    message_ids: list[str] = []
    notification_ids: list[str] = []
    for user, recorder in recorders.items():
        stored = list(state.messaging.mailboxes[user][("group", group_id)].messages)
        linked = [f["chatMessageNotification"]["link"][0]["href"].rsplit("/", 1)[1] for f in recorder.frames]
        assert linked == stored  # the frame links the member's own copy
        message_ids += stored
        notification_ids += [f["chatMessageNotification"]["id"] for f in recorder.frames]
    own: Any = state.messaging.mailboxes[users[0]][("group", group_id)].messages
    message_ids += list(own)
    assert len(message_ids) == len(set(message_ids)) == 10
    assert len(notification_ids) == len(set(notification_ids)) == 8
    assert all(ID_SHAPE.match(i) for i in message_ids + notification_ids)


async def test_notification_faults_still_reach_a_group_messages_frames(platform: Platform) -> None:
    """The fan-out publishes to each member's channel directly (hub.publish_to): the drop, duplicate
    and delay faults still apply to those frames, and only while set."""
    state, users, group_id = await _group(platform, 2)
    recorder = _channel(state, users[1])

    def texts() -> list[str]:
        return [f["chatMessageNotification"]["chatMessage"]["text"] for f in recorder.frames]

    state.faults.add("drop_notifications", count=1)
    state.messaging.send(users[0], "group", group_id, {"text": "dropped"})
    state.faults.add("duplicate_notifications", count=1)
    state.messaging.send(users[0], "group", group_id, {"text": "twice"})
    state.faults.add("delay_notifications", count=1, ms=20)
    state.messaging.send(users[0], "group", group_id, {"text": "late"})
    state.messaging.send(users[0], "group", group_id, {"text": "plain"})
    assert texts() == ["twice", "twice", "plain"]
    arrived = asyncio.Event()
    recorder.send = lambda frame, payload=None: (recorder.frames.append(frame), arrived.set())
    await asyncio.wait_for(arrived.wait(), 5)
    assert texts() == ["twice", "twice", "plain", "late"]
    assert not state.faults.armed


ODD_TEXTS = ['plain', 'quote " backslash \\ slash / tab \t newline \n nul \x00 bell \x07 del \x7f',
             'accents é ñ, CJK 漢字, emoji 😀, separators \u2028 \u2029, bom \ufeff', '', ' ' * 3 + 'x' * 9000]


async def test_a_members_spliced_frame_is_byte_for_byte_what_the_serialiser_writes(platform: Platform) -> None:
    """Each member's frame text is spliced from one serialisation of the shared message: it must be
    exactly ``encode(frame)`` of the frame every other reader (contract, faults, buffer) sees, for
    texts that need escaping, for group and 1:1 messages, and for members with two devices."""
    state, users, group_id = await _group(platform, 4)
    recorders = {user: [_channel(state, user), _channel(state, user)] for user in users[1:]}
    for text in ODD_TEXTS:
        if text:
            state.messaging.send(users[0], "group", group_id, {"text": text})
    state.messaging.send(users[0], "oneToOne", users[1], {"text": 'one "to" one \\ é'})
    spliced = 0
    for user in users[1:]:
        first, second = recorders[user]
        assert len(first.frames) == len(second.frames) == (5 if user == users[1] else 4)
        for frame, payload in zip(first.frames + second.frames, first.payloads + second.payloads, strict=True):
            if payload is not None:
                spliced += 1
                assert payload == encode(frame)
                assert orjson.loads(payload) == frame
    assert spliced == 4 * 3 + 1  # one device of each member takes the spliced text; the other a copy
    assert all(p is None for user in users[1:] for p in recorders[user][1].payloads)


async def test_a_message_with_an_attachment_is_encoded_whole(platform: Platform) -> None:
    state, users, group_id = await _group(platform, 3)
    recorders = {user: _channel(state, user) for user in users[1:]}
    stored = state.files.upload(users[0], "a.txt", "text/plain", b"hello", None)
    state.messaging.send(users[0], "group", group_id, {"text": "with file", "attachment": [{"x-id": stored.id}]})
    for recorder in recorders.values():
        assert recorder.payloads == [None]
        assert recorder.frames[0]["chatMessageNotification"]["chatMessage"]["attachment"]
