"""Injectable time source for the SDK and the platform.

Timers (keepalive, missed pings, reconnect backoff, audits) use the event loop's clock, so virtual
loop time (looptime) drives them in tests; timestamps and token expiry use wall time, so freezegun
or time-machine can move them. Nothing in the SDK or the platform reads the OS clock any other way.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time


class _LoopCache(threading.local):
    loop: asyncio.AbstractEventLoop | None = None


_cache = _LoopCache()
os.register_at_fork(after_in_child=lambda: setattr(_cache, "loop", None))


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop running in this thread, or None: what ``asyncio.get_running_loop()`` says, without
    its price on every call. On CPython 3.11 each of those calls makes a ``getpid`` system call (its
    fork check), and the hot paths ask for every frame (timestamps, event delivery). The loop is
    kept per thread while it runs; a loop that stopped, or a fork, sends the next call to asyncio."""
    loop = _cache.loop
    if loop is not None and loop.is_running():
        return loop
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    _cache.loop = loop
    return loop


class Clock:
    """Monotonic time from the running loop, wall time from ``time.time``."""

    def monotonic(self) -> float:
        loop = _cache.loop
        if loop is None or not loop.is_running():  # running_loop(), inlined: every frame is stamped
            loop = running_loop()
        return time.monotonic() if loop is None else loop.time()

    def wall(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def wall_ms(self) -> int:
        """Milliseconds since the epoch (the unit of CallObject times and LogEntry timestamps)."""
        return int(time.time() * 1000)  # as wall(), without the call: every frame is stamped

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = Clock()
