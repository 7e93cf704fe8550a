"""The platform's keepalive path: a socket's repeated keepalive text is recognised without parsing it
again, yet every keepalive is still counted, journaled, silenced by a blackout and shown to the
contract monitor, exactly as the first one was."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.core.hub import ChannelEndpoint

# As a standalone server runs by default: without the contract monitor, which takes every frame
# through the parser (the last test has it on).
pytestmark = pytest.mark.platform(contract=False)

CONN_CHECK = '{"connCheck":{"interval":30}}'  # as the SDK sends it (cpaas-wire §3.1)
CONN_ACK = {"connAck": {}}


async def _until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait (bounded) until the platform has done ``what``: it gives no event for a keepalive read."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"the platform did not {what} within {timeout} s") from None


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _socket(platform: Platform, session: aiohttp.ClientSession, role: str | None = None
                  ) -> tuple[ChannelEndpoint, aiohttp.ClientWebSocketResponse]:
    user = await platform.users.create()
    endpoint = platform.state.cpaas_channels.create_channel(user.user_id, lifetime=None, role=role)
    token = (await platform.tokens_for(user.user_id))["access_token"]
    ws = await session.ws_connect(f"{platform.ws_url}/cpaas/notificationchannel/v1/{user.user_id}/channels/"
                                  f"{endpoint.id}/websocket?access_token={token}", autoping=False)
    return endpoint, ws


async def _ack(ws: aiohttp.ClientWebSocketResponse) -> None:
    async with asyncio.timeout(5):
        msg = await ws.receive()
    assert msg.type == aiohttp.WSMsgType.TEXT and json.loads(msg.data) == CONN_ACK, msg


def _frames(platform: Platform, endpoint: ChannelEndpoint) -> list[tuple[str, Any]]:
    return [(e["kind"], e["body"]) for e in platform.journal(channel=endpoint.id) if e["kind"] in ("ws-in", "ws-out")]


async def test_each_repeated_conncheck_is_answered_counted_and_journaled_with_its_answer(
        platform: Platform, session: aiohttp.ClientSession) -> None:
    endpoint, ws = await _socket(platform, session)
    for _ in range(3):
        await ws.send_str(CONN_CHECK)
        await _ack(ws)
    await ws.send_str('{"connCheck":{"interval":5}}')  # another text: parsed, and its interval taken
    await _ack(ws)
    check = json.loads(CONN_CHECK)
    assert _frames(platform, endpoint) == [("ws-in", check), ("ws-out", CONN_ACK)] * 3 + [
        ("ws-in", {"connCheck": {"interval": 5}}), ("ws-out", CONN_ACK)]
    entries = platform.journal(channel=endpoint.id, kind=["ws-in", "ws-out"])
    assert [e["seq"] for e in entries[1::2]] == [e["seq"] + 1 for e in entries[::2]]  # answer right after its ping
    health = endpoint.keepalive
    assert (health.pings, health.unanswered, health.interval) == (4, 0, 5.0)
    await ws.close()


async def test_a_blackout_armed_after_the_text_is_known_silences_it_until_lifted(
        platform: Platform, session: aiohttp.ClientSession) -> None:
    endpoint, ws = await _socket(platform, session)
    for _ in range(2):  # the socket's keepalive text is known from here on
        await ws.send_str(CONN_CHECK)
        await _ack(ws)
    fault = platform.faults.add("keepalive_blackout", match={"user": endpoint.user})
    await ws.send_str(CONN_CHECK)
    await _until(lambda: endpoint.keepalive.pings == 3, "read the third connCheck")
    platform.faults.remove(fault.id)
    await ws.send_str(CONN_CHECK)
    await _ack(ws)  # the next frame the client gets is the fourth connCheck's answer: none for the third
    kinds = [kind for kind, _body in _frames(platform, endpoint)]
    assert kinds == ["ws-in", "ws-out"] * 2 + ["ws-in"] + ["ws-in", "ws-out"]
    assert (endpoint.keepalive.pings, endpoint.keepalive.unanswered) == (4, 1)
    await ws.close()


async def test_a_server_driven_channel_counts_the_clients_connacks_without_answering_them(
        platform: Platform, session: aiohttp.ClientSession) -> None:
    endpoint, ws = await _socket(platform, session, role="server")
    async with asyncio.timeout(5):
        assert json.loads((await ws.receive()).data)["connCheck"]  # the platform pings first
    for _ in range(3):
        await ws.send_str('{"connAck":{}}')
    await _until(lambda: endpoint.keepalive.pings == 3, "read three connAcks")
    assert [f for f in _frames(platform, endpoint) if f[0] == "ws-in"] == [("ws-in", CONN_ACK)] * 3
    assert endpoint.keepalive.unanswered == 0
    await ws.close()


@pytest.mark.platform(contract=True)
async def test_the_contract_monitor_is_given_every_keepalive_when_it_is_on(
        platform: Platform, session: aiohttp.ClientSession) -> None:
    monitor = platform.state.contract
    assert monitor is not None
    _endpoint, ws = await _socket(platform, session)
    for _ in range(3):
        await ws.send_str(CONN_CHECK)
        await _ack(ws)
    await ws.close()
    frames = {where: n for where, n in monitor.seen.items() if where.startswith("cpaasNotifications")}
    assert frames == {"cpaasNotifications received connCheck": 3, "cpaasNotifications sent connAck": 3}
