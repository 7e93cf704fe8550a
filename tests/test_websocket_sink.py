"""The platform's websocket writer: frames written at once, or queued behind a slow reader, in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.core.hub import ChannelEndpoint

# These tests publish raw probe frames straight into the hub: socket plumbing, not the wire contract.
# 300 frames of 60 kB, journaled whole, queued for a slow reader and kept for the next socket: above
# the defaults of the journal (4 kB a body), the slow-reader cut-off (200 frames) and a channel's
# buffer (16 MiB), which test_limits.py checks.
pytestmark = pytest.mark.platform(contract=False, journal_body_bytes=100_000, ws_queue_frames=1000,
                                  channel_buffer_bytes=64 * 1024 * 1024)

FRAMES = 300
PADDING = "x" * 60_000  # 300 frames of ~60 kB: far more than the socket buffers hold, so the writer must wait


def _next(platform: Platform, kind: str, channel: str) -> Awaitable[None]:
    """A future done at the hub's next ``kind`` observation ("attached", "detached", "requeued") of ``channel``."""
    done = asyncio.get_running_loop().create_future()

    def observer(what: str, endpoint: ChannelEndpoint) -> None:
        if what == kind and endpoint.id == channel and not done.done():
            done.set_result(None)
            platform.state.hub.observers.remove(observer)

    platform.state.hub.observers.append(observer)
    return asyncio.wait_for(done, 10)


async def _connect(platform: Platform, session: aiohttp.ClientSession, endpoint: ChannelEndpoint
                   ) -> aiohttp.ClientWebSocketResponse:
    token = (await platform.tokens_for(endpoint.user))["access_token"]
    attached = _next(platform, "attached", endpoint.id)
    ws = await session.ws_connect(f"{platform.ws_url}/cpaas/notificationchannel/v1/{endpoint.user}/channels/"
                                  f"{endpoint.id}/websocket?access_token={token}", max_msg_size=0)
    await attached
    return ws


async def _read(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[int]:
    seen: list[int] = []
    async with asyncio.timeout(30):
        while len(seen) < count:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            seen.append(json.loads(msg.data)["probe"]["n"])
    return seen


async def _channel(platform: Platform) -> ChannelEndpoint:
    user = await platform.users.create()
    return platform.state.cpaas_channels.create_channel(user.user_id, lifetime=None, role=None)


async def test_a_reader_that_falls_behind_gets_every_frame_in_order(platform: Platform) -> None:
    endpoint = await _channel(platform)
    async with aiohttp.ClientSession() as session:
        ws = await _connect(platform, session, endpoint)
        sink = endpoint.socket
        for n in range(FRAMES):  # nobody reads yet: the transport fills up and asks to drain
            assert platform.state.hub.publish(endpoint.id, {"probe": {"n": n, "padding": PADDING}})
        assert sink._writer is not None and len(sink._queue) > 0  # the rest waits for the writer task
        assert await _read(ws, FRAMES) == list(range(FRAMES))
        sent = platform.state.journal.query(kind="ws-out", channel=endpoint.id)
        assert [e.to_dict()["body"]["probe"]["n"] for e in sent] == list(range(FRAMES))
        await ws.close()


async def test_frames_a_dropped_socket_had_not_written_go_to_the_next_one(platform: Platform) -> None:
    endpoint = await _channel(platform)
    async with aiohttp.ClientSession() as session:
        ws = await _connect(platform, session, endpoint)
        sink = endpoint.socket
        for n in range(FRAMES):
            platform.state.hub.publish(endpoint.id, {"probe": {"n": n, "padding": PADDING}})
        queued = len(sink._queue)
        assert queued > 0
        given_back = _next(platform, "requeued", endpoint.id)
        await platform.drop_sockets(user=endpoint.user)  # 1006: the transport is aborted
        await given_back
        assert len(endpoint.buffer) == queued
        again = await _connect(platform, session, endpoint)
        platform.state.hub.publish(endpoint.id, {"probe": {"n": FRAMES, "padding": ""}})
        # What the dropped socket had written is lost with it (a websocket has no acknowledgements);
        # nothing that waited is lost, and the order holds.
        assert await _read(again, queued + 1) == list(range(FRAMES - queued, FRAMES + 1))
        await asyncio.gather(ws.close(), again.close())
