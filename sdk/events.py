"""The event emitter behind ``on`` / ``off`` / ``subscribe`` / ``unsubscribe``.

Only the product's event types are accepted (anything else throws "Invalid event type", as
documented). Listeners may be plain functions or coroutine functions. Delivery is deferred to the
next loop iteration when a loop runs (the platform SDKs emit after the state change, never inside
the API call that caused it), so ``callId = client.call.make(...)`` returns before ``call:start``
is delivered. A listener that raises is logged and does not stop the others.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from kandy_media.clock import running_loop

from . import knockout, trace
from .errors import BasicError, Codes
from .logger import Logger

Listener = Callable[..., Any]
Predicate = Callable[[dict[str, Any]], bool]


class EventEmitter:
    def __init__(self, event_types: Iterable[str], log: Logger, history: int = 500, product: str = "") -> None:
        self.event_types = frozenset(event_types)
        self.product = product
        self._log = log
        self._listeners: dict[str, list[Listener]] = {}
        self._global: list[Listener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        # Two rings rather than one of (type, payload) pairs: a pair holding a dict stays tracked by
        # the cycle collector, while a payload of plain values and a type string do not.
        self._history_types: deque[str] = deque(maxlen=history)
        self._history_payloads: deque[dict[str, Any]] = deque(maxlen=history)
        self._closed = False

    @property
    def history(self) -> list[tuple[str, dict[str, Any]]]:
        """The last events emitted, oldest first: (type, payload)."""
        return list(zip(self._history_types, self._history_payloads, strict=True))

    # -- documented API ------------------------------------------------------------------------
    def on(self, type: str, listener: Listener) -> None:
        self._check_type(type)
        self._check_listener(listener)
        self._listeners.setdefault(type, []).append(listener)

    def off(self, type: str, listener: Listener) -> None:
        self._check_type(type)
        listeners = self._listeners.get(type, [])
        if listener in listeners:
            listeners.remove(listener)

    def subscribe(self, listener: Listener) -> None:
        self._check_listener(listener)
        self._global.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._check_listener(listener)
        if listener in self._global:
            self._global.remove(listener)

    def heard(self, type: str) -> bool:
        """Whether any listener would receive a ``type`` event emitted now."""
        return bool(self._global) or bool(self._listeners.get(type))

    # -- emitting ------------------------------------------------------------------------------
    def emit(self, type: str, payload: dict[str, Any] | None = None) -> None:
        if self._closed:
            return
        if type not in self.event_types:  # an SDK bug, not a user error: make it loud
            raise BasicError(Codes.INVALID_EVENT, f"SDK tried to emit undeclared event type: {type}")
        payload = {} if payload is None else payload
        if knockout.target is not None:  # only ever set by the knockout gate
            knocked_out = knockout.event_mode(self.product, type)
            if knocked_out == knockout.DROP:
                return
            if knocked_out == knockout.EMPTY:
                payload = {}
        self._history_types.append(type)
        self._history_payloads.append(payload)
        if trace.enabled:
            trace.record(self.product, "event", type, trace.EMITTED)
            if type.endswith(":error") or payload.get("error") is not None:
                trace.note_error_event()  # the emitting flow failed
        loop = running_loop()
        if loop is None:
            self._deliver(type, payload)
        else:
            loop.call_soon(self._deliver, type, payload)

    def _deliver(self, type: str, payload: dict[str, Any]) -> None:
        if self._closed:
            return
        listeners = self._listeners.get(type)
        if listeners:
            for listener in tuple(listeners):  # a listener may remove itself
                self._invoke(listener, (payload,), type)
        if self._global:
            for listener in tuple(self._global):
                self._invoke(listener, (type, payload), type)

    def _invoke(self, listener: Listener, args: tuple[Any, ...], type: str) -> None:
        try:
            result = listener(*args)
        except Exception as exc:
            self._log.error(f"Listener for '{type}' raised {type_name(exc)}: {exc}")
            return
        if result is not None and inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(lambda t: self._task_done(t, type))

    def _task_done(self, task: asyncio.Task[Any], type: str) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self._log.error(f"Async listener for '{type}' raised {type_name(exc)}: {exc}")

    # -- Pythonic helper -----------------------------------------------------------------------
    async def wait_for(
        self,
        type: str,
        predicate: Predicate | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Wait for the next ``type`` event whose payload satisfies ``predicate``; return it."""
        self._check_type(type)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

        def listener(payload: dict[str, Any]) -> None:
            if future.done():
                return
            try:
                matched = predicate is None or predicate(payload)
            except Exception as exc:
                future.set_exception(exc)
                return
            if matched:
                future.set_result(payload)

        self.on(type, listener)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            seen = [p for t, p in self.history if t == type][-5:]
            raise TimeoutError(
                f"No matching '{type}' event within {timeout} s; last ones seen: {seen}"
            ) from None
        finally:
            self.off(type, listener)

    async def close(self) -> None:
        """Stop delivering; cancel listener tasks still running."""
        self._closed = True
        self._listeners.clear()
        self._global.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    # -- checks --------------------------------------------------------------------------------
    def _check_type(self, type: Any) -> None:
        if type not in self.event_types:
            raise BasicError(Codes.INVALID_EVENT, f"Invalid event type: {type}")

    @staticmethod
    def _check_listener(listener: Any) -> None:
        if not callable(listener):
            raise BasicError(Codes.LISTENER_NOT_FUNCTION, "Listener not a function")


def type_name(exc: BaseException | None) -> str:
    return type(exc).__name__ if exc is not None else "None"
