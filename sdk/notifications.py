"""Inbound notifications: de-duplication by event id, channel gating, dispatch to handlers.

Every notification, from the websocket or handed in by the app (Link ``notification.process``),
goes through :meth:`NotificationRouter.process`. Ids are remembered in a bounded FIFO of
``notifications.idCacheLength`` entries (0 disables de-duplication); a repeated id is dropped.
Handlers are registered per notification kind by the namespaces (the kind is the top-level key
for CPaaS, ``eventType`` for Link; the product's ``identify`` function says which).

Accepted notifications are handled one at a time, in arrival order: a call's ``ringing`` is never
applied before its invitation. A handler that returns nothing has done its work; one that returns
an awaitable (an ``async def`` handler, or one that needs I/O first) is awaited before anything
later is handled. While nothing is waiting, a notification is handled at once, where it arrived
(no task hop: chat fan-out to many clients is the hot path); otherwise it queues behind the wait
for one worker task. Handlers must not wait for a later notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from .logger import Logger

Handler = Callable[[dict[str, Any], str], Awaitable[None] | None]
# (frame) -> (kind, id) ; kind None = not a notification this product understands
Identify = Callable[[dict[str, Any]], tuple[str | None, str | None]]

WEBSOCKET = "WEBSOCKET"
PUSH = "PUSH"
# What happened to a notification
ACCEPTED, DUPLICATE, DISABLED, FILTERED, UNKNOWN = "accepted", "duplicate", "disabled", "filtered", "unknown"
OUTCOME_HISTORY = 500


class Outcome(NamedTuple):
    """What became of one notification."""

    outcome: str  # accepted | duplicate | disabled (channel off) | filtered (configuration) | unknown (shape)
    kind: str | None
    event_id: str | None
    channel: str


# A notification waiting for the worker: (kind, frame, channel, what to resume: an awaitable a handler
# returned and the index of the next handler, or None to start with the first handler).
_Pending = tuple[str, dict[str, Any], str, "tuple[Awaitable[Any], int] | None"]


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
                 received_event: str | None = "notification:received",
                 heard: Callable[[str], bool] | None = None) -> None:
        self._identify = identify
        self._log = log
        self._emit = emit
        self._backlog: deque[_Pending] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._received_event = received_event
        # Whether the received event has listeners: it carries every raw frame, and emitting it
        # for nobody would keep each frame alive in the event history.
        self._heard = heard
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
        # Kept as plain tuples of strings, which the cycle collector does not track.
        self._outcomes: deque[tuple[str, str | None, str | None, str]] = deque(maxlen=OUTCOME_HISTORY)
        self.observers: list[Callable[[Outcome], None]] = []

    @property
    def outcomes(self) -> list[Outcome]:
        """What became of the latest notifications, oldest first."""
        return [Outcome(*record) for record in self._outcomes]

    def _outcome(self, outcome: str, kind: str | None, event_id: str | None, channel: str) -> bool:
        self._outcomes.append((outcome, kind, event_id, channel))
        if self.observers:
            self._tell(Outcome(outcome, kind, event_id, channel))
        return outcome == ACCEPTED

    def _tell(self, record: Outcome) -> None:
        for observer in list(self.observers):
            observer(record)

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
        if channel is not WEBSOCKET:  # the socket's frames come with the constant itself
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
        # _outcome(ACCEPTED, ...), inline: every received message comes here
        self._outcomes.append((ACCEPTED, kind, event_id, channel))
        if self.observers:
            self._tell(Outcome(ACCEPTED, kind, event_id, channel))
        if self._received_event and (self._heard is None or self._heard(self._received_event)):
            self._emit(self._received_event, {"payload": frame, "channel": channel})
        if self._backlog:  # something is being awaited: keep the order
            self._enqueue((kind, frame, channel, None))
            return True
        resume = self._handle_now(kind, frame, channel, 0)
        if resume is not None:
            self._enqueue((kind, frame, channel, resume))
        return True

    def _enqueue(self, pending: _Pending) -> None:
        self._backlog.append(pending)
        self._idle.clear()
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="notifications")

    def _handle_now(self, kind: str, frame: dict[str, Any], channel: str,
                    start: int) -> tuple[Awaitable[Any], int] | None:
        """Run the handlers from ``start`` on until one returns an awaitable: (it, next index) or None."""
        handlers = self._handlers.get(kind)
        if not handlers:
            self._log.debug(f"no handler for notification kind {kind}")
            return None
        for index in range(start, len(handlers)):
            try:
                result = handlers[index](frame, channel)
            except Exception as exc:
                self._failed(kind, channel, exc)
                continue
            if result is not None and inspect.isawaitable(result):
                return result, index + 1
        return None

    async def _work(self) -> None:
        """Await what a handler started, then handle what queued behind it, in order."""
        try:
            while self._backlog:
                kind, frame, channel, resume = self._backlog[0]  # stays first (so later ones queue) until done
                try:
                    await self._finish(kind, frame, channel, resume)
                finally:
                    if self._backlog:
                        self._backlog.popleft()
        finally:
            self._worker = None
            if not self._backlog:
                self._idle.set()

    async def _finish(self, kind: str, frame: dict[str, Any], channel: str,
                      resume: tuple[Awaitable[Any], int] | None) -> None:
        if resume is None:
            resume = self._handle_now(kind, frame, channel, 0)
        while resume is not None:
            awaitable, following = resume
            try:
                await awaitable
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():  # aclose(): stop here
                    raise
                # The handler's own wait was cancelled (a task it awaited): a failure, not the end.
                self._failed(kind, channel, asyncio.CancelledError("the handler's wait was cancelled"))
            except Exception as exc:
                self._failed(kind, channel, exc)
            resume = self._handle_now(kind, frame, channel, following)

    def _failed(self, kind: str, channel: str, exc: BaseException) -> None:
        self._log.error(f"handler for {kind} notification raised {type(exc).__name__}: {exc}")
        if self.on_error is not None:
            self.on_error(channel, exc)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every accepted notification has been handled (tests, teardown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def aclose(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
        for _kind, _frame, _channel, resume in self._backlog:
            if resume is not None and inspect.iscoroutine(resume[0]):
                resume[0].close()  # never started: no "was never awaited" warning
        self._backlog.clear()
        self._idle.set()
