"""Injectable time source for the SDK and the platform.

Timers (keepalive, missed pings, reconnect backoff, audits) use the event loop's clock, so virtual
loop time (looptime) drives them in tests; timestamps and token expiry use wall time, so freezegun
or time-machine can move them. Nothing in the SDK or the platform reads the OS clock any other way.
"""

from __future__ import annotations

import asyncio
import time


class Clock:
    """Monotonic time from the running loop, wall time from ``time.time``."""

    def monotonic(self) -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()

    def wall(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def wall_ms(self) -> int:
        """Milliseconds since the epoch (the unit of CallObject times and LogEntry timestamps)."""
        return int(self.wall() * 1000)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = Clock()
