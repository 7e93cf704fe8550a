"""Channel-capacity tools for the benchmark: a plain echo server and lightweight protocol clients.

    python -m load.capacity echo [--port 0]                  # prints {"url": ...} when ready
    python -m load.capacity client --url URL --kind platform  # JSON commands on stdin, replies on stdout

The clients are deliberately cheap, so that on a 2-core machine the server, not the client, runs
out of CPU first: one asyncio process holds thousands of websockets as bare ``asyncio.Protocol``
objects (hand-made RFC 6455 framing, the constant keepalive frame masked once), and one scheduler
sends each socket's keepalive every ``interval`` seconds, phases spread evenly. Against the
platform they speak the CPaaS connCheck protocol on real notification channels (made with the
real REST calls); against the echo server the reply is the echo. An ack that has not come back
when the next keepalive is due counts as missed, as in the SDK.

Commands (one JSON object per line): ``{"target": n}`` opens sockets until n are up and answers
``{"connected", "failed"}``; ``{"measure": s}`` answers keepalive figures over the next s seconds;
``{"pause": true|false}`` stops or resumes the keepalives; ``{"quit": true}`` closes everything.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import heapq
import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from fake_platform.core.heap import freeze_heap_every

from .control import control_headers

CONN_CHECK = json.dumps({"connCheck": {"interval": 1}}).encode()
OPEN_CONCURRENCY = 100
REST_CONCURRENCY = 50
CHANNELS_PER_USER = 50


def raise_fd_limit() -> int:
    """Use the hard limit of open files: every socket is a file descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# -- the plain echo server ------------------------------------------------------------------------
async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(autoping=True, heartbeat=None)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            try:
                await ws.send_str(msg.data)
            except ConnectionError:  # the client went away (a shrinking fleet closes sockets)
                break
    return ws


async def serve_echo(port: int, gc_freeze: float = 0) -> None:
    freezer = asyncio.create_task(freeze_heap_every(gc_freeze)) if gc_freeze > 0 else None
    app = web.Application()
    app.router.add_get("/{tail:.*}", _echo)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    sockets = site._server.sockets if site._server is not None else []
    print(json.dumps({"url": f"http://127.0.0.1:{sockets[0].getsockname()[1]}"}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        if freezer is not None:
            freezer.cancel()
        await runner.cleanup()


# -- the lightweight client -----------------------------------------------------------------------
def masked_frame(payload: bytes, opcode: int = 0x1, mask: bytes = b"\x5a\x17\xc3\x8e") -> bytes:
    """A client frame (payload < 126 bytes). A fixed mask is fine against our own servers."""
    if len(payload) >= 126:
        raise ValueError("keepalive frames are short")
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


PING_FRAME = masked_frame(CONN_CHECK)


@dataclass
class Stats:
    sent: int = 0
    acked: int = 0
    missed: int = 0
    closed: int = 0
    rtts: list[float] = field(default_factory=list)


class WsConnection(asyncio.Protocol):
    """One websocket: handshake, then count replies to our keepalives."""

    def __init__(self, path: str, host: str, stats: Stats, opened: asyncio.Future[bool]) -> None:
        self._request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n").encode()
        self._stats = stats
        self._opened = opened
        self._buffer = bytearray()
        self._upgraded = False
        self.transport: asyncio.Transport | None = None
        self.sent_at: float | None = None
        self.alive = False
        self.retired = False  # closed on purpose to shrink the fleet: never pinged again

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status_line = bytes(self._buffer[:self._buffer.find(b"\r\n")])
            del self._buffer[:end + 4]
            self._upgraded = b" 101 " in status_line
            self.alive = self._upgraded
            if not self._opened.done():
                self._opened.set_result(self._upgraded)
            if not self._upgraded:
                self.close()
                return
        self._frames()

    def _frames(self) -> None:
        buf = self._buffer
        while len(buf) >= 2:
            opcode, length, start = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, start = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, start = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < start + length:
                return
            payload = bytes(buf[start:start + length])
            del buf[:start + length]
            if opcode in (0x1, 0x2):
                self._reply()
            elif opcode == 0x9 and self.transport is not None:
                self.transport.write(masked_frame(payload, opcode=0xA))
            elif opcode == 0x8:
                self.close()

    def _reply(self) -> None:
        if self.sent_at is not None:
            self._stats.acked += 1
            self._stats.rtts.append(time.monotonic() - self.sent_at)
            self.sent_at = None

    def ping(self, now: float) -> None:
        if self.retired:
            return
        if self.sent_at is not None:  # the previous keepalive was never answered
            self._stats.missed += 1
        if self.transport is not None and self.alive:
            self.transport.write(PING_FRAME)
            self.sent_at = now
            self._stats.sent += 1

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.alive and not self.retired:
            self._stats.closed += 1
        self.alive = False
        if not self._opened.done():
            self._opened.set_result(False)


class Fleet:
    """The sockets of one client process and their keepalive schedule."""

    def __init__(self, url: str, kind: str, interval: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.base_url = url.rstrip("/")
        self.kind = kind
        self.interval = interval
        self.stats = Stats()
        self.connections: list[WsConnection] = []
        self._due: list[tuple[float, int]] = []
        self.failed = 0
        self._users: list[tuple[str, str]] = []
        self._session: aiohttp.ClientSession | None = None
        self.paused = False  # paused: no keepalives, so another server can be measured alone

    async def grow(self, target: int) -> dict[str, int]:
        """Open (or retire) sockets until ``target`` are in use."""
        active = [c for c in self.connections if not c.retired]
        for conn in active[target:]:
            conn.retired = True
            conn.close()
        missing = target - len(active)
        if missing > 0:
            paths = await self._paths(missing)
            gate = asyncio.Semaphore(OPEN_CONCURRENCY)
            await asyncio.gather(*(self._open(path, gate) for path in paths))
        return {"connected": sum(c.alive and not c.retired for c in self.connections), "failed": self.failed}

    async def _open(self, path: str, gate: asyncio.Semaphore) -> None:
        async with gate:
            loop = asyncio.get_running_loop()
            opened: asyncio.Future[bool] = loop.create_future()
            try:
                _transport, conn = await loop.create_connection(
                    lambda: WsConnection(path, f"{self.host}:{self.port}", self.stats, opened), self.host, self.port)
                ok = await asyncio.wait_for(opened, 30)
            except (OSError, TimeoutError):
                ok = False
            if not ok:
                self.failed += 1
                return
            index = len(self.connections)
            self.connections.append(conn)
            # Spread the phases: the socket's first keepalive is due within one interval.
            heapq.heappush(self._due, (time.monotonic() + (index * 0.6180339887 % 1.0) * self.interval, index))

    async def _paths(self, count: int) -> list[str]:
        if self.kind == "echo":
            return ["/ws"] * count
        # Platform channels are made for the sockets opened so far, retired ones included.
        session = self._session = self._session or aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=REST_CONCURRENCY))
        gate = asyncio.Semaphore(REST_CONCURRENCY)
        need_users = -(-(len(self.connections) + count) // CHANNELS_PER_USER) - len(self._users)
        if need_users > 0:
            control = control_headers()
            async with session.post(f"{self.base_url}/_platform/users", json={"count": need_users},
                                    headers=control) as resp:
                users = (await resp.json())["users"]

            async def token(user_id: str) -> tuple[str, str]:
                async with gate, session.post(f"{self.base_url}/_platform/tokens", json={"userId": user_id},
                                              headers=control) as r:
                    return user_id, (await r.json())["access_token"]

            self._users += await asyncio.gather(*(token(u["user_id"]) for u in users))
        start = len(self.connections)

        async def channel(n: int) -> str:
            user_id, access = self._users[n // CHANNELS_PER_USER]
            body = {"notificationChannel": {"channelType": "Websockets", "channelLifetime": 3600,
                                            "clientCorrelator": f"cap-{n}", "x-connCheckRole": "client"}}
            async with gate, session.post(f"{self.base_url}/cpaas/notificationchannel/v1/{user_id}/channels",
                                          json=body, headers={"Authorization": f"Bearer {access}"}) as r:
                created = (await r.json())["notificationChannel"]
            return f"{created['channelData']['channelURL']}?access_token={access}"

        return list(await asyncio.gather(*(channel(n) for n in range(start, start + count))))

    async def keepalive(self) -> None:
        """Send each socket's keepalive when due (ticks of 5 ms); runs until cancelled."""
        while True:
            now = time.monotonic()
            due = self._due
            while due and due[0][0] <= now:
                when, index = heapq.heappop(due)
                conn = self.connections[index]
                if self.paused:
                    conn.sent_at = None
                else:
                    conn.ping(now)
                heapq.heappush(due, (when + self.interval, index))
            await asyncio.sleep(0.005)

    async def measure(self, seconds: float) -> dict[str, Any]:
        self.stats.sent = self.stats.acked = self.stats.missed = 0
        self.stats.rtts = []
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        s = self.stats
        rtts = sorted(s.rtts)

        def pct(q: float) -> float | None:
            return round(rtts[min(len(rtts) - 1, int(q / 100 * len(rtts)))] * 1000, 3) if rtts else None

        alive = sum(c.alive and not c.retired for c in self.connections)
        return {"sent": s.sent, "acked": s.acked, "missed": s.missed, "closed": s.closed, "alive": alive,
                "rtt_p50_ms": pct(50), "rtt_p95_ms": pct(95), "rtt_p99_ms": pct(99),
                "cpu": round((time.process_time() - cpu0) / (time.monotonic() - t0), 3)}

    async def close(self) -> None:
        for conn in self.connections:
            conn.close()
        if self._session is not None:
            await self._session.close()


async def run_client(url: str, kind: str, interval: float) -> None:
    fleet = Fleet(url, kind, interval)
    pinger = asyncio.create_task(fleet.keepalive())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            command = json.loads(line)
            if "target" in command:
                reply: dict[str, Any] = await fleet.grow(int(command["target"]))
            elif "measure" in command:
                reply = await fleet.measure(float(command["measure"]))
            elif "pause" in command:
                fleet.paused = bool(command["pause"])
                reply = {"paused": fleet.paused}
            else:
                break
            print(json.dumps(reply), flush=True)
    finally:
        pinger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pinger
        await fleet.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load.capacity", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    echo = sub.add_parser("echo")
    echo.add_argument("--port", type=int, default=0)
    echo.add_argument("--gc-freeze", type=float, default=0, metavar="SECONDS", help="as fake_platform serve's")
    client = sub.add_parser("client")
    client.add_argument("--url", required=True)
    client.add_argument("--kind", choices=("platform", "echo"), required=True)
    client.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    raise_fd_limit()
    if args.command == "echo":
        asyncio.run(serve_echo(args.port, args.gc_freeze))
    else:
        asyncio.run(run_client(args.url, args.kind, args.interval))
    return 0


if __name__ == "__main__":
    sys.exit(main())
