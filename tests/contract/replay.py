"""Replaying a recording (tests/contract/recordings.py) against a fresh platform, without a browser.

Events are replayed in their recorded order over real HTTP and websockets: requests with their
placeholders filled in, client frames sent on their sockets, sockets opened where the SDK opened
them. Every answer is compared with the recording: the same status, and the same shape; the ids
the new platform mints are bound to the recording's placeholders by matching the recorded answer
(or frame) against the live one (``<<sub#1>>`` in a recorded ``resourceURL`` takes whatever the live
``resourceURL`` has there). A frame the recording expects is looked for, by name, on its channel's
socket; requests that need an id only a frame carries wait for that frame (bounded).

The platform runs with ``contract=True``: a response or frame off contract makes it raise at stop,
and the official SDK's requests must be valid against the contract too.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from fake_platform import Platform
from fake_platform.contract.validator import frame_name
from fake_platform.core.progress import Progression
from fake_platform.link.tokens import make_token

PLACEHOLDER = re.compile(r"<<([^<>]+)>>")
FRAME_TIMEOUT = 10.0
KEEPALIVES = ("connAck", "connCheck", "keepAlive")  # timer-driven: not expected in lockstep


class ReplayMismatch(AssertionError):
    """The platform answered differently from the recording."""


@dataclass
class Socket:
    ws: aiohttp.ClientWebSocketResponse
    frames: list[Any] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None


@dataclass
class Expected:
    channel: str
    frame: Any
    done: bool = False


class Replay:
    def __init__(self, platform: Platform, recording: dict[str, Any]) -> None:
        self.platform = platform
        self.recording = recording
        self.bindings: dict[str, str] = {"base": platform.url, "origin": "https://127.0.0.1"}
        self.sockets: dict[str, Socket] = {}  # channel placeholder -> socket
        self.expected: list[Expected] = []
        self.differences: list[str] = []
        self.exchanges = 0
        self.frames_matched = 0

    # -- set-up --------------------------------------------------------------------------------
    async def create_users(self) -> None:
        for n in range(1, self.recording["users"] + 1):
            user = await self.platform.users.create(
                user_id=f"user{n}@example.com", password=f"password{n}", first_name=f"First{n}", last_name=f"Last{n}",
                phone_number=f"+1613555{n:04d}")
            tokens = self.platform.state.tokens.issue(user, self.platform.state.config.client_id)
            self.bindings[f"accessToken:user{n}"] = tokens["access_token"]
            self.bindings[f"idToken:user{n}"] = tokens["id_token"]
            self.bindings[f"basic:user{n}"] = base64.b64encode(f"{user.user_id}:{user.password}".encode()).decode()

    # -- placeholders --------------------------------------------------------------------------
    def _value_of(self, name: str) -> str | None:
        if name in self.bindings:
            return self.bindings[name]
        if name.startswith("aes:"):  # minted once: the same account token all along, as the app had
            realm = self.platform.state.link.realms.get(self.platform.state.config.realm)
            token = make_token(self.fill(name[4:]), realm.key, self.platform.state.clock.wall_ms())
            self.bindings[name] = token
            return token
        return None

    def unbound(self, node: Any) -> set[str]:
        text = json.dumps(node)
        return {m for m in PLACEHOLDER.findall(text) if self._value_of(m) is None}

    def fill(self, node: Any) -> Any:
        if isinstance(node, str):
            return PLACEHOLDER.sub(lambda m: self._value_of(m.group(1)) or m.group(0), node)
        if isinstance(node, dict):
            return {self.fill(k): self.fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.fill(item) for item in node]
        return node

    def unify(self, recorded: Any, live: Any, where: str) -> None:
        """Bind the recording's placeholders to the live values at the same places."""
        if isinstance(recorded, str) and isinstance(live, str):
            if not PLACEHOLDER.search(recorded):
                return
            parts = PLACEHOLDER.split(recorded)
            regex = ""
            for i, part in enumerate(parts):
                regex += f"(?P<g{i}>.+?)" if i % 2 else re.escape(part)
            match = re.fullmatch(regex, live, re.S)
            if match is None:
                return
            for i, name in enumerate(parts):
                if i % 2 and name not in self.bindings and not name.startswith(("aes:", "turn:")):
                    self.bindings[name] = match.group(f"g{i}")
            return
        if isinstance(recorded, dict) and isinstance(live, dict):
            for key, value in recorded.items():
                live_key = self.fill(key)
                if live_key in live:
                    self.unify(value, live[live_key], f"{where}.{key}")
            return
        if isinstance(recorded, list) and isinstance(live, list):
            for index, (a, b) in enumerate(zip(recorded, live, strict=False)):
                self.unify(a, b, f"{where}[{index}]")

    # -- frames --------------------------------------------------------------------------------
    async def _read(self, channel: str, socket: Socket) -> None:
        async for message in socket.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                socket.frames.append(json.loads(message.data))
                socket.arrived.set()

    def _match_frames(self) -> None:
        for expected in self.expected:
            if expected.done:
                continue
            socket = self.sockets.get(expected.channel)
            if socket is None:
                continue
            name = frame_name(expected.frame)
            for index, live in enumerate(socket.frames):
                if frame_name(live) == name and self._same_call(expected.frame, live):
                    del socket.frames[index]
                    self.unify(expected.frame, live, f"frame {name}")
                    expected.done = True
                    self.frames_matched += 1
                    break

    def _same_call(self, recorded: Any, live: Any) -> bool:
        """A frame naming a bound session (Link sessionData, CPaaS link href) must name the same one."""
        text = json.dumps(recorded)
        for name in PLACEHOLDER.findall(text):
            if name in self.bindings and name.split("#")[0] in ("sess", "call") and \
                    self.bindings[name] not in json.dumps(live):
                return False
        return True

    async def _wait_for(self, needed: set[str], what: str) -> None:
        deadline = asyncio.get_running_loop().time() + FRAME_TIMEOUT
        while True:
            self._match_frames()
            if not {n for n in needed if self._value_of(n) is None}:
                return
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise ReplayMismatch(f"{what}: no frame gave {sorted(needed)} within {FRAME_TIMEOUT} s "
                                     f"(bound: {sorted(self.bindings)})")
            waiters = [asyncio.ensure_future(s.arrived.wait()) for s in self.sockets.values()]
            for s in self.sockets.values():
                s.arrived.clear()
            if waiters:
                await asyncio.wait(waiters, timeout=min(remaining, 0.2))
                for w in waiters:
                    w.cancel()
            else:
                await asyncio.sleep(min(remaining, 0.05))

    # -- events --------------------------------------------------------------------------------
    async def run(self, http: aiohttp.ClientSession) -> None:
        await self.create_users()
        for index, event in enumerate(self.recording["events"]):
            kind = event["kind"]
            needed = self.unbound({k: v for k, v in event.items() if k not in ("response", "frame", "status")}) \
                if kind != "ws-out" else set()
            if needed:
                await self._wait_for(needed, f"event {index} {event.get('operation') or kind}")
            if kind in ("http", "ws-in"):
                await self._wait_for_frames(before=f"event {index} {event.get('operation') or kind}")
            if kind == "http":
                await self._http(http, event, index)
            elif kind == "ws-open":
                await self._open(http, event)
            elif kind == "ws-in":
                socket = self.sockets.get(event["channel"])
                if socket is not None and not socket.ws.closed:
                    frame = self.fill(event["frame"])
                    await socket.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))
            elif kind == "ws-out":
                self.expected.append(Expected(event["channel"], event["frame"]))
        await self._wait_for_frames(before="the end")

    async def _wait_for_frames(self, before: str) -> None:
        """The frames the recording has so far, as the SDK had them before its next request."""
        def waiting() -> list[Expected]:
            return [e for e in self.expected if not e.done and e.channel in self.sockets
                    and not self.sockets[e.channel].ws.closed and frame_name(e.frame) not in KEEPALIVES]

        deadline = asyncio.get_running_loop().time() + FRAME_TIMEOUT
        while True:
            self._match_frames()
            if not waiting() or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)
        missing = [frame_name(e.frame) for e in waiting()]
        if missing:
            raise ReplayMismatch(f"frames the recording has before {before} and the replay never got: {missing}")

    async def _http(self, http: aiohttp.ClientSession, event: dict[str, Any], index: int) -> None:
        headers = {k: v for k, v in self.fill(event.get("headers", {})).items()
                   if k.lower() in ("authorization", "origin", "x-cpaas-agent")}
        body, kwargs = event.get("body"), {}
        content_type = event.get("headers", {}).get("Content-Type", "")
        if isinstance(body, dict) and body.get("multipart"):
            form = aiohttp.FormData()
            root = {"object": {"attributes": {"attribute": []}, "flags": {"flag": []}}}
            form.add_field("root-fields", json.dumps(root))
            form.add_field("raw", b"replayed file", filename="replay.txt", content_type="text/plain")
            kwargs["data"] = form
        elif "x-www-form-urlencoded" in content_type and isinstance(body, dict):
            kwargs["data"] = self.fill(body)
        elif body is not None:
            kwargs["json"] = self.fill(body)
        url = self.platform.url + self.fill(event["path"])
        async with http.request(event["method"], url, params=self.fill(event.get("query") or {}), headers=headers,
                                **kwargs) as resp:
            text = await resp.text()
            live = json.loads(text) if text and resp.content_type == "application/json" else None
        self.exchanges += 1
        if resp.status != event["status"]:
            raise ReplayMismatch(f"event {index} {event['method']} {event['path']}: status {resp.status}, "
                                 f"recorded {event['status']}; body {text[:300]}")
        if event.get("response") is not None and live is not None:
            self.unify(event["response"], live, f"event {index}")

    async def _open(self, http: aiohttp.ClientSession, event: dict[str, Any]) -> None:
        match = re.search(r"(?:channels|websocket)/(<<[^<>]+>>)", event["path"])
        channel = match.group(1) if match else event["path"]
        previous = self.sockets.pop(channel, None)
        if previous is not None:
            await previous.ws.close()
        url = self.platform.ws_url + self.fill(event["path"])
        ws = await http.ws_connect(url, params=self.fill(event.get("query") or {}), autoping=True)
        socket = Socket(ws, frames=previous.frames if previous is not None else [])
        socket.reader = asyncio.create_task(self._read(channel, socket))
        self.sockets[channel] = socket

    async def close(self) -> None:
        for socket in self.sockets.values():
            with contextlib.suppress(Exception):
                await socket.ws.close()
            if socket.reader is not None:
                socket.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await socket.reader


async def replay(recording: dict[str, Any]) -> Replay:
    """Replay ``recording`` against a fresh platform (contract on); raise ReplayMismatch on a difference."""
    # Protocol delays (relay, IVR answer, reject) at once: frames are matched per channel, not by time.
    platform = Platform(contract=True, progression=Progression.IMMEDIATE)
    await platform.start()
    session = Replay(platform, recording)
    try:
        async with aiohttp.ClientSession() as http:
            try:
                await session.run(http)
            finally:
                await session.close()
    finally:
        await platform.stop()
    return session
