"""Serving a notification channel's websocket, for both products.

CPaaS (cpaas-wire §3): the client pings with ``{"connCheck":{...}}`` and gets ``{"connAck":{}}``;
with ``x-connCheckRole: server`` the platform pings every ``server_ping_interval`` seconds instead.
Link (link-callme-wire §4): the client sends ``{"message_type":"ping"}``, which needs no reply.
Websocket-level PINGs are answered with PONGs by hand (autoping is off), so that a
``keepalive_blackout`` fault can silence every kind of keepalive answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Awaitable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from aiohttp import WSMsgType, web

from .errors import PlatformError, Unavailable
from .faults import FaultKind
from .hub import ChannelEndpoint, Product
from .text import depth_exceeds

if TYPE_CHECKING:
    from ..state import PlatformState

CONN_ACK: dict[str, Any] = {"connAck": {}}
CONN_ACK_PAYLOAD = json.dumps(CONN_ACK).encode()


class WebSocketSink:
    """Writes frames to one websocket, in order.

    A frame is written at once when nothing is waiting before it: a group message fans out to
    every member's socket within the request that sent it, with no task to wake per socket. Only
    when the transport asks to wait (a slow reader: the write buffer is full) do later frames
    queue, for one writer task that finishes the wait and then writes the queue out.

    A client that does not read is cut off (close 1011, journaled as a ``fault``): when
    ``PlatformConfig.ws_queue_frames`` frames wait, or when one write waits more than
    ``ws_send_timeout`` seconds for the transport to drain. What it had not read goes back to the
    hub (the channel's buffer), for its next socket.
    """

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, endpoint: ChannelEndpoint,
                 state: PlatformState) -> None:
        self._request = request
        self.ws = ws
        self.channel_id = endpoint.id
        self._user = endpoint.user
        self._product = endpoint.product
        self._state = state
        self._queue: deque[dict[str, Any]] = deque()  # not written yet, in order
        self._writer: asyncio.Task[None] | None = None
        self._broken = False  # a write failed: keep the rest for the hub (stop() gives them back)
        self.closed = asyncio.Event()
        self._closer: asyncio.Task[None] | None = None

    def send(self, frame: dict[str, Any], payload: bytes | None = None) -> None:
        """Write ``frame`` now, or queue it behind those waiting. ``payload``: its JSON text, when the
        publisher made it (a group message's member frames are spliced: ``encode(frame)`` would give
        the same bytes); a queued frame is encoded when its turn comes."""
        if len(self._queue) >= self._state.config.ws_queue_frames:  # a client that reads nothing
            self._cut_off("write_queue_full")
            return
        if self._queue or self._writer is not None or self._broken or self.ws.closed:
            self._queue.append(frame)
            return
        if payload is None:
            payload = encode(frame)
        try:
            rest = _start(self.ws.send_frame(payload, WSMsgType.TEXT))
        except (ConnectionError, RuntimeError):
            self._broken = True
            self._queue.append(frame)
            return
        self._state.journal.frame("ws-out", self._user, self.channel_id, payload)
        if rest is not None:  # written, but the transport wants a drain before the next frame
            self._writer = asyncio.create_task(self._write(rest), name=f"ws-writer-{self.channel_id}")

    def _cut_off(self, reason: str) -> None:
        """Close a socket whose client does not read (once); it will reconnect and get the rest."""
        if self._closer is None:
            self._state.journal.record("fault", user=self._user, channel=self.channel_id,
                                       detail={"action": reason, "queued": len(self._queue)})
            self._closer = asyncio.create_task(self.close(1011), name=f"ws-cut-off-{self.channel_id}")

    async def _write(self, draining: Awaitable[None]) -> None:
        timeout = self._state.config.ws_send_timeout
        try:
            await asyncio.wait_for(draining, timeout)
            while self._queue and not self.ws.closed:
                payload = encode(self._queue[0])
                await asyncio.wait_for(self.ws.send_frame(payload, WSMsgType.TEXT), timeout)
                self._queue.popleft()
                self._state.journal.frame("ws-out", self._user, self.channel_id, payload)
        except TimeoutError:
            self._broken = True
            self._cut_off("write_timeout")
        except (ConnectionError, RuntimeError):
            self._broken = True
        finally:
            self._writer = None

    def _give_back(self) -> None:
        """Return what this socket could not send to the hub, so the next socket delivers it."""
        unsent, self._queue = list(self._queue), deque()
        if unsent:
            self._state.hub.requeue(self.channel_id, unsent)

    async def answer_keepalive(self, received: str, mono: float) -> None:
        """Answer the connCheck ``received`` (its text) with connAck at once, from the reader, and
        journal both in one go (the hot path under load). The answer skips the queue: its order
        relative to queued notifications does not matter. ``mono``: when the connCheck came."""
        journal = self._state.journal
        if self.ws.closed:
            journal.frame("ws-in", self._user, self.channel_id, received)
            return
        if self._state.contract is not None:
            self._state.contract.frame_sent(self._product, json.loads(CONN_ACK_PAYLOAD), channel=self.channel_id,
                                            user=self._user)
        try:
            await self.ws.send_frame(CONN_ACK_PAYLOAD, WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            journal.frame("ws-in", self._user, self.channel_id, received)
            return
        journal.exchange(self._user, self.channel_id, received, CONN_ACK_PAYLOAD, mono)

    async def close(self, code: int) -> None:
        """Close with ``code``; 1006, or a close frame a client does not take within 2 s, drops the
        transport (and whatever it still buffers) instead."""
        closed = False
        if code != 1006:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code=code, message=b"closed by platform"), 2)
                closed = True
        transport = self._request.transport
        if transport is not None and not closed:
            transport.abort()
        self.closed.set()

    async def stop(self) -> None:
        """After the hub detached this sink: end the writer and give back what was not written."""
        writer = self._writer
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        self._broken = True
        self._give_back()


def encode(frame: dict[str, Any]) -> bytes:
    """A frame as UTF-8 JSON: orjson (a fan-out serialises a frame per member), or the json module
    for what orjson refuses (integers beyond 64 bits, keys that are not strings)."""
    try:
        return orjson.dumps(frame)
    except TypeError:
        return json.dumps(frame).encode()


def decode(text: str) -> Any:
    """A client frame's JSON (every keepalive): orjson, or the json module for what only it accepts
    (NaN, Infinity); ValueError when neither can."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _start(coro: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Run ``coro`` in the caller's stack up to its first wait: None when it finished there, else an
    awaitable for a task to finish it with. Only for coroutines that do not care which task runs
    them (aiohttp's send_frame: a write, then perhaps a wait for the transport to drain)."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return _Finish(coro, waiting_on)


class _Finish:
    """Awaitable that carries on a started coroutine from where it waits (as ``yield from`` would)."""

    def __init__(self, coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self._coro = coro
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, None]:
        coro, waiting_on = self._coro, self._waiting_on
        while True:
            try:
                answer = yield waiting_on
            except BaseException as exc:  # a cancellation goes on into the coroutine
                try:
                    waiting_on = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coro.send(answer)
                except StopIteration:
                    return


async def prepared(ws: web.WebSocketResponse, request: web.Request) -> bool:
    """Answer the upgrade; False when the client left before it was answered (a client's choice,
    not a server error: aiohttp would log it with a traceback)."""
    try:
        await ws.prepare(request)
    except ConnectionResetError:
        return False
    return True


async def serve_channel(request: web.Request, endpoint: ChannelEndpoint, state: PlatformState) -> web.StreamResponse:
    """Upgrade ``request`` and keep the websocket of ``endpoint`` until it closes."""
    ctx = {"user": endpoint.user, "channel": endpoint.id, "product": endpoint.product}
    refusal = state.faults.check(FaultKind.REFUSE_UPGRADES, **ctx)
    if refusal is not None:
        status = int(refusal.params["status"])
        state.journal.record("ws-refused", user=endpoint.user, channel=endpoint.id, path=request.path, status=status)
        raise Unavailable("Websocket upgrades are refused for now (fault %1)", refusal.id) if status == 503 \
            else _status_error(status, refusal.id)
    ws = web.WebSocketResponse(autoping=False, heartbeat=None, max_msg_size=state.config.max_frame_bytes)
    if not await prepared(ws, request):
        state.journal.record("ws-close", user=endpoint.user, channel=endpoint.id, path=request.path,
                             detail={"code": None, "reason": "the client left before its upgrade was answered"})
        return ws
    sink = WebSocketSink(request, ws, endpoint, state)
    state.hub.attach(endpoint.id, sink)
    state.journal.record("ws-open", user=endpoint.user, channel=endpoint.id, path=request.path,
                         detail={"queryKeys": sorted(request.query)})
    server_pinger = None
    if endpoint.product == Product.CPAAS and endpoint.conn_check_role == "server":
        server_pinger = asyncio.create_task(_server_pings(sink, state, ctx))
    try:
        # The frames are read in a task of their own: a frame then resumes this loop alone, not the
        # chain of middlewares and handlers that awaits the request (every keepalive would go through it).
        await asyncio.create_task(_read_frames(ws, sink, endpoint, state, ctx), name=f"ws-reader-{endpoint.id}")
    finally:
        if server_pinger is not None:
            server_pinger.cancel()
        state.hub.detach(endpoint.id, sink)
        await sink.stop()
        state.journal.record("ws-close", user=endpoint.user, channel=endpoint.id, detail={"code": ws.close_code})
    return ws


class KeepaliveFrame(NamedTuple):
    """What a client frame says as a keepalive (cpaas-wire §3, link-callme-wire §4.2)."""

    conn_check: bool  # a connCheck: answered with connAck on a client-driven CPaaS channel
    interval: float | None = None  # seconds, as the connCheck announced them


#: Texts this long or shorter are remembered per socket once parsed as a keepalive. Clients send
#: the same keepalive text every time (``{"connCheck":{"interval":30}}``: 28 characters), so the
#: next ones are recognised by one string comparison instead of the JSON parser; longer frames
#: are not keepalives a client repeats.
REMEMBERED_TEXT_MAX = 64


async def _read_frames(ws: web.WebSocketResponse, sink: WebSocketSink, endpoint: ChannelEndpoint,
                       state: PlatformState, ctx: dict[str, Any]) -> None:
    # Every keepalive comes through here: what each one needs is looked up once per socket. The
    # platform clock's monotonic time is this loop's time; the loop is asked directly.
    loop = asyncio.get_running_loop()
    answers_conn_check = endpoint.product == Product.CPAAS and endpoint.conn_check_role == "client"
    health = endpoint.keepalive
    # This socket's keepalive text, once parsed, and what it said. Not while the contract monitor
    # is on: it is given every frame parsed.
    known_text: str | None = None
    known = KeepaliveFrame(False)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            text = msg.data
            if text == known_text and state.contract is None:
                keepalive: KeepaliveFrame | None = known
                text = known_text  # the journal keeps the socket's one copy: this one is freed at once
            else:
                keepalive = _handle_text(text, endpoint, state)
                if keepalive is not None and len(text) <= REMEMBERED_TEXT_MAX and state.contract is None:
                    known_text, known = text, keepalive
            if keepalive is None:
                continue
            # A keepalive: a Link ping and a connAck need no answer; a connCheck on a client-driven
            # CPaaS channel gets connAck unless a keepalive_blackout fault silences it.
            now = loop.time()
            expects_answer = answers_conn_check and keepalive.conn_check
            answer = expects_answer and not _blacked_out(state, ctx)
            health.received(now, answered=answer or not expects_answer, interval=keepalive.interval)
            if answer:
                await sink.answer_keepalive(text, now)  # journals both frames
            else:
                state.journal.frame("ws-in", endpoint.user, endpoint.id, text)
        elif msg.type == WSMsgType.PING:
            answered = not _blacked_out(state, ctx)
            health.received(loop.time(), answered=answered)
            if answered:
                await ws.pong(msg.data)
        elif msg.type == WSMsgType.ERROR:
            break


def _handle_text(text: str, endpoint: ChannelEndpoint, state: PlatformState) -> KeepaliveFrame | None:
    """Parse a client frame: what it says as a keepalive (which the reader journals), or None after
    journaling it."""
    try:
        frame = decode(text)
        # Nesting takes two characters a level: a keepalive is too short to check.
        if len(text) > 2 * state.config.max_json_depth and depth_exceeds(frame, state.config.max_json_depth):
            raise ValueError(f"nested deeper than {state.config.max_json_depth} levels")
    except (ValueError, RecursionError) as exc:
        state.journal.record("ws-in", user=endpoint.user, channel=endpoint.id, body=text,
                             detail={"error": f"not JSON: {str(exc)[:100]}"})
        if state.contract is not None:
            state.contract.frame_received(endpoint.product, text, channel=endpoint.id, user=endpoint.user)
        return None
    if state.contract is not None:
        state.contract.frame_received(endpoint.product, frame, channel=endpoint.id, user=endpoint.user)
    keepalive = keepalive_of(frame)
    if keepalive is None:
        state.journal.frame("ws-in", endpoint.user, endpoint.id, text)
    return keepalive


def keepalive_of(frame: Any) -> KeepaliveFrame | None:
    """A parsed client frame as a keepalive: a connCheck, a connAck (the answer to a server's
    connCheck) or a Link ping; None for anything else."""
    if not isinstance(frame, dict):
        return None
    check = frame.get("connCheck")
    if check is not None:
        interval = check.get("interval") if isinstance(check, dict) else None
        announced = float(interval) if isinstance(interval, int | float) and not isinstance(interval, bool) else None
        return KeepaliveFrame(True, announced)
    if frame.get("connAck") is not None or frame.get("message_type") == "ping":
        return KeepaliveFrame(False)
    return None


def _blacked_out(state: PlatformState, ctx: dict[str, Any]) -> bool:
    """Whether a keepalive_blackout fault silences this channel's keepalive answers (the rules are
    not consulted while no such fault is armed)."""
    return FaultKind.KEEPALIVE_BLACKOUT in state.faults.armed and state.faults.active(FaultKind.KEEPALIVE_BLACKOUT,
                                                                                     **ctx)


async def _server_pings(sink: WebSocketSink, state: PlatformState, ctx: dict[str, Any]) -> None:
    interval = state.config.server_ping_interval
    while True:
        if not _blacked_out(state, ctx):
            ping = {"connCheck": {"interval": interval}}
            if state.contract is not None:
                state.contract.frame_sent("cpaas", ping, channel=sink.channel_id, user=ctx["user"])
            sink.send(ping)
        await asyncio.sleep(interval)


def _status_error(status: int, fault_id: str) -> PlatformError:
    error = PlatformError("Websocket upgrade refused (fault %1)", fault_id)
    error.status = status
    return error
