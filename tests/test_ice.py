"""Bounded ICE collection (call.maxIceTimeout, iceCollectionDelay, iceCollectionCheck) with real aiortc."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiortc import RTCIceServer

import sdk.cpaas
import sdk.link
from kandy_media.ice import IceSettings, has_relay
from kandy_media.peer import Peer


@pytest.fixture
def silent_stun() -> Iterator[str]:
    """A STUN server that never answers: gathering would wait aioice's own 5 s for it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"stun:127.0.0.1:{sock.getsockname()[1]}"


async def _offer(stun: str, settings: IceSettings | None) -> tuple[Peer, float, str]:
    peer = Peer(servers=[RTCIceServer(urls=stun)], host_addresses=["127.0.0.1"], preferred_codecs=None,
                on_track=lambda *_: None)
    peer.pc.addTransceiver("audio")
    loop = asyncio.get_running_loop()
    started = loop.time()
    sdp = await peer.create_offer(lambda text: text, ice=settings)
    elapsed = loop.time() - started
    await peer.close()
    return peer, elapsed, sdp


async def test_max_ice_timeout_bounds_the_wait_for_an_unanswering_server(silent_stun: str) -> None:
    peer, elapsed, sdp = await _offer(silent_stun, IceSettings(max_timeout=0.3, delay=0.1))
    assert 0.25 <= elapsed < 1.5
    assert peer.last_gathering["reason"] == "timeout"
    assert [c["type"] for c in peer.last_gathering["candidates"]] == ["host"]
    assert "a=candidate:" in sdp and "typ host" in sdp


async def test_a_passing_collection_check_continues_at_the_next_delay(silent_stun: str) -> None:
    seen: list[list[dict[str, Any]]] = []

    def enough(candidates: list[dict[str, Any]]) -> bool:
        seen.append(candidates)
        return any(c["type"] == "host" for c in candidates)

    peer, elapsed, _sdp = await _offer(silent_stun, IceSettings(max_timeout=5.0, delay=0.05, check=enough))
    assert elapsed < 1.0
    assert peer.last_gathering["reason"] == "check"
    assert seen and seen[0][0]["candidate"].startswith("candidate:") and seen[0][0]["address"] == "127.0.0.1"


async def test_a_check_that_raises_counts_as_not_yet(silent_stun: str) -> None:
    def broken(candidates: list[dict[str, Any]]) -> bool:
        raise RuntimeError("app bug")

    peer, elapsed, _sdp = await _offer(silent_stun, IceSettings(max_timeout=0.3, delay=0.05, check=broken))
    assert peer.last_gathering["reason"] == "timeout" and elapsed >= 0.25


async def test_without_servers_gathering_completes_at_once() -> None:
    peer = Peer(servers=[], host_addresses=["127.0.0.1"], preferred_codecs=None, on_track=lambda *_: None)
    peer.pc.addTransceiver("audio")
    await peer.create_offer(lambda text: text, ice=IceSettings(max_timeout=3.0, delay=1.0))
    await peer.close()
    assert peer.last_gathering["reason"] == "complete"


def test_settings_come_from_the_link_call_config() -> None:
    call = {"maxIceTimeout": 1500, "iceCollectionDelay": 250, "iceCollectionCheck": has_relay}
    link = sdk.link.create({"logs": {"logLevel": "silent"}, "call": call})
    settings = IceSettings.from_config(link.config["call"])
    assert settings == IceSettings(max_timeout=1.5, delay=0.25, check=has_relay)
    assert IceSettings.from_config(sdk.link.create({"logs": {"logLevel": "silent"}}).config["call"]) == \
        IceSettings(max_timeout=3.0, delay=1.0)
    # CPaaS documents no ICE timing keys: aiortc's own bounds apply.
    assert IceSettings.from_config(sdk.cpaas.create({"logs": {"logLevel": "silent"}}).config["call"]) is None
    assert has_relay([{"type": "relay"}]) and not has_relay([{"type": "host"}])


async def test_a_link_call_honours_the_ice_timing_keys(make_link: Any, silent_stun: str) -> None:
    client = await make_link(call={"iceServers": [{"urls": silent_stun}], "maxIceTimeout": 300,
                                   "iceCollectionDelay": 100})
    call_id = client.call.makeAnonymous("echo@example.com", {}, {"from": "carol@example.com"})
    await client.recorder.wait("call:stateChange", lambda p: client.call.getById(call_id)["state"] == "Connected")
    gathering = client.call.engine.get(call_id).peer.last_gathering
    assert gathering["reason"] == "timeout" and 250 <= gathering["ms"] < 1500, gathering
