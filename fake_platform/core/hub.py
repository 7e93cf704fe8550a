"""The notification hub: every notification channel and the socket attached to it.

Services publish a notification to a channel id; the hub hands it to the attached websocket's
writer or, while no socket is attached (between a drop and the client's reconnect), keeps it in
the channel's buffer and flushes it on re-attach, so nothing is lost while a user is offline. The
SDKs drop repeats by id, so a replayed frame is harmless. A buffer is bounded in frames and in
bytes (``PlatformConfig.channel_buffer_frames`` / ``channel_buffer_bytes``): past either, the oldest
frames are dropped and the drop journaled, as a platform must when a client stays away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from .errors import NotFound
from .faults import FaultKind

if TYPE_CHECKING:
    from .journal import Journal

BUFFER_FRAMES, BUFFER_BYTES = 5000, 16 * 1024 * 1024
_NONE: dict[str, ChannelEndpoint] = {}


def frame_size(frame: dict[str, Any]) -> int:
    """A frame's size as JSON (what it will cost on the wire and, roughly, in memory)."""
    try:
        return len(orjson.dumps(frame))
    except TypeError:  # what orjson refuses (integers beyond 64 bits, keys that are not strings)
        return len(repr(frame))


class ChannelBuffer:
    """Frames waiting for a channel's next socket, oldest first, bounded in frames and bytes."""

    def __init__(self, max_frames: int = BUFFER_FRAMES, max_bytes: int = BUFFER_BYTES) -> None:
        self.max_frames, self.max_bytes = max_frames, max_bytes
        self._frames: deque[tuple[dict[str, Any], int]] = deque()
        self.bytes = 0
        self.dropped = 0  # frames dropped to stay within the bounds

    def append(self, frame: dict[str, Any]) -> int:
        """Keep ``frame`` at the end; how many of the oldest frames were dropped for it."""
        size = frame_size(frame)
        self._frames.append((frame, size))
        self.bytes += size
        return self._shrink()

    def extendleft(self, frames: list[dict[str, Any]]) -> int:
        """Put ``frames`` (in their order) before the others: a dying socket's unsent ones."""
        for frame in reversed(frames):
            size = frame_size(frame)
            self._frames.appendleft((frame, size))
            self.bytes += size
        return self._shrink()

    def popleft(self) -> dict[str, Any]:
        frame, size = self._frames.popleft()
        self.bytes -= size
        return frame

    def _shrink(self) -> int:
        dropped = 0
        while self._frames and (len(self._frames) > self.max_frames or self.bytes > self.max_bytes):
            self.popleft()
            dropped += 1
        self.dropped += dropped
        return dropped

    def __len__(self) -> int:
        return len(self._frames)

    def __bool__(self) -> bool:
        return bool(self._frames)


class Product(StrEnum):
    """The SDK product a notification channel serves (its keepalive and frame formats differ)."""

    CPAAS = "cpaas"
    LINK = "link"


class SocketSink(Protocol):
    """What the hub needs from an attached websocket."""

    channel_id: str

    def send(self, frame: dict[str, Any], payload: bytes | None = None) -> None:
        """Write ``frame``; ``payload``, when given, is its JSON text (what encoding it would give)."""

    async def close(self, code: int) -> None: ...


@dataclass(slots=True)  # one object to touch per keepalive (a channel's, out of the caches by then)
class Keepalive:
    """What the platform saw of a channel's keepalives (the dashboard's channel health)."""

    pings: int = 0  # received: connCheck, connAck to a server ping, Link ping, websocket PING
    unanswered: int = 0  # of those, left unanswered by a keepalive_blackout fault
    last_at: float | None = None  # loop time of the latest
    interval: float | None = None  # seconds: announced by the client (connCheck) or seen between two

    def received(self, now: float, *, answered: bool = True, interval: float | None = None) -> None:
        if interval is None and self.last_at is not None:
            interval = now - self.last_at
        self.pings += 1
        self.unanswered += not answered
        self.last_at = now
        self.interval = interval if interval and interval > 0 else self.interval


@dataclass
class ChannelEndpoint:
    id: str
    user: str
    product: Product
    created_at: float
    conn_check_role: str = "client"
    lifetime: int = 3600
    callback_url: str = ""
    buffer: ChannelBuffer = field(default_factory=ChannelBuffer)
    socket: SocketSink | None = None
    delivered: int = 0
    buffered_total: int = 0
    attachments: int = 0
    keepalive: Keepalive = field(default_factory=Keepalive)
    idle_since: float = 0.0  # loop time since when no socket is attached (creation, last detach, refresh)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "user": self.user, "product": self.product, "connected": self.socket is not None,
                "buffered": len(self.buffer), "delivered": self.delivered, "attachments": self.attachments,
                "connCheckRole": self.conn_check_role}


class NotificationHub:
    def __init__(self, *, clock: Any, ids: Any, faults: Any, journal: Journal, buffer_frames: int = BUFFER_FRAMES,
                 buffer_bytes: int = BUFFER_BYTES) -> None:
        self._buffer_bounds = (buffer_frames, buffer_bytes)
        self._clock = clock
        self._ids = ids
        self._faults = faults
        self._journal = journal
        self.channels: dict[str, ChannelEndpoint] = {}
        self._by_user: dict[str, dict[str, ChannelEndpoint]] = {}  # every notify looks channels up by user
        self._delayed: set[asyncio.TimerHandle] = set()
        # Told ("attached" | "detached" | "requeued", endpoint) as sockets come and go (tests wait on it).
        self.observers: list[Callable[[str, ChannelEndpoint], None]] = []
        self.contract: Any = None  # a ContractMonitor checks every frame published (contract=True)

    # -- channels ------------------------------------------------------------------------------
    def open_channel(self, user: str, product: Product, *, channel_id: str | None = None,
                     **attrs: Any) -> ChannelEndpoint:
        endpoint = ChannelEndpoint(id=channel_id or self._ids.capability("ch"), user=user, product=product,
                                   created_at=self._clock.wall(), idle_since=self._clock.monotonic(),
                                   buffer=ChannelBuffer(*self._buffer_bounds), **attrs)
        self.channels[endpoint.id] = endpoint
        self._by_user.setdefault(user, {})[endpoint.id] = endpoint
        return endpoint

    def get(self, channel_id: str) -> ChannelEndpoint:
        endpoint = self.channels.get(channel_id)
        if endpoint is None:
            raise NotFound("Notification channel %1 not found", channel_id)
        return endpoint

    async def close_channel(self, channel_id: str, code: int = 1000) -> None:
        endpoint = self.channels.pop(channel_id, None)
        if endpoint is not None:
            mine = self._by_user.get(endpoint.user, {})
            mine.pop(channel_id, None)
            if not mine:  # anonymous principals come and go: keep no empty entry
                self._by_user.pop(endpoint.user, None)
        if endpoint is not None and endpoint.socket is not None:
            await endpoint.socket.close(code)

    def endpoints_of(self, user: str) -> Iterable[ChannelEndpoint]:
        """The channels of ``user``, every product, without a list made (the fan-out's lookup)."""
        return self._by_user.get(user, _NONE).values()

    def channels_of(self, user: str, product: str | None = None) -> list[ChannelEndpoint]:
        return [c for c in self._by_user.get(user, {}).values() if product is None or c.product == product]

    # -- sockets -------------------------------------------------------------------------------
    def attach(self, channel_id: str, sink: SocketSink) -> SocketSink | None:
        """Attach a socket (replacing any previous one) and flush the buffer into it."""
        endpoint = self.get(channel_id)
        previous, endpoint.socket = endpoint.socket, sink
        endpoint.attachments += 1
        while endpoint.buffer:
            self._send(endpoint, endpoint.buffer.popleft())
        self._tell("attached", endpoint)
        return previous

    def detach(self, channel_id: str, sink: SocketSink) -> None:
        endpoint = self.channels.get(channel_id)
        if endpoint is not None and endpoint.socket is sink:
            endpoint.socket = None
            endpoint.idle_since = self._clock.monotonic()
            self._tell("detached", endpoint)

    def requeue(self, channel_id: str, frames: list[dict[str, Any]]) -> None:
        """Put frames a dying socket could not send back in front of the buffer, in order."""
        endpoint = self.channels.get(channel_id)
        if endpoint is None:
            return
        if endpoint.socket is not None:
            for frame in frames:
                endpoint.socket.send(frame)
        else:
            self._dropped(endpoint, endpoint.buffer.extendleft(frames))
        self._tell("requeued", endpoint)

    def _tell(self, what: str, endpoint: ChannelEndpoint) -> None:
        for observer in list(self.observers):
            observer(what, endpoint)

    def sockets(self, *, user: str | None = None, channel: str | None = None,
                product: str | None = None) -> list[tuple[ChannelEndpoint, SocketSink]]:
        return [
            (c, c.socket) for c in self.channels.values()
            if c.socket is not None
            and (user is None or c.user == user)
            and (channel is None or c.id == channel)
            and (product is None or c.product == product)
        ]

    async def drop_sockets(self, *, code: int = 1006, user: str | None = None, channel: str | None = None,
                           product: str | None = None) -> int:
        """Close matching sockets (1006 = abort the transport without a close frame)."""
        targets = self.sockets(user=user, channel=channel, product=product)
        for endpoint, sink in targets:
            # Detach first: whatever is published from now on waits in the buffer for the reconnect.
            self.detach(endpoint.id, sink)
            self._journal.record("fault", user=endpoint.user, channel=endpoint.id,
                                 detail={"action": "drop_socket", "code": code})
            if self.contract is not None:
                self.contract.socket_dropped(endpoint.id, code)
        await asyncio.gather(*(sink.close(code) for _e, sink in targets), return_exceptions=True)
        return len(targets)

    # -- publishing ----------------------------------------------------------------------------
    def same_time(self) -> contextlib.AbstractContextManager[None]:
        """Frames written inside are journaled with one timestamp (a fan-out: Journal.same_time)."""
        return self._journal.same_time()

    def publish(self, channel_id: str, frame: dict[str, Any]) -> bool:
        """Queue ``frame`` for the channel; False when the channel does not exist or a fault dropped it."""
        endpoint = self.channels.get(channel_id)
        if endpoint is None:
            return False
        return self.publish_to(endpoint, frame)

    def publish_to(self, endpoint: ChannelEndpoint, frame: dict[str, Any], payload: bytes | None = None) -> bool:
        """``publish`` to a channel the caller holds (a group message walks its members' channels).
        ``payload``: the frame's JSON text when the caller made it (a group message's frames are
        spliced from one serialisation), for the socket to write as it is; it must be exactly what
        encoding ``frame`` gives. Whatever else looks at the frame (the contract, a fault, the
        buffer) sees ``frame``."""
        if self.contract is not None:
            self.contract.frame_sent(endpoint.product, frame, channel=endpoint.id, user=endpoint.user)
        if self._faults.armed:  # no match context to build while no fault is set (the common case)
            ctx = {"user": endpoint.user, "channel": endpoint.id, "product": endpoint.product}
            if self._faults.check(FaultKind.DROP_NOTIFICATIONS, **ctx) is not None:
                self._journal.record("fault", user=endpoint.user, channel=endpoint.id, body=frame,
                                     detail={"action": "drop_notification"})
                return False
            delay = self._faults.check(FaultKind.DELAY_NOTIFICATIONS, **ctx)
            if delay is not None:
                seconds = float(delay.params["ms"]) / 1000.0
                handle = asyncio.get_running_loop().call_later(seconds, self._deliver_later, endpoint.id, frame)
                self._delayed.add(handle)
                return True
            if self._faults.check(FaultKind.DUPLICATE_NOTIFICATIONS, **ctx) is not None:
                self._journal.record("fault", user=endpoint.user, channel=endpoint.id, body=frame,
                                     detail={"action": "duplicate_notification"})
                self._send(endpoint, frame)
        self._send(endpoint, frame, payload)
        return True

    def _deliver_later(self, channel_id: str, frame: dict[str, Any]) -> None:
        self._delayed = {h for h in self._delayed if not h.cancelled() and h.when() > self._clock.monotonic()}
        endpoint = self.channels.get(channel_id)
        if endpoint is not None:
            self._send(endpoint, frame)

    def _send(self, endpoint: ChannelEndpoint, frame: dict[str, Any], payload: bytes | None = None) -> None:
        """Write ``frame`` (``payload``: its JSON text, when made) to the socket, or keep it for the next."""
        if endpoint.socket is None:
            self._dropped(endpoint, endpoint.buffer.append(frame))
            endpoint.buffered_total += 1
            return
        endpoint.delivered += 1
        endpoint.socket.send(frame, payload)

    def _dropped(self, endpoint: ChannelEndpoint, count: int) -> None:
        if count:
            self._journal.record("fault", user=endpoint.user, channel=endpoint.id,
                                 detail={"action": "buffer_full", "dropped": count,
                                         "buffered": len(endpoint.buffer), "bytes": endpoint.buffer.bytes})

    async def close_all(self, code: int = 1001) -> None:
        for handle in self._delayed:
            handle.cancel()
        self._delayed.clear()
        sinks = [c.socket for c in self.channels.values() if c.socket is not None]
        await asyncio.gather(*(s.close(code) for s in sinks), return_exceptions=True)
