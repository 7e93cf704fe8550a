"""Keeping the cycle collector off a large, long-lived heap (standalone servers under load).

With thousands of channels the platform holds around a million long-lived objects, and every full
collection of CPython's cycle collector walks them all: 0.5-1.5 s with 12,000 channels, during
which no keepalive is answered. Once the server falls behind, more objects survive, collections
come more often and the server never catches up (bench/load.py: the capacity cliff). Freezing
the heap from time to time moves what is alive into the permanent generation, which collections
skip. Reference-counted garbage is still freed at once; only reference cycles that were already
alive at a freeze are never reclaimed, a little memory traded for no stop-the-world pauses.
"""

from __future__ import annotations

import asyncio
import gc

#: What the standalone server does unless told otherwise (``serve --gc-freeze``): with the journal
#: recording tuples of plain values, a freeze every few seconds is what keeps a platform holding
#: 10,000+ channels level with a plain echo server (bench/load.py). In-process platforms (tests)
#: leave the collector alone: the heap is the test process's.
DEFAULT_FREEZE_EVERY = 5.0


async def freeze_heap_every(seconds: float) -> None:
    """Collect the young generations, then freeze the heap, every ``seconds`` (until cancelled)."""
    while True:
        await asyncio.sleep(seconds)
        gc.collect(1)  # young cyclic garbage goes first, so that little of it is frozen
        gc.freeze()
