"""Records every event of a client from the moment it is attached (and, for a client with a
notification router, what became of each notification it got).

A wait looks at the recorded past first, then the future, but only from the recorder's *cause
mark* on: :meth:`EventRecorder.cause` moves the mark to "now" (the scenario world does it before
every step that acts), so an event that happened before its cause can no longer satisfy a check.
Until a cause is marked the whole history counts, which is what a plain async test wants.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .waiting import Changes

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
        self.changes = Changes()
        self.cause_mark = 0
        self._loop = asyncio.get_running_loop()
        client.subscribe(self._record)
        self.outcomes: list[Any] = []  # sdk.notifications.Outcome, in order
        self.outcome_mark = 0
        router = getattr(client, "notifications", None)
        if router is not None and hasattr(router, "observers"):
            router.observers.append(self._record_outcome)

    def _record(self, type_: str, params: dict[str, Any]) -> None:
        self.events.append(RecordedEvent(len(self.events), type_, params, self._loop.time()))
        self.changes.changed()

    def _record_outcome(self, outcome: Any) -> None:
        self.outcomes.append(outcome)
        self.changes.changed()

    @property
    def mark(self) -> int:
        """The index of the next event: pass it as ``since`` to look only at later events."""
        return len(self.events)

    def cause(self) -> int:
        """Something that causes events is about to happen: later checks look from here on."""
        self.cause_mark = len(self.events)
        self.outcome_mark = len(self.outcomes)
        return self.cause_mark

    def _start(self, since: int | None) -> int:
        return self.cause_mark if since is None else since

    def of(self, type_: str, predicate: Predicate | None = None, *, since: int | None = None) -> list[dict[str, Any]]:
        """The params of the matching events since ``since`` (default: the cause mark)."""
        return [e.params for e in self.events[self._start(since):]
                if e.type == type_ and (predicate is None or predicate(e.params))]

    def find(self, type_: str, predicate: Predicate | None = None, since: int | None = None) -> RecordedEvent | None:
        for event in self.events[self._start(since):]:
            if event.type == type_ and (predicate is None or predicate(event.params)):
                return event
        return None

    async def wait(self, type_: str, predicate: Predicate | None = None, *, timeout: float = 10.0,
                   since: int | None = None, expected: str | None = None) -> dict[str, Any]:
        return (await self.wait_event(type_, predicate, timeout=timeout, since=since, expected=expected)).params

    async def wait_event(self, type_: str, predicate: Predicate | None = None, *, timeout: float = 10.0,
                         since: int | None = None, expected: str | None = None) -> RecordedEvent:
        start = self._start(since)
        return await self.changes.until(
            lambda: self.find(type_, predicate, start), timeout=timeout,
            expected=expected or f"{self.name} to receive a matching '{type_}' event",
            evidence=lambda: self.evidence(type_, start))

    async def absent(self, type_: str, predicate: Predicate | None = None, *, seconds: float,
                     since: int | None = None) -> RecordedEvent | None:
        """The first matching event from ``since`` within ``seconds`` (None: there was none)."""
        start = self._start(since)
        return await self.changes.holds_for(lambda: self.find(type_, predicate, start), seconds=seconds)

    async def wait_outcome(self, predicate: Callable[[Any], bool], *, timeout: float = 10.0,
                           expected: str) -> Any:
        """The first notification outcome after the cause mark that matches ``predicate``."""
        start = self.outcome_mark
        return await self.changes.until(
            lambda: next((o for o in self.outcomes[start:] if predicate(o)), None), timeout=timeout,
            expected=expected, evidence=lambda: f"outcomes after the cause: {self.outcomes[start:][-10:]}")

    def evidence(self, type_: str, since: int) -> str:
        """What the recorder did get: the last events of that type since ``since``, and before it."""
        after = [_short(e.params) for e in self.events[since:] if e.type == type_]
        before = sum(1 for e in self.events[:since] if e.type == type_)
        where = "after the cause" if since and since == self.cause_mark else f"from event #{since} on"
        text = f"{self.name} got {len(after)} '{type_}' {where}: {after[-5:]}"
        return text + (f" ({before} before it)" if before else "")

    def summary(self) -> list[str]:
        return [f"{e.index:4d} {e.at:10.3f} {e.type} {_short(e.params)}" for e in self.events]


def _short(params: dict[str, Any]) -> str:
    text = repr({k: v for k, v in params.items() if k != "payload"})
    return text if len(text) < 200 else text[:200] + "..."
