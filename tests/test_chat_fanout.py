"""A group message's fan-out on the platform: what each member's channels receive (the models,
with recording sockets in place of websockets)."""

from __future__ import annotations

import copy
from typing import Any

from fake_platform import Platform


class Recorder:
    """A socket sink that keeps what it is sent."""

    def __init__(self, channel_id: str) -> None:
        self.channel_id = channel_id
        self.frames: list[dict[str, Any]] = []
        self.payloads: list[bytes | None] = []  # the JSON text the publisher made, if it did

    def send(self, frame: dict[str, Any], payload: bytes | None = None) -> None:
        self.frames.append(frame)
        self.payloads.append(payload)

    async def close(self, code: int) -> None:
        return None


async def _group(platform: Platform, members: int) -> tuple[Any, list[str], str]:
    state = platform.state
    users = [u.user_id for u in await platform.users.create_many(members)]
    group = state.groups.create(users[0], name="G", subject=None, image=None, group_type="Closed",
                                participants=[{"address": u} for u in users[1:]])
    for user in users[1:]:
        state.groups.set_status(user, group.id, user, "Connected")
    return state, users, group.id


def _channel(state: Any, user: str, *, subscribe: bool = True) -> Recorder:
    endpoint = state.cpaas_channels.create_channel(user, lifetime=None, role=None)
    if subscribe:
        state.cpaas_channels.subscribe(user, "chat", endpoint.callback_url)
    recorder = Recorder(endpoint.id)
    state.hub.attach(endpoint.id, recorder)
    return recorder


async def test_every_channel_gets_its_own_frame_and_the_shared_message_is_not_changed(platform) -> None:
    state, users, group_id = await _group(platform, 4)
    channels = {user: [_channel(state, user), _channel(state, user)] for user in users[1:]}  # two devices each
    state.messaging.send(users[0], "group", group_id, {"text": "hello"})
    frames = [f for user in users[1:] for r in channels[user] for f in r.frames]
    assert len(frames) == 6
    notifications = [f["chatMessageNotification"] for f in frames]
    assert len({n["id"] for n in notifications}) == 6  # one id per copy on the wire
    chats = [n["chatMessage"] for n in notifications]
    assert all(c == {"senderAddress": users[0], "x-destinationAddress": group_id, "dateTime": chats[0]["dateTime"],
                     "x-type": "inbound", "text": "hello"} for c in chats)
    for user in users[1:]:
        mine = [f["chatMessageNotification"] for r in channels[user] for f in r.frames]
        base = f"/cpaas/chat/v1/{user}/group/{group_id}"
        assert [n["link"] for n in mine] == [[{"rel": "chatMessage", "href": mine[0]["link"][0]["href"]},
                                              {"rel": "chatSession", "href": base}]] * 2
        assert mine[0]["link"][0]["href"].startswith(f"{base}/messages/m-")
    # The message body is one object shared by every copy (frames are read-only once published):
    # giving one copy its id must not have touched it or another copy.
    assert all(c is chats[0] for c in chats) and "id" not in chats[0]
    assert [n["id"] for n in notifications] == [n["id"] for n in copy.deepcopy(notifications)]

async def test_a_member_hears_from_the_moment_it_subscribes_until_it_unsubscribes(platform) -> None:
    state, users, group_id = await _group(platform, 2)
    member = users[1]
    recorder = _channel(state, member, subscribe=False)
    state.messaging.send(users[0], "group", group_id, {"text": "before"})
    subscription = state.cpaas_channels.subscribe(member, "chat", recorder.channel_id)
    state.messaging.send(users[0], "group", group_id, {"text": "subscribed"})
    state.cpaas_channels.unsubscribe(member, "chat", subscription.id)
    state.messaging.send(users[0], "group", group_id, {"text": "after"})
    again = state.cpaas_channels.subscribe(member, "chat", recorder.channel_id)
    state.messaging.send(users[0], "group", group_id, {"text": "again"})
    await state.cpaas_channels.delete_channel(member, recorder.channel_id)
    other = _channel(state, member, subscribe=False)
    state.messaging.send(users[0], "group", group_id, {"text": "deleted"})
    texts = [f["chatMessageNotification"]["chatMessage"]["text"] for f in recorder.frames + other.frames]
    assert texts == ["subscribed", "again"]
    assert again.id not in state.cpaas_channels.subscriptions
