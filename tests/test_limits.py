"""What a long-running platform keeps is bounded: the journal, users' phone numbers, slow websocket
readers, channels and subscriptions (their lifetime and their number), ended calls, files, history
and list sizes. Every bound is a PlatformConfig field (README "Bad input and limits")."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.core.journal import ENTRY_COST, Journal
from tests.platform_world import OFFER, basic, build


def test_the_journal_keeps_a_bounded_copy_of_each_body_and_a_bounded_total() -> None:
    journal = Journal(lambda: 0, lambda: 0.0, capacity=1000, max_body=100, max_bytes=10_000)
    for n in range(200):
        journal.record("http", body="x" * 25_000_000 if n == 0 else json.dumps({"n": n, "pad": "y" * 150}))
    assert journal.bytes <= 10_000 and len(journal) < 200
    entries = journal.query()
    assert entries[-1].to_dict()["body"].startswith('{"n": 199') and entries[-1].seq == 200
    journal.record("ws-in", body=b"z" * 1000)
    assert journal.query()[-1].body.endswith("... (1000 bytes)") and len(journal.query()[-1].body) < 130
    journal.clear()
    assert journal.bytes == 0 and len(journal) == 0


def test_the_journal_keeps_its_newest_entries_and_counts_only_their_bytes() -> None:
    journal = Journal(lambda: 0, lambda: 0.0, capacity=3, max_bytes=10_000)
    for n in range(5):
        journal.frame("ws-out", "u", "ch", b"f" * n)
    journal.record("http", body="r" * 5)
    entries = journal.query()
    assert [e.seq for e in entries] == [4, 5, 6] and [e.body for e in entries] == [b"fff", b"ffff", "rrrrr"]
    assert journal.bytes == 3 * ENTRY_COST + 3 + 4 + 5  # the dropped entries no longer count
    journal.frame("ws-out", "u", "ch", b"x" * 5000)  # longer than a body is kept: cut, as record() does
    assert journal.query()[-1].body.endswith("... (5000 bytes)") and len(journal) == 3


async def test_unauthenticated_big_posts_are_not_read_or_kept(platform: Platform) -> None:
    before = platform.state.journal.bytes
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            body = b'{"x":"' + b"a" * (10 * 1024 * 1024) + b'"}'
            async with session.post(f"{platform.url}/rest/version/1/user/nobody@example.com/subscription",
                                    data=body, headers={"Content-Type": "application/json"}) as resp:
                assert resp.status == 401
    kept = [e for e in platform.journal(kind="http") if e.get("status") == 401]
    assert len(kept) == 5 and all("body" not in e for e in kept)
    assert platform.state.journal.bytes - before < 5 * 1000


def test_user_creation_never_runs_out_of_phone_numbers() -> None:
    """The 10,001st user used to loop for ever: every +1613555XXXX number was taken."""
    from fake_platform.auth.models import UserDirectory
    from fake_platform.core.ids import SeededRandom

    users = UserDirectory(SeededRandom(1), "example.com")
    users._by_phone.update({f"+1613555{n:04d}": "taken" for n in range(10_000)})  # the old plan, full
    started = time.monotonic()
    made = [users.create() for _ in range(50)]
    assert len({u.phone_number for u in made}) == 50 and not any(u.phone_number.startswith("+1613555") for u in made)
    twins = [users.create(first_name="Ann", last_name="Lee") for _ in range(300)]
    assert len({u.user_id for u in twins}) == 300 and twins[-1].user_id == "ann.lee300@example.com"
    assert time.monotonic() - started < 30  # a bound on a hang, not a speed target


@pytest.mark.platform(ws_queue_frames=50)
async def test_a_client_that_never_reads_is_cut_off_and_its_frames_wait_for_the_next_socket(
        platform: Platform) -> None:
    bob = await platform.users.create()
    async with aiohttp.ClientSession() as session:
        channel_path = await _link_channel(session, platform, bob)
        channel = channel_path.rsplit("/", 1)[1]
        ws = await session.ws_connect(platform.ws_url + channel_path, max_msg_size=0)
        try:
            endpoint = platform.state.hub.channels[channel]
            big = {"eventType": "IM", "imnotificationParams": {"msgText": "x" * 60_000}}
            deadline = time.monotonic() + 20
            while endpoint.socket is not None and time.monotonic() < deadline:
                for _ in range(20):
                    platform.state.link.notify_owner(bob.user_id, big)
                await asyncio.sleep(0.01)  # the writer's turn; the client reads nothing
            assert endpoint.socket is None, "the platform never cut the reader off"
            cut = [e for e in platform.journal(kind="fault") if e.get("channel") == channel]
            assert cut and cut[0]["detail"]["action"] in ("write_queue_full", "write_timeout")
            assert len(endpoint.buffer) > 0  # what it did not read waits for the next socket
        finally:
            await ws.close()


@pytest.mark.platform(max_channels_per_user=3, max_anonymous_subscriptions=2)
async def test_channels_and_subscriptions_are_capped(platform: Platform) -> None:
    bob = await platform.users.create()
    token = (await platform.tokens_for(bob))["access_token"]
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(4):
            async with session.post(f"{platform.url}/cpaas/notificationchannel/v1/{bob.user_id}/channels",
                                    headers={"Authorization": f"Bearer {token}"},
                                    json={"notificationChannel": {"channelType": "websockets"}}) as resp:
                statuses.append(resp.status)
        assert statuses == [201, 201, 201, 403]
        statuses = []
        for _ in range(4):
            async with session.post(f"{platform.url}/rest/version/1/user/{bob.user_id}/subscription",
                                    headers=basic(bob.user_id, bob.password),
                                    json={"subscribeRequest": {"service": ["call"]}}) as resp:
                statuses.append(resp.status)
        assert statuses == [200, 200, 200, 403]
        statuses = []
        for _ in range(3):
            async with session.post(f"{platform.url}/rest/version/1/anonymous/{bob.user_id}/subscription",
                                    json={"subscribeRequest": {"service": ["callMe"]}}) as resp:
                statuses.append(resp.status)
                body = await resp.json()
        assert statuses == [200, 200, 429] and body["subscribeResponse"]["statusCode"] == 1


@pytest.mark.looptime
@pytest.mark.platform(sweep_interval=10)
async def test_a_cpaas_channel_without_a_socket_for_its_lifetime_is_closed(platform: Platform) -> None:
    await _housekeeping_on_virtual_time(platform)
    bob = await platform.users.create()
    headers = {"Authorization": f"Bearer {(await platform.tokens_for(bob))['access_token']}"}
    base = f"{platform.url}/cpaas/notificationchannel/v1/{bob.user_id}/channels"
    async with aiohttp.ClientSession() as session:
        async with session.post(base, headers=headers, json={"notificationChannel": {
                "channelType": "websockets", "channelLifetime": 60}}) as resp:
            idle = (await resp.json())["notificationChannel"]["callbackURL"]
        async with session.post(base, headers=headers, json={"notificationChannel": {
                "channelType": "websockets", "channelLifetime": 60}}) as resp:
            connected = (await resp.json())["notificationChannel"]["callbackURL"]
        async with session.ws_connect(f"{platform.ws_url}{base.removeprefix(platform.url)}/{connected}/websocket",
                                      headers=headers):
            await _advance(platform, 75)
            assert idle not in platform.state.hub.channels and connected in platform.state.hub.channels
        await _advance(platform, 75)
        assert connected not in platform.state.hub.channels  # no socket since the close, for its lifetime


@pytest.mark.looptime
@pytest.mark.platform(sweep_interval=10)
async def test_a_link_subscription_not_refreshed_is_gone(platform: Platform) -> None:
    await _housekeeping_on_virtual_time(platform)
    bob = await platform.users.create()
    base = f"{platform.url}/rest/version/1/user/{bob.user_id}/subscription"
    async with aiohttp.ClientSession() as session:
        made = {}
        for name in ("kept", "forgotten"):
            async with session.post(base, headers=basic(bob.user_id, bob.password),
                                    json={"subscribeRequest": {"service": ["call"], "expires": 60}}) as resp:
                made[name] = (await resp.json())["subscribeResponse"]["subscriptionParams"]
        channel = made["forgotten"]["notificationChannel"]
        async with session.ws_connect(platform.ws_url + channel) as ws:
            await _advance(platform, 40)
            async with session.put(f"{base}/{made['kept']['sessionId']}", headers=basic(bob.user_id, bob.password),
                                   json={"subscribeRequest": {"service": ["call"], "expires": 60}}) as resp:
                assert resp.status == 200
            await _advance(platform, 40)
            gone = await ws.receive_json(timeout=5)
            assert gone["notificationMessage"]["eventType"] == "gone"
            assert (await ws.receive(timeout=5)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert set(platform.state.link.subscriptions) == {made["kept"]["sessionId"]}


@pytest.mark.platform(ended_call_ttl=0, max_file_bytes_per_user=10, file_ttl=0)
async def test_ended_calls_and_old_files_are_forgotten(platform: Platform) -> None:
    world = await build(platform)
    try:
        b, a = world.b, world.a
        state = platform.state
        session = world.ids["cpaas_session"]
        await world.ok("DELETE", f"/cpaas/webrtcsignaling/v1/{b.id}/sessions/{session}", headers=b.bearer)
        legs_before = len(state.calls.router.legs)
        first = await state.housekeeping.sweep()  # stamps the ended session; the file is past its ttl
        removed = await state.housekeeping.sweep()
        assert removed["calls"] >= 2 and session not in state.calls.router.legs
        assert len(state.calls.router.legs) < legs_before
        gone = await world.call("GET", f"/cpaas/webrtcsignaling/v1/{b.id}/sessions/{session}", headers=b.bearer)
        assert gone.status == 404
        assert first["files"] == 1 and not state.files.objects
        form = aiohttp.FormData()
        form.add_field("raw", b"more than ten bytes", filename="f.txt", content_type="text/plain")
        async with world.session.post(f"{platform.url}/cpaas/nms/v1/chat/{b.id}/objects", data=form,
                                      headers=b.bearer) as resp:
            assert resp.status == 413
        made = await world.ok("POST", f"/cpaas/webrtcsignaling/v1/{b.id}/sessions",
                              {"wrtcsSession": {"tParticipantAddress": a.id, "offer": {"sdp": OFFER}}}, b.bearer)
        assert made["wrtcsSession"]["x-state"]  # a live call is kept
        await state.housekeeping.sweep()
        assert made["wrtcsSession"]["resourceURL"].rsplit("/", 1)[1] in state.calls.router.legs
    finally:
        await world.session.close()


@pytest.mark.platform(max_history=30, max_list_items=10)
async def test_history_and_lists_are_capped(platform: Platform) -> None:
    world = await build(platform)
    try:
        b, a = world.b, world.a
        for n in range(40):
            await world.ok("POST", f"/cpaas/chat/v1/{b.id}/oneToOne/{a.id}/adhoc/messages",
                           {"chatMessage": {"text": f"m{n}"}}, b.bearer)
        session = platform.state.messaging.mailboxes[b.id][("oneToOne", a.id)]
        assert len(session.messages) == 30
        history = await world.ok("GET", f"/cpaas/chat/v1/{b.id}/oneToOne/{a.id}/adhoc/messages", headers=b.bearer)
        texts = [m["text"] for m in history["chatMessageList"]["chatMessage"]]
        assert texts == [f"m{n}" for n in range(30, 40)]
        for n in range(15):
            await world.ok("POST", f"/cpaas/smsmessaging/v1/{b.id}/outbound/default/requests",
                           {"outboundSMSMessageRequest": {"address": [f"+1555700{n:04d}"],
                                                          "outboundSMSTextMessage": {"message": "hi"}}}, b.bearer)
        threads = await world.ok("GET", f"/cpaas/smsmessaging/v1/{b.id}/remoteAddresses", headers=b.bearer)
        assert len(threads["smsThreadList"]["smsThread"]) == 10
    finally:
        await world.session.close()


def test_sigterm_stops_serve_even_when_its_loop_is_stuck(tmp_path: Any) -> None:
    """A handler that never gives the loop back used to make SIGTERM a no-op (loop.add_signal_handler
    waits for the loop): the stop handler leaves after its grace time."""
    script = tmp_path / "stuck.py"
    script.write_text(
        "import asyncio, sys, time\n"
        "from fake_platform.cli import stop_on_signals\n"
        "async def main():\n"
        "    stop_on_signals(asyncio.Event(), grace=1.0)\n"
        "    print('ready', flush=True)\n"
        "    while True:\n"
        "        time.sleep(0.01)  # the loop never runs again\n"
        "asyncio.run(main())\n")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 128 + signal.SIGTERM
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()


async def _link_channel(session: aiohttp.ClientSession, platform: Platform, user: Any) -> str:
    """A Link subscription to calls for ``user``: the path of its notification channel."""
    async with session.post(f"{platform.url}/rest/version/1/user/{user.user_id}/subscription",
                            headers=basic(user.user_id, user.password),
                            json={"subscribeRequest": {"service": ["call"]}}) as resp:
        return str((await resp.json())["subscribeResponse"]["subscriptionParams"]["notificationChannel"])


async def _advance(platform: Platform, seconds: float) -> None:
    """Let ``seconds`` of loop time pass (looptime fast-forwards it) with the housekeeping running."""
    await asyncio.sleep(seconds)


async def _housekeeping_on_virtual_time(platform: Platform) -> None:
    """The platform fixture started its sweeps before looptime took the loop's clock over: start
    them again, so their timer is on virtual time."""
    await platform.state.housekeeping.stop()
    platform.state.housekeeping.start()


NOT_LIMITS = {"domain", "seed", "token_lifetime", "server_ping_interval", "journal", "turn_urls", "realm",
              "client_id", "timings", "progression", "control_token", "control_origins", "control_hosts", "contract"}


def test_every_limit_is_in_the_readme() -> None:
    """A new PlatformConfig field is a documented limit, or listed here as not one."""
    import dataclasses
    import re
    from pathlib import Path

    from fake_platform.state import PlatformConfig

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("<!-- limits:start -->")[1].split("<!-- limits:end -->")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.M))
    fields = {f.name for f in dataclasses.fields(PlatformConfig)}
    assert documented == fields - NOT_LIMITS


def test_a_channel_buffer_is_bounded_in_frames_and_bytes() -> None:
    from fake_platform.core.hub import ChannelBuffer, frame_size

    frame = {"n": 0, "pad": "x" * 1000}
    buffer = ChannelBuffer(max_frames=10, max_bytes=5 * frame_size(frame))
    dropped = sum(buffer.append({"n": n, "pad": "x" * 1000}) for n in range(8))
    assert dropped == 3 and len(buffer) == 5 and buffer.bytes <= 5 * frame_size(frame)
    # A dying socket's frames go first (they are the oldest), so they are the ones the bound drops.
    assert buffer.extendleft([{"n": "a"}, {"n": "b"}]) == 2 and buffer.dropped == 5
    assert [buffer.popleft()["n"] for _ in range(len(buffer))] == [3, 4, 5, 6, 7]
    roomy = ChannelBuffer()
    roomy.append({"n": 1})
    roomy.extendleft([{"n": "a"}, {"n": "b"}])
    assert [roomy.popleft()["n"] for _ in range(3)] == ["a", "b", 1]
    small = ChannelBuffer(max_frames=3, max_bytes=10**6)
    for n in range(5):
        small.append({"n": n})
    assert [small.popleft()["n"] for _ in range(3)] == [2, 3, 4] and small.bytes == 0


async def test_a_client_gone_before_its_upgrade_is_answered_leaves_no_server_error(
        platform: Platform, caplog: pytest.LogCaptureFixture) -> None:
    bob = await platform.users.create()
    async with aiohttp.ClientSession() as session:
        channel_path = await _link_channel(session, platform, bob)
    # The latency fault holds the upgrade in the platform's middlewares while the client leaves.
    platform.faults.add("latency", ms=300, match={"path": channel_path})
    since = platform.journal_seq
    host, port = platform.url.removeprefix("http://").split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {channel_path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(10):
        while not platform.journal(kind="ws-close", since=since):
            await asyncio.sleep(0.05)  # the journal has no wait of its own; bounded by the timeout
    [closed] = platform.journal(kind="ws-close", since=since)
    assert closed["user"] == bob.user_id and "left before" in closed["detail"]["reason"]
    errors = [r for r in caplog.records if r.levelno >= 40]
    assert not errors, [r.getMessage() for r in errors]
