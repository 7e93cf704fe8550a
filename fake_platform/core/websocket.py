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
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .errors import PlatformError, Unavailable
from .faults import FaultKind
from .hub import ChannelEndpoint, Product

if TYPE_CHECKING:
    from ..state import PlatformState

WRITE_QUEUE_LIMIT = 10000
CONN_ACK: dict[str, Any] = {"connAck": {}}
CONN_ACK_TEXT = json.dumps(CONN_ACK)


class WebSocketSink:
    """Sends queued frames to one websocket from one writer task, in order."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, endpoint: ChannelEndpoint,
                 state: PlatformState) -> None:
        self._request = request
        self.ws = ws
        self.channel_id = endpoint.id
        self._user = endpoint.user
        self._state = state
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(WRITE_QUEUE_LIMIT)
        self._writer = asyncio.create_task(self._write(), name=f"ws-writer-{endpoint.id}")
        self.closed = asyncio.Event()
        self._closer: asyncio.Task[None] | None = None

    def send(self, frame: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:  # a client that reads nothing: cut it off, it will reconnect
            self._state.journal.record("fault", user=self._user, channel=self.channel_id,
                                       detail={"action": "write_queue_full"})
            self._closer = asyncio.create_task(self.close(1011))

    async def _write(self) -> None:
        frame: dict[str, Any] | None = None
        try:
            while True:
                frame = await self._queue.get()
                if frame is None or self.ws.closed:
                    break
                await self.ws.send_str(json.dumps(frame))
                self._state.journal.record("ws-out", user=self._user, channel=self.channel_id, body=frame)
                frame = None
        except (ConnectionError, RuntimeError):
            pass
        finally:
            self._give_back(frame)

    def _give_back(self, frame: dict[str, Any] | None) -> None:
        """Return what this socket could not send to the hub, so the next socket delivers it."""
        unsent = [frame] if frame is not None else []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                unsent.append(item)
        if unsent:
            self._state.hub.requeue(self.channel_id, unsent)

    async def send_now(self, text: str, frame: dict[str, Any]) -> None:
        """Write a reply at once, from the reader: keepalive answers skip the queue and its task hop
        (the hot path under load); their order relative to queued notifications does not matter."""
        if self.ws.closed:
            return
        try:
            await self.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            return
        self._state.journal.record("ws-out", user=self._user, channel=self.channel_id, body=frame)

    async def close(self, code: int) -> None:
        if code == 1006:  # abnormal closure: no close frame, just drop the transport
            transport = self._request.transport
            if transport is not None:
                transport.abort()
        else:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code=code, message=b"closed by platform"), 2)
        self.closed.set()

    async def stop(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer


async def serve_channel(request: web.Request, endpoint: ChannelEndpoint, state: PlatformState) -> web.StreamResponse:
    """Upgrade ``request`` and keep the websocket of ``endpoint`` until it closes."""
    ctx = {"user": endpoint.user, "channel": endpoint.id, "product": endpoint.product}
    refusal = state.faults.check(FaultKind.REFUSE_UPGRADES, **ctx)
    if refusal is not None:
        status = int(refusal.params["status"])
        state.journal.record("ws-refused", user=endpoint.user, channel=endpoint.id, path=request.path, status=status)
        raise Unavailable("Websocket upgrades are refused for now (fault %1)", refusal.id) if status == 503 \
            else _status_error(status, refusal.id)
    ws = web.WebSocketResponse(autoping=False, heartbeat=None, max_msg_size=4 * 1024 * 1024)
    await ws.prepare(request)
    sink = WebSocketSink(request, ws, endpoint, state)
    state.hub.attach(endpoint.id, sink)
    state.journal.record("ws-open", user=endpoint.user, channel=endpoint.id, path=request.path,
                         detail={"queryKeys": sorted(request.query)})
    server_pinger = None
    if endpoint.product == Product.CPAAS and endpoint.conn_check_role == "server":
        server_pinger = asyncio.create_task(_server_pings(sink, state, ctx))
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                if _handle_text(msg.data, endpoint, state, ctx):
                    await sink.send_now(CONN_ACK_TEXT, CONN_ACK)
            elif msg.type == WSMsgType.PING:
                if not state.faults.active(FaultKind.KEEPALIVE_BLACKOUT, **ctx):
                    await ws.pong(msg.data)
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        if server_pinger is not None:
            server_pinger.cancel()
        state.hub.detach(endpoint.id, sink)
        await sink.stop()
        state.journal.record("ws-close", user=endpoint.user, channel=endpoint.id, detail={"code": ws.close_code})
    return ws


def _handle_text(text: str, endpoint: ChannelEndpoint, state: PlatformState, ctx: dict[str, Any]) -> bool:
    """Journal a client frame; True when it is a connCheck the platform must answer with connAck."""
    try:
        frame = json.loads(text)
    except ValueError:
        state.journal.record("ws-in", user=endpoint.user, channel=endpoint.id, body=text,
                             detail={"error": "not JSON"})
        return False
    state.journal.record("ws-in", user=endpoint.user, channel=endpoint.id, body=frame)
    if not isinstance(frame, dict):
        return False
    # {"message_type": "ping"} (Link) and server-driven connAck need no reply.
    return (frame.get("connCheck") is not None and endpoint.product == Product.CPAAS
            and endpoint.conn_check_role == "client" and not state.faults.active(FaultKind.KEEPALIVE_BLACKOUT, **ctx))


async def _server_pings(sink: WebSocketSink, state: PlatformState, ctx: dict[str, Any]) -> None:
    interval = state.config.server_ping_interval
    while True:
        if not state.faults.active(FaultKind.KEEPALIVE_BLACKOUT, **ctx):
            sink.send({"connCheck": {"interval": interval}})
        await asyncio.sleep(interval)


def _status_error(status: int, fault_id: str) -> PlatformError:
    error = PlatformError("Websocket upgrade refused (fault %1)", fault_id)
    error.status = status
    return error
