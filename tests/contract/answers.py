"""The recorded-answer server: a small aiohttp app that plays the platform's part of one recording
for our SDK (tests/contract/sdk_replay.py drives the SDK).

It knows only what the official SDK sent and was answered in the recording (the requests and
websocket opens its page made, marked by their ``Origin``). Each request our SDK sends is matched
with the first unused recorded one of the same method and path, and answered with the recorded
status and body; a request the recording has no answer for is answered 501 and reported by name,
so an SDK that asks for something the official build never asked for fails its replay. A request
is answered only once the replay reached the recorded one (:meth:`release`), so our SDK sees the
answers at the pace the official SDK saw them. Frames are
pushed only when the replay says so (:meth:`push`), on the socket our SDK opened for the recorded
channel; keepalives are answered as the platform answers them (a ``connCheck`` gets a
``connAck``, a websocket PING a PONG) unless the recording shows them unanswered (:meth:`blackout`).

Placeholders (``<<sess#1>>``, ``<<accessToken:user1>>``) stand for fixed values here
(:class:`Values`): the server is the platform, so it mints them, and our SDK learns them from the
answers as the official SDK learnt its own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import WSMsgType, web

PLACEHOLDER = re.compile(r"<<([^<>]+)>>")
KEEPALIVE_KEYS = ("connCheck", "connAck", "message_type")
LOCAL = "local#"  # ids an official SDK minted in the browser (tests/contract/recordings.py)
RELEASE_TIMEOUT = 30.0  # s: a request the replay never reaches is not answered (the replay has failed)


def is_keepalive(frame: Any) -> bool:
    return isinstance(frame, dict) and any(k in frame for k in KEEPALIVE_KEYS)


def official(event: dict[str, Any]) -> bool:
    """A request or websocket open of the official app (its page sends an Origin)."""
    return event["kind"] in ("http", "ws-open") and "Origin" in event.get("headers", {})


def channel_of(path: str) -> str | None:
    """The recorded channel placeholder a websocket path names (CPaaS and Link forms)."""
    match = re.search(r"(?:channels|websocket)/(<<[^<>]+>>)", path)
    return match.group(1) if match else None


class Values:
    """The value each placeholder of a recording stands for in a replay against the answer server."""

    def __init__(self, base: str, users: int) -> None:
        host, _, port = base.split("://", 1)[1].partition(":")
        self.fixed: dict[str, str] = {"base": base, "host": host, "port": port, "origin": "null"}
        key = secrets.token_bytes(32)
        for n in range(1, users + 1):
            user = f"user{n}@example.com"
            for kind, typ in (("accessToken", "access"), ("idToken", "id")):
                self.fixed[f"{kind}:user{n}"] = jwt.encode(
                    {"preferred_username": user, "services-identity": user, "typ": typ}, key, algorithm="HS256")
            self.fixed[f"basic:user{n}"] = base64.b64encode(f"{user}:password{n}".encode()).decode()

    def value(self, name: str) -> str:
        if name in self.fixed:
            return self.fixed[name]
        if name.startswith("aes:"):  # a CallMe realm token: opaque to the SDK, the same everywhere
            return name[4:].encode().hex()
        if name.startswith("turn:"):
            return f"turn-{name[5:]}"
        prefix, _, number = name.partition("#")  # a platform id: sub#1 -> sub-r1
        return f"{prefix}-r{number}"

    def answer(self, node: Any) -> Any:
        """A recorded answer or frame as the server sends it: placeholders filled in, and the message
        times the recording zeroed (``dateTime``, seconds) set to now, so that messages keep the
        order they arrive in."""
        return _stamped(self.fill(node), time.time())

    def fill(self, node: Any) -> Any:
        """``node`` with the platform's placeholders filled in; an official SDK's own ids
        (``<<local#n>>``) are not the platform's and stay as they are."""
        if isinstance(node, str):
            return PLACEHOLDER.sub(lambda m: m.group(0) if m.group(1).startswith(LOCAL) else self.value(m.group(1)),
                                   node)
        if isinstance(node, dict):
            return {self.fill(k): self.fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.fill(item) for item in node]
        return node


def _stamped(node: Any, now: float) -> Any:
    if isinstance(node, dict):
        return {k: now if k == "dateTime" and v == 0 else _stamped(v, now) for k, v in node.items()}
    if isinstance(node, list):
        return [_stamped(item, now) for item in node]
    return node


@dataclass
class Recorded:
    index: int  # in the recording's events
    event: dict[str, Any]
    claimed: bool = False  # one of our requests is being answered with it
    released: asyncio.Event = field(default_factory=asyncio.Event)  # the replay reached it
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Socket:
    ws: web.WebSocketResponse
    silent: bool = False  # a keepalive blackout: keepalives go unanswered until the SDK opens again


def body_kind(body: Any) -> tuple[str, ...]:
    """What kind of request a body makes: its top-level key and, when the object under it says,
    its ``type`` (a CallMe ``callMeRequest`` is a callStart, an audit, a startCallUpdate...)."""
    if not isinstance(body, dict) or len(body) != 1:
        return ()
    [(key, inner)] = body.items()
    kind = inner.get("type") if isinstance(inner, dict) else None
    return (key, kind) if isinstance(kind, str) else (key,)


class AnswerServer:
    def __init__(self, recording: dict[str, Any], answerable: Callable[[dict[str, Any]], bool],
                 changed: Callable[[], None]) -> None:
        """``answerable``: which official requests our SDK may be answered with (not those the
        table says it does not send); ``changed``: called at each answer, open and refusal."""
        self.recording = recording
        self.requests = [Recorded(i, e) for i, e in enumerate(recording["events"]) if official(e) and answerable(e)]
        self.values: Values | None = None
        self.unanswered: list[str] = []  # requests of our SDK the recording has no answer for
        self.closing = False  # after the replay: our SDK's teardown requests are not judged
        self.sockets: dict[str, Socket] = {}  # recorded channel -> our SDK's socket
        self.pending: dict[str, list[Any]] = {}  # frames for a channel whose socket is not open
        self._changed = changed
        self._runner: web.AppRunner | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> AnswerServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.values = Values(f"http://127.0.0.1:{port}", self.recording["users"])
        return self

    def close(self) -> None:
        """The replay is over: our SDK's teardown requests are not judged, and nothing waits."""
        self.closing = True
        for recorded in self.requests:
            recorded.released.set()

    async def stop(self) -> None:
        self.close()
        for socket in self.sockets.values():
            with contextlib.suppress(Exception):
                await socket.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _values(self) -> Values:
        assert self.values is not None, "the answer server is not started"
        return self.values

    def fill(self, node: Any) -> Any:
        return self._values().fill(node)

    # -- what the replay asks of it -------------------------------------------------------------
    def answered(self, index: int) -> bool:
        return any(r.index == index and r.answered.is_set() for r in self.requests)

    def release(self, index: int) -> None:
        """The replay reached the recorded request ``index``: it may be answered from now on."""
        for recorded in self.requests:
            if recorded.index == index:
                recorded.released.set()

    def release_held(self) -> bool:
        """Answer the earliest request of ours that waits for its turn; False when none waits.
        For a replay that waits on our SDK while our SDK waits on an answer the official SDK got
        later: the order of requests is not what a replay compares."""
        for recorded in self.requests:
            if recorded.claimed and not recorded.released.is_set():
                recorded.released.set()
                return True
        return False

    async def push(self, channel: str, frame: Any) -> None:
        """Send the recorded ``frame`` on ``channel`` (held until our SDK has that socket open)."""
        socket = self.sockets.get(channel)
        if socket is None or socket.ws.closed:
            self.pending.setdefault(channel, []).append(frame)
            return
        await socket.ws.send_str(json.dumps(self._values().answer(frame)))

    async def drop(self, channel: str, code: int) -> None:
        """Close our SDK's socket on ``channel`` as the platform did (1006: no close frame at all)."""
        socket = self.sockets.pop(channel, None)
        if socket is None:
            return
        if code == 1006:
            transport = socket.ws._req.transport if socket.ws._req is not None else None
            if transport is not None:
                transport.abort()
        else:
            await socket.ws.close(code=code)

    def blackout(self, channel: str) -> None:
        """Leave keepalives on ``channel`` unanswered until our SDK opens its socket again."""
        socket = self.sockets.get(channel)
        if socket is not None:
            socket.silent = True

    # -- serving ------------------------------------------------------------------------------
    def _match(self, method: str, path: str, upgrade: bool, kind: tuple[str, ...]) -> Recorded | None:
        for recorded in self.requests:
            event = recorded.event
            if not recorded.claimed and event["kind"] == ("ws-open" if upgrade else "http") \
                    and event["method"] == method and self.fill(event["path"]) == path \
                    and (upgrade or body_kind(event.get("body")) == kind):
                return recorded
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        body: Any = None
        if request.can_read_body and request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = json.loads(await request.text())
        kind = body_kind(body)
        recorded = self._match(request.method, request.path, upgrade, kind)
        if recorded is None:
            if not self.closing:
                self.unanswered.append(f"{request.method} {request.path}" + (f" {'/'.join(kind)}" if kind else ""))
                self._changed()
            return web.json_response({"error": "the recording has no answer for this request"}, status=501)
        recorded.claimed = True
        # Answered in the recorded order: not before the official SDK had sent it (its answer may
        # change what our SDK shows), however early ours asks.
        if not recorded.released.is_set():
            self._changed()  # a replay waiting on our SDK may release it
            await asyncio.wait_for(recorded.released.wait(), RELEASE_TIMEOUT)
        if upgrade:
            return await self._websocket(request, recorded)
        event = recorded.event
        body = self._values().answer(event.get("response"))
        response = web.Response(status=event["status"]) if body is None else \
            web.json_response(body, status=event["status"])
        await response.prepare(request)
        await response.write_eof()
        self._done(recorded)
        return response

    def _done(self, recorded: Recorded) -> None:
        recorded.answered.set()
        self._changed()

    async def _websocket(self, request: web.Request, recorded: Recorded) -> web.WebSocketResponse:
        channel = channel_of(recorded.event["path"]) or recorded.event["path"]
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        socket = Socket(ws)  # a new socket: the platform answers its keepalives again
        self.sockets[channel] = socket
        for frame in self.pending.pop(channel, []):
            await ws.send_str(json.dumps(self._values().answer(frame)))
        self._done(recorded)
        async for message in ws:
            if message.type == WSMsgType.PING and not socket.silent:
                await ws.pong(message.data)
            elif message.type == WSMsgType.TEXT and not socket.silent:
                with contextlib.suppress(ValueError):
                    frame = json.loads(message.data)
                    if isinstance(frame, dict) and "connCheck" in frame:
                        await ws.send_str(json.dumps({"connAck": {}}))
        if self.sockets.get(channel) is socket:
            del self.sockets[channel]
        return ws
