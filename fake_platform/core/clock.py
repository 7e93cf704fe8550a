"""The platform's clock: loop time for timers and fault windows, wall time for tokens and stamps."""

from __future__ import annotations

import asyncio
import time


class PlatformClock:
    def monotonic(self) -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def wall_ms(self) -> int:
        return int(self.wall() * 1000)
