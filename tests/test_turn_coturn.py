"""The platform's TURN credentials on a real TURN server: Debian's coturn with ``use-auth-secret``
and the platform's secret accepts what the platform mints and refuses what it would refuse, and a
call relayed through coturn connects with credentials from the platform's ``/turn`` endpoint.
``make coturn`` installs it; without it these tests skip."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aioice import stun
from aioice.turn import create_turn_endpoint

from fake_platform import Platform

from .test_turn_relay import Inbox, udp_socket

TURNSERVER = shutil.which("turnserver")
pytestmark = pytest.mark.skipif(TURNSERVER is None, reason="coturn's turnserver is not installed (make coturn)")
READY_TIMEOUT = 10.0


def _free_port() -> int:
    """A port free for both UDP and TCP right now (coturn listens on both)."""
    for _attempt in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise OSError("no free port")


async def _answers_binding(port: int) -> bool:
    transport, inbox = await udp_socket()
    try:
        transport.sendto(bytes(stun.Message(stun.Method.BINDING, stun.Class.REQUEST)), ("127.0.0.1", port))
        async with asyncio.timeout(0.2):
            await inbox.queue.get()
        return True
    except TimeoutError:
        return False
    finally:
        transport.close()


@pytest.fixture
async def coturn(platform: Platform, tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    """coturn on 127.0.0.1 sharing the platform's TURN secret and realm."""
    port = _free_port()
    low = 49152 + port % 10000
    turn = platform.state.turn
    log = (tmp_path / "coturn.log").open("w")
    process = subprocess.Popen(
        [str(TURNSERVER), "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={port}",
         f"--min-port={low}", f"--max-port={low + 200}", "--use-auth-secret", f"--static-auth-secret={turn.secret}",
         f"--realm={turn.realm}", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
         f"--pidfile={tmp_path / 'turnserver.pid'}", f"--db={tmp_path / 'turndb'}", "--log-file=stdout",
         "--simple-log"], stdout=log, stderr=subprocess.STDOUT)
    try:
        async with asyncio.timeout(READY_TIMEOUT):  # a readiness probe: coturn has no other signal
            while not await _answers_binding(port):
                if process.poll() is not None:
                    pytest.fail(f"coturn exited: {(tmp_path / 'coturn.log').read_text()[-2000:]}")
        yield "127.0.0.1", port
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        if process.poll() is None:
            process.kill()
        log.close()


async def _allocate_and_relay(server: tuple[str, int], creds: dict[str, Any], transport: str) -> None:
    relay, inbox = await create_turn_endpoint(Inbox, server, creds["username"], creds["password"],
                                              transport=transport)
    peer, peer_inbox = await udp_socket()
    try:
        relayed = relay.get_extra_info("sockname")
        relay.sendto(b"ping", peer.get_extra_info("sockname"))
        assert (await peer_inbox.next()) == (b"ping", relayed)
        peer.sendto(b"pong", relayed)
        assert (await inbox.next())[0] == b"pong"
    finally:
        relay.close()
        peer.close()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_coturn_takes_the_credentials_the_platform_mints(platform: Platform, coturn: tuple[str, int],
                                                               transport: str) -> None:
    creds = platform.state.turn.credentials("alice@example.com")
    await _allocate_and_relay(coturn, creds, transport)
    await _allocate_and_relay(("127.0.0.1", platform.relay.port), creds, transport)  # and so does ours


@pytest.mark.parametrize("server", ["coturn", "platform"])
async def test_coturn_and_the_platform_refuse_the_same_credentials(platform: Platform, coturn: tuple[str, int],
                                                                   server: str) -> None:
    turn = platform.state.turn
    address = coturn if server == "coturn" else ("127.0.0.1", platform.relay.port)
    good = turn.credentials("alice@example.com")
    expired = turn.credentials("alice@example.com", ttl=-60)
    expiry, _, user = good["username"].partition(":")
    for username, password in ((good["username"], good["password"][::-1]),  # tampered password
                               (f"{int(expiry) + 3600}:{user}", good["password"]),  # tampered expiry
                               (expired["username"], expired["password"])):
        with pytest.raises(stun.TransactionFailed, match="401"):
            await create_turn_endpoint(Inbox, address, username, password)


async def test_a_call_relays_through_coturn_with_credentials_from_the_platform(
        make_cpaas: Any, platform: Platform, coturn: tuple[str, int]) -> None:
    url = f"turn:{coturn[0]}:{coturn[1]}?transport=udp"
    platform.state.turn.urls[:] = [url]  # the platform now names coturn in what it hands out
    relayed = {"iceServers": [{"urls": url}], "iceTransportPolicy": "relay"}
    alice = await make_cpaas(services=["call"], call=relayed, runtime={"codecs": ["PCMU"]})
    assert alice.turn_credentials["urls"] == [url]
    call_id = alice.call.make("echo@example.com", {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Connected")
    alice.media.renderTracks(alice.call.getById(call_id)["remoteTracks"], "#echo")
    await alice.media.getContainer("#echo").wait_until(lambda c: any(t.level_at(440) > 0.5 for t in c.audio()))
    stats = await alice.call.getStats(call_id)
    pair = next(s for s in stats.values() if s["type"] == "candidate-pair")
    local = stats[pair["localCandidateId"]]
    assert local["candidateType"] == "relay" and coturn[1] != platform.relay.port
    assert not platform.relay.allocations  # the media went through coturn, not the platform
    await alice.call.end(call_id)
