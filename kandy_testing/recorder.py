"""Records every event of a client from the moment it is attached, so a test can wait for an event
that may already have happened (``wait`` looks at the past first, then the future)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class RecordedEvent:
    index: int
    type: str
    params: dict[str, Any]
    at: float  # loop time


class EventRecorder:
    def __init__(self, client: Any, name: str = "") -> None:
        self.name = name or getattr(client, "product", "client")
        self.events: list[RecordedEvent] = []
        self._changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        client.subscribe(self._record)

    def _record(self, type_: str, params: dict[str, Any]) -> None:
        self.events.append(RecordedEvent(len(self.events), type_, params, self._loop.time()))
        self._changed.set()

    def of(self, type_: str, predicate: Predicate | None = None) -> list[dict[str, Any]]:
        return [e.params for e in self.events if e.type == type_ and (predicate is None or predicate(e.params))]

    def find(self, type_: str, predicate: Predicate | None = None, since: int = 0) -> RecordedEvent | None:
        for event in self.events[since:]:
            if event.type == type_ and (predicate is None or predicate(event.params)):
                return event
        return None

    @property
    def mark(self) -> int:
        """The index of the next event: pass it as ``since`` to wait only for later events."""
        return len(self.events)

    async def wait(self, type_: str, predicate: Predicate | None = None, *, timeout: float = 10.0,
                   since: int = 0) -> dict[str, Any]:
        return (await self.wait_event(type_, predicate, timeout=timeout, since=since)).params

    async def wait_event(self, type_: str, predicate: Predicate | None = None, *, timeout: float = 10.0,
                         since: int = 0) -> RecordedEvent:
        deadline = self._loop.time() + timeout
        while True:
            found = self.find(type_, predicate, since)
            if found is not None:
                return found
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                seen = [(e.type, e.params) for e in self.events if e.type == type_][-5:]
                raise TimeoutError(f"{self.name}: no matching '{type_}' event within {timeout} s; seen: {seen}")
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                continue

    def summary(self) -> list[str]:
        return [f"{e.index:4d} {e.at:10.3f} {e.type} {_short(e.params)}" for e in self.events]


def _short(params: dict[str, Any]) -> str:
    text = repr({k: v for k, v in params.items() if k != "payload"})
    return text if len(text) < 200 else text[:200] + "..."
