"""Soak: mixed traffic with faults and abuse against a standalone platform, wave after wave, then
the checks that nothing was left behind.

    python -m load.soak --duration 600 --out reports/reliability     # make soak (about 10 minutes)
    python -m load.soak --duration 60                                  # the short one

It starts ``python -m fake_platform serve`` with short expiry times (``--limit``), then runs waves
until ``--duration`` is spent. A wave creates SDK clients of both products from a fixed pool of
users and has them subscribe, chat, send SMS, publish presence, call each other, call the echo
endpoint (real media), place a CallMe call; meanwhile it drops every socket, injects an HTTP error,
latency and a keepalive blackout, and sends what an abusive client sends (big unauthenticated
bodies, deep JSON, a websocket that never reads). Then every client is destroyed. After each wave
it samples the platform's memory (RSS), descriptors and diagnostics (``GET /_platform/
diagnostics``: tasks, sockets, channels, call legs, media peers, journal bytes).

Checks (``soak.json``; an RSS plot ``rss.png``): RSS flat after the warm-up waves (its slope over
the second half of the run), and once the last clients are gone and the platform has swept, no
socket, channel, call leg or media peer left on the platform and its task and descriptor counts
back to what an idle platform had; in this process (the clients' side) no task, descriptor or
peer connection left either. Functional failures under faults are counted, not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_LIMITS = {  # quick expiry, so the last sweep finds everything forgettable
    "sweep_interval": 2, "ended_call_ttl": 3, "file_ttl": 30, "journal_max_bytes": 8 * 1024 * 1024,
    "ws_send_timeout": 3, "ws_queue_frames": 200,
    "max_history": 100,  # histories stop growing early: what still grows after that is a leak
}
WARM_UP_WAVES = 2
CHANNEL_LIFETIME = 3  # seconds: the soak's CPaaS channels, destroyed without unsubscribing, then expire
STEP_TIMEOUT = 15.0
#: MB per wave over the second half of a short run: a coarse slope, taken while the platform still
#: warms up (its journal filling to its cap, allocator arenas): a minute's run measured 1.04 once
#: on a busy CI host with no leak (a 25-minute run levels off by wave 40, +0.04 after).
RSS_SLOPE_LIMIT_MB = 2.0
#: A long run's slope is fine enough to see a leak of tens of kB a call (the heap freeze once kept
#: every call's cycles: +0.45 MB a wave; +0.03-0.14 since, core/heap.py).
LONG_RUN_WAVES, LONG_RUN_SLOPE_LIMIT_MB = 20, 0.25
MIN_JUDGED_WAVES = 3
TASK_MARGIN = 3  # platform tasks beyond an idle platform's (an aiohttp keep-alive, a sweep in flight)
FD_MARGIN = 5


@dataclass
class Sample:
    wave: int
    at: float
    rss_mb: float
    fds: int
    diagnostics: dict[str, Any]


@dataclass
class Report:
    samples: list[Sample] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    errors: dict[str, str] = field(default_factory=dict)  # the first error of each failing step
    steps: Counter[str] = field(default_factory=Counter)
    checks: list[dict[str, Any]] = field(default_factory=list)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class StandalonePlatform:
    def __init__(self) -> None:
        limits = [arg for name, value in PLATFORM_LIMITS.items() for arg in ("--limit", f"{name}={value}")]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "fake_platform", "serve", "--port", "0",
                                         "--turn-port", "-1", *limits], stdout=subprocess.PIPE, text=True,
                                        cwd=ROOT, env=env)
        assert self.process.stdout is not None
        text = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            text += line
            if line.startswith("}"):
                info = json.loads(text)
                self.url: str = info["url"]
                return
        self.stop()
        raise RuntimeError(f"the platform did not start: {text[-500:]}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return None
        return self.process.returncode


class Soak:
    def __init__(self, platform: StandalonePlatform) -> None:
        self.platform = platform
        self.url = platform.url
        self.session = aiohttp.ClientSession()
        self.report = Report()
        self.pool: list[dict[str, Any]] = []

    # -- control plane -------------------------------------------------------------------------
    async def control(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, f"{self.url}/_platform{path}", json=body) as resp:
            text = await resp.text()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path} -> {resp.status}: {text[:200]}")
            return json.loads(text) if text else None

    async def sample(self, wave: int) -> Sample:
        diagnostics = await self.control("GET", "/diagnostics")
        sample = Sample(wave, time.monotonic(), rss_mb(self.platform.pid), fd_count(self.platform.pid), diagnostics)
        self.report.samples.append(sample)
        return sample

    # -- one wave ------------------------------------------------------------------------------
    async def step(self, name: str, work: Awaitable[Any]) -> Any:
        self.report.steps[name] += 1
        try:
            return await asyncio.wait_for(work, STEP_TIMEOUT)
        except Exception as exc:  # under faults some fail: counted, the soak goes on
            self.report.failures[f"{name}: {type(exc).__name__}"] += 1
            self.report.errors.setdefault(name, f"{type(exc).__name__}: {exc}"[:300])
            return None

    async def wave(self, seconds: float) -> None:
        import sdk.cpaas
        import sdk.link
        from load.client import ClientSettings, sdk_config

        settings = ClientSettings(ping_interval_ms=1000, reconnect_delay_ms=300, log_level="silent")
        alice, bob, carol, dave = self.pool[:4]
        clients: list[Any] = []

        def cpaas() -> Any:
            config = sdk_config("cpaas", self.url, settings)
            # Destroyed without unsubscribing: the channel expires CHANNEL_LIFETIME s after its socket went.
            config["subscription"] = {**config.get("subscription", {}), "channelLifetime": CHANNEL_LIFETIME}
            client = sdk.cpaas.create(config)
            clients.append(client)
            return client

        def link() -> Any:
            client = sdk.link.create(sdk_config("link", self.url, settings))
            clients.append(client)
            return client

        started = time.monotonic()
        try:
            a, b, c = cpaas(), cpaas(), cpaas()
            for client, user in ((a, alice), (b, bob), (c, carol)):
                tokens = await self.control("POST", "/tokens", {"userId": user["user_id"]})
                client.setTokens({"accessToken": tokens["access_token"], "idToken": tokens["id_token"]})
                await self.step("subscribe", client.services.subscribe(["call", "chat", "presence", "smsinbound"]))
            d = link()
            await self.step("link connect", d.connect({"username": dave["user_id"], "password": dave["password"]}))
            for callee in (b, d):
                callee.on("call:receive", lambda p, who=callee: who.spawn(self.answer(who, p["callId"]), "soak-answer"))
            abuse = asyncio.create_task(self.abuse(dave))
            skip = set(os.environ.get("SOAK_SKIP", "").split(","))
            while time.monotonic() - started < seconds:
                await self.step("chat", self.chat(a, b, bob))
                sms = a.conversation.create("+15557000001", {"type": "sms"})
                await self.step("sms", sms.createMessage({"type": "text", "text": "soak"}).send())
                await self.step("presence", a.presence.update("Open", "Available"))
                if "cpaas" not in skip:
                    await self.step("call cpaas", self.call(a, bob["user_id"]))
                if "link" not in skip:
                    await self.step("call link", self.call(c, dave["user_id"]))
                if "echo" not in skip:
                    await self.step("call echo", self.call(c, "echo@example.com", hold=1.0))
                if "callme" not in skip:
                    callme = link()
                    await self.step("call callme", self.callme(callme, bob["user_id"]))
                if "faults" not in skip:
                    await self.faults(alice["user_id"])
            await abuse
            await self.step("link disconnect", d.disconnect())  # a Link app signs out (its subscription goes)
        finally:
            await asyncio.gather(*(self.step("destroy", client.aclose()) for client in clients))

    async def chat(self, sender: Any, receiver: Any, to: dict[str, Any]) -> None:
        conversation = sender.conversation.create(to["user_id"])
        received = asyncio.ensure_future(receiver.wait_for("messages:change", lambda p: True, timeout=STEP_TIMEOUT))
        await conversation.createMessage({"type": "text", "text": "soak"}).send()
        await received

    async def answer(self, callee: Any, call_id: str) -> None:
        """``call:receive`` comes in Initiating; a call can be answered once it is Ringing."""
        def ringing(_params: Any = None) -> bool:
            call = callee.call.getById(call_id)
            return call is not None and call["state"] == "Ringing"

        if not ringing():
            await callee.wait_for("call:stateChange", lambda p: p.get("callId") == call_id and ringing(),
                                  timeout=STEP_TIMEOUT)
        await self.step("answer", callee.call.answer(call_id, {"audio": True}))

    async def call(self, caller: Any, to: str, hold: float = 0.2) -> None:
        call_id = caller.call.make(to, {"audio": True})
        await caller.wait_for("call:stateChange",
                              lambda p: p["callId"] == call_id and caller.call.getById(call_id)["state"] == "Connected",
                              timeout=STEP_TIMEOUT)
        await asyncio.sleep(hold)
        await caller.call.end(call_id)

    async def callme(self, client: Any, to: str) -> None:
        call_id = client.call.makeAnonymous(to, {}, {"from": "guest@example.com", "audio": True})
        await client.wait_for("call:stateChange",
                              lambda p: p["callId"] == call_id and client.call.getById(call_id)["state"] == "Connected",
                              timeout=STEP_TIMEOUT)
        await client.call.end(call_id)

    async def faults(self, user: str) -> None:
        await self.step("fault drop", self.control("POST", "/sockets/drop", {"code": 1006}))
        await self.step("fault http", self.control("POST", "/faults", {
            "kind": "http_error", "count": 1, "status": 503, "match": {"user": user, "method": "GET"}}))
        await self.step("fault latency", self.control("POST", "/faults", {"kind": "latency", "ms": 50,
                                                                          "duration": 2}))
        await self.step("fault blackout", self.control("POST", "/faults", {"kind": "keepalive_blackout",
                                                                           "duration": 1}))

    async def abuse(self, owner: dict[str, Any]) -> None:
        """What a broken or hostile client sends: none of it may stay on the platform."""
        big = b'{"x":"' + b"a" * (2 * 1024 * 1024) + b'"}'
        for path in ("/rest/version/1/user/nobody@example.com/subscription", "/cpaas/auth/v1/token"):
            await self.step("abuse big body", self._post(path, big))
        await self.step("abuse deep json", self._post("/_platform/users", b"[" * 5000 + b"]" * 5000))
        await self.step("abuse unread socket", self.unread_socket(owner))

    async def _post(self, path: str, body: bytes) -> int:
        async with self.session.post(self.url + path, data=body, headers={"Content-Type": "application/json"}) as r:
            await r.read()
            return r.status

    async def unread_socket(self, owner: dict[str, Any]) -> None:
        auth = base64.b64encode(f"{owner['user_id']}:{owner['password']}".encode()).decode()
        headers = {"Authorization": f"Basic {auth}"}
        async with self.session.post(f"{self.url}/rest/version/1/user/{owner['user_id']}/subscription",
                                     headers=headers, json={"subscribeRequest": {"service": ["IM"]}}) as resp:
            made = (await resp.json())["subscribeResponse"]
        channel, sub = made["subscriptionParams"]["notificationChannel"], made["subscription"]
        try:
            async with self.session.ws_connect(self.url.replace("http", "ws", 1) + channel, max_msg_size=0):
                frame = {"eventType": "IM", "imnotificationParams": {"msgText": "x" * 50_000}}
                for _ in range(40):  # 40 x 10 frames of 50 kB that nobody reads
                    await self.control("POST", "/notify/batch", {"notifications": [
                        {"user": owner["user_id"], "product": "link", "frame": {"notificationMessage": frame}}] * 10})
                    await asyncio.sleep(0.05)
        finally:
            # Even when the step ran out of time: what the client made, it removes (the soak's
            # "platform left nothing" is about the platform, not about a client that never cleaned up).
            async with self.session.delete(self.url + sub, headers=headers) as resp:
                await resp.read()


async def run(duration: float, wave_seconds: float, users: int) -> Report:
    platform = StandalonePlatform()
    soak = Soak(platform)
    client_baseline = _client_side()
    try:
        soak.pool = (await soak.control("POST", "/users", {"count": users}))["users"]
        idle = await soak.sample(0)
        started, wave = time.monotonic(), 0
        while time.monotonic() - started < duration:
            wave += 1
            await soak.wave(wave_seconds)
            await soak.sample(wave)
        await asyncio.sleep(max(PLATFORM_LIMITS["ended_call_ttl"], CHANNEL_LIFETIME)
                            + 2 * PLATFORM_LIMITS["sweep_interval"] + 1)
        gc.collect()
        final = await soak.sample(wave + 1)
        soak.report.checks = checks(soak.report, idle, final, client_baseline, _client_side())
    finally:
        await soak.session.close()
        code = platform.stop()
        soak.report.checks.append({"name": "sigterm", "ok": code == 0, "detail": f"serve exited with {code}"})
    return soak.report


def _task_names() -> list[str]:
    return sorted({getattr(t.get_coro(), "__qualname__", "?") for t in asyncio.all_tasks()
                   if t is not asyncio.current_task()})


def _client_side() -> dict[str, int]:
    from aiortc import RTCPeerConnection

    gc.collect()
    return {"tasks": len(asyncio.all_tasks()), "fds": fd_count(os.getpid()),
            "peers": sum(isinstance(o, RTCPeerConnection) for o in gc.get_objects())}


def checks(report: Report, idle: Sample, final: Sample, before: dict[str, int],
           after: dict[str, int]) -> list[dict[str, Any]]:
    found = []
    waves = [s for s in report.samples if 0 < s.wave <= len(report.samples) - 2]
    second_half = waves[max(WARM_UP_WAVES, len(waves) // 2):]
    if len(second_half) >= MIN_JUDGED_WAVES:
        slope = _slope([(s.wave, s.rss_mb) for s in second_half])
        limit = LONG_RUN_SLOPE_LIMIT_MB if len(second_half) >= LONG_RUN_WAVES else RSS_SLOPE_LIMIT_MB
        found.append({"name": "rss flat", "ok": slope <= limit,
                      "detail": f"{slope:+.2f} MB per wave over waves {[s.wave for s in second_half]} "
                                f"(limit {limit}); idle {idle.rss_mb:.0f} MB, end {final.rss_mb:.0f} MB"})
    else:
        found.append({"name": "rss flat", "ok": True, "judged": False,
                      "detail": f"not judged: {len(waves)} waves, the slope needs {MIN_JUDGED_WAVES} after "
                                f"{WARM_UP_WAVES} warm-up ones (make soak); idle {idle.rss_mb:.0f} MB, "
                                f"end {final.rss_mb:.0f} MB"})
    left = {k: final.diagnostics.get(k) for k in ("sockets", "channels", "legs", "sessions", "peers", "tasks")}
    found.append({"name": "platform left nothing", "ok": all(left[k] == 0 for k in
                                                             ("sockets", "channels", "legs", "sessions", "peers")),
                  "detail": f"after the last wave: {left}"})
    found.append({"name": "platform tasks", "ok": final.diagnostics["tasks"] <= idle.diagnostics["tasks"] + TASK_MARGIN,
                  "detail": f"idle {idle.diagnostics['tasks']}, end {final.diagnostics['tasks']}"})
    found.append({"name": "platform descriptors", "ok": final.fds <= idle.fds + FD_MARGIN,
                  "detail": f"idle {idle.fds}, end {final.fds}"})
    found.append({"name": "client side left nothing",
                  "ok": after["tasks"] <= before["tasks"] and after["peers"] == 0
                  and after["fds"] <= before["fds"] + FD_MARGIN,
                  "detail": f"before {before}, after {after}" + (f"; tasks: {_task_names()}" if after["tasks"] > 1
                                                                    else "")})
    return found


def _slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


def write(report: Report, out: Path, duration: float) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "duration_s": duration, "waves": max((s.wave for s in report.samples), default=0),
        "ok": all(c["ok"] for c in report.checks), "checks": report.checks,
        "steps": dict(report.steps), "failures": dict(report.failures), "errors": report.errors,
        "samples": [{"wave": s.wave, "rss_mb": round(s.rss_mb, 1), "fds": s.fds, **s.diagnostics}
                    for s in report.samples],
    }
    (out / "soak.json").write_text(json.dumps(result, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4))
        ax.plot([s.wave for s in report.samples], [s.rss_mb for s in report.samples], marker="o")
        ax.set_xlabel("wave (0: idle; last: after the final sweep)")
        ax.set_ylabel("platform RSS (MB)")
        ax.set_title(f"Soak: {result['waves']} waves in {duration:.0f} s")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / "rss.png", dpi=100)
        plt.close(fig)
    except ImportError:  # matplotlib comes with the load extra
        pass
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of waves (default 600)")
    parser.add_argument("--wave", type=float, default=10.0, help="seconds of traffic per wave")
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--out", default="reports/reliability")
    args = parser.parse_args(argv)
    report = asyncio.run(run(args.duration, args.wave, args.users))
    result = write(report, Path(args.out), args.duration)
    for check in result["checks"]:
        print(f"[{'PASS' if check['ok'] else 'FAIL'}] {check['name']:<26} {check['detail']}")
    print(f"steps {result['steps']}; failures {result['failures']}; reports in {args.out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
