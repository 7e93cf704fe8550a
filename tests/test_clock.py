"""The shared clock follows the loop that runs now, in this thread, without asking asyncio each time."""

from __future__ import annotations

import asyncio
import threading
import time

from kandy_media.clock import Clock, running_loop


def test_the_running_loop_is_the_one_running_now_in_this_thread() -> None:
    assert running_loop() is None

    async def which() -> asyncio.AbstractEventLoop | None:
        return running_loop()

    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert first.run_until_complete(which()) is first
        assert running_loop() is None  # stopped: not kept
        assert second.run_until_complete(which()) is second  # a later loop in the same thread

        seen: list[asyncio.AbstractEventLoop | None] = []
        other = threading.Thread(target=lambda: seen.append(asyncio.run(which())))

        async def beside() -> asyncio.AbstractEventLoop | None:
            other.start()  # another thread's loop runs while this one does
            await asyncio.to_thread(other.join, 10)
            return running_loop()

        assert first.run_until_complete(beside()) is first
        assert seen and seen[0] not in (None, first)
    finally:
        first.close()
        second.close()


def test_monotonic_time_is_the_running_loop_s_and_the_system_s_outside_one() -> None:
    clock = Clock()

    class Shifted(asyncio.SelectorEventLoop):  # a loop with time of its own, as virtual time does
        def time(self) -> float:
            return 1000.0 + super().time()

    async def now() -> float:
        return clock.monotonic()

    loop = Shifted()
    try:
        inside = loop.run_until_complete(now())
    finally:
        loop.close()
    assert inside >= 1000.0 + time.monotonic() - 5
    assert abs(clock.monotonic() - time.monotonic()) < 1  # no loop: the system's
