"""What abusive clients cost a standalone platform (issue 15's figures), measured on this tree.

Against ``python -m fake_platform serve`` (a subprocess; its memory read from /proc), beside the
same platform left idle for as long, in the same run:

(a) ten unauthenticated 25 MB posts (answered 401): RSS growth;
(b) a websocket client that never reads while 2,000 notifications of 60 kB are published to it:
    RSS growth at the peak and once it has been cut off, and how the platform cut it off;
(c) 5,000 chat messages of 10,000 characters in one conversation: the size of the history answer;
(d) SIGTERM with that unread client attached: seconds until the process is gone.

Writes ``reports/reliability/limits.json``. Run: ``python bench/limits.py`` (``make bench`` too).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "reliability" / "limits.json"
MB = 1024 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_platform() -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "fake_platform", "serve", "--port", "0", "--users", "2",
                                "--turn-port", "-1"], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    assert process.stdout is not None
    text = ""
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the platform did not start: " + text)
        text += line
        if line.startswith("}"):
            return process, json.loads(text)


def stop(process: subprocess.Popen[str]) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return float("inf")
    return round(time.monotonic() - started, 2)


def basic(user: dict[str, str]) -> dict[str, str]:
    raw = f"{user['userId']}:{user['password']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def big_posts(url: str, pid: int) -> dict[str, Any]:
    before = rss_mb(pid)
    body = b'{"x":"' + b"a" * (25 * MB) + b'"}'
    statuses = []
    async with aiohttp.ClientSession() as session:
        for _ in range(10):
            async with session.post(f"{url}/rest/version/1/user/nobody@example.com/subscription", data=body,
                                    headers={"Content-Type": "application/json"}) as resp:
                statuses.append(resp.status)
    await asyncio.sleep(1)
    return {"statuses": sorted(set(statuses)), "rss_before_mb": round(before, 1),
            "rss_growth_mb": round(rss_mb(pid) - before, 1)}


async def unread_client(url: str, ws_url: str, pid: int, user: dict[str, str]) -> tuple[dict[str, Any], Any]:
    session = aiohttp.ClientSession()
    async with session.post(f"{url}/rest/version/1/user/{user['userId']}/subscription", headers=basic(user),
                            json={"subscribeRequest": {"service": ["call", "IM"]}}) as resp:
        channel = (await resp.json())["subscribeResponse"]["subscriptionParams"]["notificationChannel"]
    ws = await session.ws_connect(ws_url + channel, max_msg_size=0)  # never read from
    before, peak = rss_mb(pid), 0.0
    frame = {"eventType": "IM", "imnotificationParams": {"msgText": "x" * 60_000}}
    batch = {"notifications": [{"user": user["userId"], "product": "link", "frame": {"notificationMessage": frame}}
                               for _ in range(10)]}  # 600 kB a request: under the control plane's 1 MiB
    delivered = 0
    for _ in range(200):
        async with session.post(f"{url}/_platform/notify/batch", json=batch) as resp:
            assert resp.status == 200, await resp.text()
            delivered += sum((await resp.json())["delivered"])
        peak = max(peak, rss_mb(pid))
    await asyncio.sleep(3)
    async with session.get(f"{url}/_platform/journal?kind=fault") as resp:
        faults = [e["detail"] for e in (await resp.json())["entries"]]
    figures = {"frames": 2000, "delivered": delivered, "frame_kb": 60, "rss_before_mb": round(before, 1),
               "rss_peak_growth_mb": round(peak - before, 1), "rss_growth_after_mb": round(rss_mb(pid) - before, 1),
               "cut_off": [f for f in faults if f.get("action") in ("write_queue_full", "write_timeout")][:1]}
    return figures, (session, ws)


async def long_history(url: str, users: list[dict[str, str]]) -> dict[str, Any]:
    alice, bob = users
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/_platform/tokens", json={"userId": alice["userId"]}) as resp:
            token = (await resp.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        path = f"{url}/cpaas/chat/v1/{alice['userId']}/oneToOne/{bob['userId']}/adhoc/messages"
        gate = asyncio.Semaphore(20)

        async def send(n: int) -> None:
            async with gate, session.post(path, headers=headers,
                                          json={"chatMessage": {"text": f"{n} " + "y" * 9_990}}) as resp:
                await resp.read()

        await asyncio.gather(*(send(n) for n in range(5000)))
        async with session.get(path, headers=headers) as resp:
            body = await resp.read()
            count = len(json.loads(body)["chatMessageList"]["chatMessage"])
    return {"messages_sent": 5000, "answer_bytes": len(body), "answer_messages": count}


async def main() -> dict[str, Any]:
    process, info = start_platform()
    idle_process, _ = start_platform()
    url, ws_url, pid = info["url"], info["ws"], process.pid
    try:
        idle_start = rss_mb(idle_process.pid)
        figures: dict[str, Any] = {"big_posts": await big_posts(url, pid)}
        figures["unread_client"], held = await unread_client(url, ws_url, pid, info["users"][0])
        figures["history"] = await long_history(url, info["users"])
        figures["sigterm_with_unread_client_s"] = stop(process)
        session, ws = held
        await ws.close()
        await session.close()
        figures["baseline_idle_platform"] = {"rss_start_mb": round(idle_start, 1),
                                             "rss_end_mb": round(rss_mb(idle_process.pid), 1)}
        return figures
    finally:
        for p in (process, idle_process):
            if p.poll() is None:
                stop(p)


if __name__ == "__main__":
    result = asyncio.run(main())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
