"""Periodic sweeps that keep a long-running platform's memory bounded.

A real platform forgets: a notification channel nobody reconnects to, a Link subscription nobody
refreshes, a call that ended, an uploaded file past its retention. Each service registers a job
(``add(name, job)``); every ``PlatformConfig.sweep_interval`` seconds of loop time the platform
runs them all with the loop clock's time (what their stamps are taken from, so virtual loop time
moves them in tests), and journals what each one removed. ``sweep()`` runs them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

Job = Callable[[float], Awaitable[int] | int]  # job(now) -> how many things it removed
log = logging.getLogger(__name__)


class Housekeeping:
    def __init__(self, clock: Any, journal: Any, interval: float) -> None:
        self._clock = clock
        self._journal = journal
        self.interval = interval
        self._jobs: list[tuple[str, Job]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, name: str, job: Job) -> None:
        self._jobs.append((name, job))

    async def sweep(self) -> dict[str, int]:
        """Run every job once; what each removed (only the jobs that removed something)."""
        now = self._clock.monotonic()
        removed = {}
        for name, job in self._jobs:
            result = job(now)
            count = await result if not isinstance(result, int) else result
            if count:
                removed[name] = count
        if removed:
            self._journal.record("housekeeping", detail={"removed": removed})
        return removed

    def start(self) -> None:
        if self._task is None and self.interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="platform-housekeeping")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
            except Exception:  # one failing job must not stop the others next time
                log.exception("housekeeping sweep failed")
