"""The harness's one wait primitive: bounded waits until a condition holds, woken by changes.

Whatever the harness watches (an actor's events, a router's notification outcomes, rendered media)
owns a :class:`Changes` and calls :meth:`Changes.changed` whenever it changes; a wait re-checks its
condition on each change, under an :class:`asyncio.Condition`, until the condition gives a value or
the time is up. A failed wait says what was expected, in the scenario's words, before the evidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A bounded wait ran out of time: the message names the expectation, then the evidence."""


class Changes:
    """Something on the event loop that changes, and waits until a condition on it holds."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()
        self._waiting = 0
        self._wakers: set[asyncio.Task[None]] = set()

    def changed(self) -> None:
        """Wake the waits (called by synchronous code on the loop, e.g. an event listener)."""
        if not self._waiting:
            return
        waker = asyncio.get_running_loop().create_task(self._notify())
        self._wakers.add(waker)
        waker.add_done_callback(self._wakers.discard)

    async def _notify(self) -> None:
        async with self._condition:
            self._condition.notify_all()

    async def until(self, check: Callable[[], T | None], *, timeout: float, expected: str,
                    evidence: Callable[[], str] = lambda: "") -> T:
        """The first non-None value of ``check()``, checked now and after each change.

        Raises :class:`WaitTimeout` ("<expected> within <timeout> s; <evidence>") when none came.
        """
        found: T | None = None

        def holds() -> bool:
            nonlocal found
            found = check()
            return found is not None

        self._waiting += 1
        try:
            async with asyncio.timeout(timeout), self._condition:
                await self._condition.wait_for(holds)
        except TimeoutError:
            seen = evidence()
            raise WaitTimeout(f"expected {expected} within {timeout:g} s" + (f"; {seen}" if seen else "")) from None
        finally:
            self._waiting -= 1
        assert found is not None
        return found

    async def holds_for(self, check: Callable[[], T | None], *, seconds: float) -> T | None:
        """The first non-None value of ``check()`` within ``seconds``, or None when there was none:
        the wait of a negative check ("... receives no ... within N seconds")."""
        try:
            return await self.until(check, timeout=seconds, expected="")
        except WaitTimeout:
            return None
