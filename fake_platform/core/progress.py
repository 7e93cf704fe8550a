"""The platform's protocol timings, in one place, and how its transitions progress.

A real platform takes time between a request and what follows from it: the far end hears of a
call a little after the caller's response, an IVR answers after its greeting, an unanswered call
ends after two minutes. Every such delay is a named field of :class:`Timings`, and every
transition waits through :class:`Progress`, in one of three progressions (moto's state manager
idea):

* ``timed`` (the default): each transition waits its timing;
* ``immediate``: every transition happens on the next loop turn (fast tests that do not care);
* ``manual``: transitions wait until a test releases them (``platform.advance(name)`` or
  ``POST /_platform/progress``), to step through a call deterministically.

Timings run on the loop clock, so virtual-time tests do not wait for them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Progression(StrEnum):
    TIMED = "timed"
    IMMEDIATE = "immediate"
    MANUAL = "manual"


@dataclass
class Timings:
    """Seconds. The relay delays exist because the official SDKs mishandle a far-end reply that
    overtakes their own request's response (docs/decisions.md); a browser reads a response through
    more hops than a websocket message (measured up to ~90 ms under load), hence the longer one."""

    relay_delay: float = 0.05  # a new call, a re-offer or an SMS receipt reaches the far end
    browser_relay_delay: float = 0.25  # the same for requests from a browser app (Origin header)
    link_caller_settle: float = 0.2  # longest wait for a Link / CallMe caller to know its session
    reject_delay: float = 0.2  # reject@ rings this long, then declines
    ivr_answer_delay: float = 2.0  # ivr@ plays early media this long, then answers
    no_answer_timeout: float = 120.0  # noanswer@ rings this long, then the platform ends the call

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]


class Pending:
    """A transition scheduled through :class:`Progress`; ``cancel()`` withdraws it."""

    def __init__(self, progress: Progress, name: str, action: Callable[[], Any]) -> None:
        self._progress = progress
        self.name = name
        self._action = action
        self._handle: asyncio.Handle | None = None
        self.done = False

    def fire(self) -> None:
        if not self.done:
            self.done = True
            self._progress._forget(self)
            self._action()

    def cancel(self) -> None:
        self.done = True
        if self._handle is not None:
            self._handle.cancel()
        self._progress._forget(self)


class Progress:
    def __init__(self, timings: Timings, progression: Progression = Progression.TIMED) -> None:
        self.timings = timings
        self.progression = Progression(progression)
        self._pending: list[Pending] = []

    def delay(self, name: str) -> float:
        return float(getattr(self.timings, name))

    def later(self, name: str, action: Callable[[], Any], *, seconds: float | None = None) -> Pending:
        """Run ``action`` after the timing ``name`` (or ``seconds`` given by the caller)."""
        pending = Pending(self, name, action)
        self._pending.append(pending)
        if self.progression != Progression.MANUAL:  # manual: it waits for advance()
            wait = self.delay(name) if seconds is None else seconds
            loop = asyncio.get_running_loop()
            immediate = self.progression == Progression.IMMEDIATE or wait <= 0
            pending._handle = loop.call_soon(pending.fire) if immediate else loop.call_later(wait, pending.fire)
        return pending

    async def wait(self, name: str) -> None:
        """Wait for the timing ``name`` (a step inside a running flow, such as an endpoint's)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        def release() -> None:
            if not done.done():
                done.set_result(None)

        pending = self.later(name, release)
        try:
            await done
        finally:
            pending.cancel()  # withdraws it when the flow was cancelled; harmless once fired

    def advance(self, name: str | None = None) -> int:
        """Release the pending transitions named ``name`` (all when None), oldest first."""
        chosen = [p for p in self._pending if name is None or p.name == name]
        for pending in chosen:
            if pending._handle is not None:
                pending._handle.cancel()
            pending.fire()
        return len(chosen)

    def pending(self) -> list[str]:
        return [p.name for p in self._pending if not p.done]

    def _forget(self, pending: Pending) -> None:
        if pending in self._pending:
            self._pending.remove(pending)

    def cancel_all(self) -> None:
        for pending in list(self._pending):
            pending.cancel()
