"""Keeping the cycle collector off a large, long-lived heap (standalone servers under load).

With thousands of channels the platform holds around a million long-lived objects, and every full
collection of CPython's cycle collector walks them all: 0.5-1.5 s with 12,000 channels, during
which no keepalive is answered. Once the server falls behind, more objects survive, collections
come more often and the server never catches up (bench/load.py: the capacity cliff). Freezing
the heap from time to time moves what is alive into the permanent generation, which collections
skip. Reference-counted garbage is still freed at once.

What a freeze alone never frees is a reference cycle that was alive at a freeze and died later
(a call's peer connection, its tasks, an exception with its traceback): in a long soak that was
about 35 kB a call, for ever. So the frozen population is watched the way CPython watches its
oldest generation: once it has grown by ``FULL_COLLECTION_GROWTH`` since the last full collection,
the heap is thawed, collected in full and frozen again. The cost stays proportional to growth (a
platform whose heap is level pays nothing), no more often than ``FULL_COLLECTION_MIN_INTERVAL``.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

#: What the standalone server does unless told otherwise (``serve --gc-freeze``): a freeze every
#: few seconds is what keeps a platform holding 10,000+ channels level with a plain echo server
#: (bench/load.py); at 2,000 channels the collector's own work is then about 0.5 % of the server's
#: CPU (perf, bench/keepalive.py's load). In-process platforms (tests)
#: leave the collector alone: the heap is the test process's.
DEFAULT_FREEZE_EVERY = 5.0
#: Growth of the frozen population, as a share of what a full collection left, that earns the next
#: full collection (CPython's own rule for its oldest generation is 25 %).
FULL_COLLECTION_GROWTH = 0.25
#: Seconds between two full collections at least, so that a heap growing fast (thousands of
#: channels connecting) is not walked again and again while it grows.
FULL_COLLECTION_MIN_INTERVAL = 60.0


class HeapFreezer:
    """One freeze per :meth:`tick`; a full collection first when the frozen heap has grown enough."""

    def __init__(self, growth: float = FULL_COLLECTION_GROWTH,
                 min_interval: float = FULL_COLLECTION_MIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.growth = growth
        self.min_interval = min_interval
        self.clock = clock
        self.full_collections = 0
        self._level: int | None = None  # frozen objects right after the last full collection
        self._last_count = clock()  # when the frozen objects were last counted

    def tick(self) -> None:
        full = self._level is not None and self._due()
        if full:
            gc.unfreeze()
            gc.collect()  # frees the cycles that died after they were frozen
            self.full_collections += 1
        else:
            gc.collect(1)  # young cyclic garbage goes first, so that little of it is frozen
        gc.freeze()
        if full or self._level is None:
            self._level = gc.get_freeze_count()
            self._last_count = self.clock()

    def _due(self) -> bool:
        """Whether the frozen heap has grown enough, asked at most once per ``min_interval``: CPython
        3.11 counts the frozen objects by walking them all (a million with 12,000 channels, out of
        the caches); asked at every tick, that walk was 2 % of a server's CPU at 2,000 channels."""
        assert self._level is not None
        if self.clock() - self._last_count < self.min_interval:
            return False
        self._last_count = self.clock()
        return gc.get_freeze_count() > self._level * (1 + self.growth)


async def freeze_heap_every(seconds: float, freezer: HeapFreezer | None = None) -> None:
    """Run ``freezer`` (a default :class:`HeapFreezer`) every ``seconds``, until cancelled."""
    freezer = freezer or HeapFreezer()
    while True:
        await asyncio.sleep(seconds)
        freezer.tick()
