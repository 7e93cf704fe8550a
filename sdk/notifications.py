"""Inbound notifications: de-duplication by event id, channel gating, dispatch to handlers.

Every notification, from the websocket or handed in by the app (Link ``notification.process``),
goes through :meth:`NotificationRouter.process`. Ids are remembered in a bounded FIFO of
``notifications.idCacheLength`` entries (0 disables de-duplication); a repeated id is dropped.
Handlers are registered per notification kind by the namespaces (the kind is the top-level key
for CPaaS, ``eventType`` for Link; the product's ``identify`` function says which).

Accepted notifications are handled one at a time, in arrival order, by one worker task: a call's
``ringing`` is never applied before its invitation. Handlers must not wait for a later
notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .logger import Logger

Handler = Callable[[dict[str, Any], str], Awaitable[None] | None]
# (frame) -> (kind, id) ; kind None = not a notification this product understands
Identify = Callable[[dict[str, Any]], tuple[str | None, str | None]]

WEBSOCKET = "WEBSOCKET"
PUSH = "PUSH"
# What happened to a notification
ACCEPTED, DUPLICATE, DISABLED, FILTERED, UNKNOWN = "accepted", "duplicate", "disabled", "filtered", "unknown"
OUTCOME_HISTORY = 500


@dataclass(frozen=True)
class Outcome:
    outcome: str  # accepted | duplicate | disabled (channel off) | filtered (configuration) | unknown (shape)
    kind: str | None
    event_id: str | None
    channel: str


class IdCache:
    """Remembers the last ``capacity`` ids."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(0, int(capacity))
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str | None) -> bool:
        """Record ``event_id``; True if it was already there."""
        if self.capacity == 0:
            return False
        key = str(event_id)
        if key in self._ids:
            return True
        self._ids[key] = None
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return False

    def resize(self, capacity: int) -> None:
        self.capacity = max(0, int(capacity))
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)


class NotificationRouter:
    def __init__(self, identify: Identify, log: Logger, *, id_cache_length: int = 100,
                 emit: Callable[[str, dict[str, Any]], None],
                 received_event: str | None = "notification:received") -> None:
        self._identify = identify
        self._log = log
        self._emit = emit
        self._queue: asyncio.Queue[tuple[str, dict[str, Any], str]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._received_event = received_event
        self.ids = IdCache(id_cache_length)
        self._handlers: dict[str, list[Handler]] = {}
        # Channel gates: the Link notes say WEBSOCKET starts disabled until a socket opens and
        # PUSH starts enabled; CPaaS clients enable WEBSOCKET when their channel opens.
        self.enabled = {WEBSOCKET: False, PUSH: True}
        self.filters: list[Callable[[str | None, dict[str, Any], str], bool]] = []
        self.dropped = 0
        self.duplicates = 0
        # Told when a handler fails on an accepted notification: (channel, exception).
        self.on_error: Callable[[str, BaseException], None] | None = None
        # What became of the latest notifications, and who wants to know (tests, load metrics).
        self.outcomes: deque[Outcome] = deque(maxlen=OUTCOME_HISTORY)
        self.observers: list[Callable[[Outcome], None]] = []

    def _outcome(self, outcome: str, kind: str | None, event_id: str | None, channel: str) -> bool:
        record = Outcome(outcome, kind, event_id, channel)
        self.outcomes.append(record)
        for observer in list(self.observers):
            observer(record)
        return outcome == ACCEPTED

    def on(self, kind: str, handler: Handler) -> None:
        self._handlers.setdefault(kind, []).append(handler)

    def process(self, frame: dict[str, Any], channel: str = WEBSOCKET) -> bool:
        """Process one notification; returns True when it was accepted (not gated or repeated)."""
        return self.receive(frame, channel)

    def set_enabled(self, channel: str, enabled: bool) -> bool:
        """Open or close a channel's gate; True when that changed it."""
        changed = self.enabled.get(channel) != enabled
        self.enabled[channel] = enabled
        return changed

    def receive(self, frame: dict[str, Any], channel: str) -> bool:
        """What ``process`` does, without a product's checks of app-supplied input (socket frames)."""
        channel = channel.upper()
        kind, event_id = self._identify(frame)
        if not self.enabled.get(channel, False):
            self.dropped += 1
            self._log.debug(f"notification ignored: channel {channel} disabled")
            return self._outcome(DISABLED, kind, event_id, channel)
        if kind is None:
            self._log.warn(f"notification of unknown shape ignored: {str(frame)[:120]}")
            self.dropped += 1
            return self._outcome(UNKNOWN, kind, event_id, channel)
        for allow in self.filters:
            if not allow(kind, frame, channel):
                self.dropped += 1
                self._log.debug(f"notification {kind} ignored on channel {channel} by configuration")
                return self._outcome(FILTERED, kind, event_id, channel)
        if self.ids.seen(event_id):
            self.duplicates += 1
            self._log.debug(f"duplicate notification {event_id} dropped")
            return self._outcome(DUPLICATE, kind, event_id, channel)
        self._outcome(ACCEPTED, kind, event_id, channel)
        if self._received_event:
            self._emit(self._received_event, {"payload": frame, "channel": channel})
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="notifications")
        self._queue.put_nowait((kind, frame, channel))
        return True

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            kind, frame, channel = await self._queue.get()
            try:
                await self._handle(kind, frame, channel)
            finally:
                self._queue.task_done()

    async def _handle(self, kind: str, frame: dict[str, Any], channel: str) -> None:
        handlers = self._handlers.get(kind, [])
        if not handlers:
            self._log.debug(f"no handler for notification kind {kind}")
        for handler in handlers:
            try:
                result = handler(frame, channel)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._log.error(f"handler for {kind} notification raised {type(exc).__name__}: {exc}")
                if self.on_error is not None:
                    self.on_error(channel, exc)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every accepted notification has been handled (tests, teardown)."""
        if self._queue is not None:
            await asyncio.wait_for(self._queue.join(), timeout)

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
        self._worker = None
        self._queue = None
