"""The platform's front doors and control plane: CLI, threaded server, control-plane HTTP API."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request

import aiohttp
import pytest

from fake_platform import Platform, ThreadedPlatform


def _read_json_block(process: subprocess.Popen[str], timeout: float = 20.0) -> dict:
    lines, deadline = [], time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("}"):
            return json.loads("".join(lines))
    raise AssertionError(f"the CLI printed no JSON block: {''.join(lines)!r}")


def test_the_standalone_server_starts_serves_and_stops() -> None:
    process = subprocess.Popen([sys.executable, "-m", "fake_platform", "serve", "--port", "0", "--users", "2",
                                "--seed", "7"], stdout=subprocess.PIPE, text=True)
    try:
        info = _read_json_block(process)
        assert len(info["users"]) == 2 and info["clientId"]
        with urllib.request.urlopen(f"{info['url']}/_platform/health", timeout=5) as resp:
            assert json.load(resp)["users"] == 2
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0


def test_the_threaded_platform_serves_sync_code() -> None:
    with ThreadedPlatform(seed=3) as platform:
        alice = platform.create_user(first_name="Alice")
        tokens = platform.tokens_for(alice)
        assert tokens["access_token"] and tokens["expires_in"] == 3600
        assert platform.journal(kind="http")[-1]["path"] == "/cpaas/auth/v1/token"
        fault = platform.add_fault("latency", duration=5, ms=10)
        assert fault.kind == "latency"


async def _control(session: aiohttp.ClientSession, platform: Platform, method: str, path: str,
                   body: object = None) -> tuple[int, object]:
    async with session.request(method, f"{platform.url}/_platform{path}", json=body) as resp:
        text = await resp.text()
        return resp.status, json.loads(text) if text else None


async def test_the_control_plane(platform) -> None:
    async with aiohttp.ClientSession() as session:
        status, body = await _control(session, platform, "POST", "/users", {"count": 3})
        assert status == 201 and len(body["users"]) == 3 and all(u["password"] for u in body["users"])
        user = body["users"][0]["user_id"]
        status, tokens = await _control(session, platform, "POST", "/tokens", {"userId": user})
        assert status == 200 and tokens["access_token"]
        status, fault = await _control(session, platform, "POST", "/faults",
                                       {"kind": "http_error", "count": 1, "status": 503, "match": {"path": "/token"}})
        assert status == 201 and fault["remaining"] == 1
        status, listed = await _control(session, platform, "GET", "/faults")
        assert [f["id"] for f in listed["faults"]] == [fault["id"]]
        status, _ = await _control(session, platform, "DELETE", f"/faults/{fault['id']}")
        assert status == 204
        status, _ = await _control(session, platform, "DELETE", "/faults/fault-none")
        assert status == 404
        status, realm = await _control(session, platform, "POST", "/realms", {"name": "acme", "tokenTtl": 60})
        assert status == 201 and len(realm["key"]) == 32
        status, creds = await _control(session, platform, "POST", "/realms/acme/tokens",
                                       {"account": user, "from": f"sip:{user}", "to": "sip:bob@example.com"})
        assert status == 200 and set(creds) == {"realm", "accountToken", "fromToken", "toToken"}
        status, state = await _control(session, platform, "GET", "/state")
        assert status == 200 and len(state["users"]) == 3 and state["endpoints"]
        status, journal = await _control(session, platform, "GET", "/journal?kind=http&limit=1")
        assert status == 200 and len(journal["entries"]) <= 1
        status, _ = await _control(session, platform, "POST", "/reset", {"seed": 11})
        assert status == 204 and platform.users.all() == []
        status, error = await _control(session, platform, "POST", "/users", {"count": 5000})
        assert status == 400 and error["error"]["kind"] == "invalid"


async def test_seeded_platforms_make_the_same_users() -> None:
    names = []
    for _ in range(2):
        async with Platform(seed=42) as platform:
            names.append([(await platform.users.create()).user_id for _ in range(3)])
    assert names[0] == names[1]


async def test_notifications_wait_for_a_reconnect_in_order(platform, make_cpaas) -> None:
    client = await make_cpaas(services=["chat"], connectivity={"reconnectDelay": 200})
    user = client.account.user_id
    platform.faults.add("refuse_upgrades", duration=0.5, match={"user": user})
    mark = client.recorder.mark
    await platform.drop_sockets(user=user)
    for n in range(5):
        platform.notify(user, {"probe": {"n": n}}, product="cpaas")
    for n in range(5):
        await client.recorder.wait("notification:received", lambda p, n=n: p["payload"].get("probe", {}).get("n") == n,
                                   since=mark, timeout=10)
    received = [e.params["payload"]["probe"]["n"] for e in client.recorder.events[mark:]
                if e.type == "notification:received" and "probe" in e.params["payload"]]
    assert received == [0, 1, 2, 3, 4]


@pytest.mark.looptime
async def test_faults_expire_by_themselves(platform) -> None:
    platform.faults.add("latency", duration=30, ms=5)
    assert len(platform.faults.list()) == 1
    await asyncio.sleep(31)
    assert platform.faults.list() == []
