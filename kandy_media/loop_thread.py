"""One asyncio loop in a background thread, used from synchronous code (the SDK's sync bridge,
``sdk.bridge``, and the platform's ``ThreadedPlatform`` share it).

It is gevent-aware: inside a gevent-patched process (Locust) the loop thread is a real OS thread
started with gevent's saved originals, on an un-patched selector, and a greenlet waiting for a
result yields to the hub instead of blocking it (a hub ``async_`` watcher wakes it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("threading"))


class SyncBridge:
    """Runs coroutines and SDK calls on a private event loop thread."""

    def __init__(self, name: str = "sdk-bridge",
                 loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
                 *, stepped: bool = False) -> None:
        self.name = name
        self._loop_factory = loop_factory
        # Stepped mode: the loop runs only while a run() is in progress and is held still in
        # between, so that virtual time (looptime) cannot race ahead between two test steps.
        self.stepped = stepped
        self._gate = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_ident: int | None = None
        self._start_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self.start()
        assert self._loop is not None
        return self._loop

    def start(self) -> None:
        with self._start_lock:
            if self._loop is not None and not self._loop.is_closed():
                return
            if _gevent_patched():
                from gevent import monkey

                selector_cls = monkey.get_original("selectors", "EpollSelector")
                loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop(selector_cls())
                start_thread = monkey.get_original("_thread", "start_new_thread")
                allocate = monkey.get_original("_thread", "allocate_lock")
                # The default executor's threads would be gevent greenlets of a hub this thread
                # never runs: run_in_executor (getaddrinfo for host names, ...) would hang.
                loop.set_default_executor(_NativeThreadExecutor(start_thread))
            else:
                loop = (self._loop_factory or asyncio.new_event_loop)()
                import _thread

                start_thread, allocate = _thread.start_new_thread, _thread.allocate_lock
            ready = allocate()
            ready.acquire()

            def run() -> None:
                asyncio.set_event_loop(loop)
                self._thread_ident = threading.get_ident()
                loop.call_soon(ready.release)
                loop.run_forever()

            start_thread(run, ())
            ready.acquire()  # released by the loop thread once it runs
            self._loop = loop

    def stop(self, timeout: float = 10.0) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        self.stepped = False
        self._gate.set()

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)
            await loop.shutdown_asyncgens()

        try:
            self.run(shutdown(), timeout=timeout + 1)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._loop = None

    @property
    def in_loop_thread(self) -> bool:
        return threading.get_ident() == self._thread_ident

    # -- running -------------------------------------------------------------------------------
    def run(self, awaitable: Awaitable[T], timeout: float | None = DEFAULT_TIMEOUT) -> T:
        """Run an awaitable on the loop thread and return its result (or raise its error)."""
        if self.in_loop_thread:
            raise RuntimeError("SyncBridge.run() called from the loop thread; await it instead")
        loop = self.loop
        coro = self._held_after(awaitable, loop) if self.stepped else _await(awaitable)
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        self._gate.set()
        return self._wait(future, timeout)

    async def _held_after(self, awaitable: Awaitable[T], loop: asyncio.AbstractEventLoop) -> T:
        try:
            return await awaitable
        finally:
            self._gate.clear()
            # Two hops: the hold must run after the callback that hands the result to run().
            loop.call_soon(loop.call_soon, self._hold)

    def _hold(self) -> None:
        if self.stepped:
            self._gate.wait()

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = DEFAULT_TIMEOUT,
             **kwargs: Any) -> Any:
        """Call ``fn`` on the loop thread; await its result if it is awaitable."""

        async def invoke() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return self.run(invoke(), timeout=timeout)

    def _wait(self, future: concurrent.futures.Future[T], timeout: float | None) -> T:
        if _gevent_patched():
            return _wait_in_greenlet(future, timeout)
        try:
            return future.result(timeout)
        except TimeoutError:
            # concurrent.futures.TimeoutError is TimeoutError: tell a bridge timeout apart from a
            # TimeoutError raised by the coroutine itself, which must reach the caller unchanged.
            if future.done():
                raise
            future.cancel()
            raise TimeoutError(f"bridge call did not finish within {timeout} s") from None


class _NativeThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each job on a new native thread (gevent's saved original ``start_new_thread``).

    A ThreadPoolExecutor only by type (asyncio insists on one); its pool is never used.
    """

    def __init__(self, start_thread: Callable[..., Any]) -> None:
        super().__init__(max_workers=1, thread_name_prefix="sdk-bridge-native")
        self._start_thread = start_thread

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        self._start_thread(work, ())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to stop: every job has its own thread, which ends with the job."""


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _wait_in_greenlet(future: concurrent.futures.Future[T], timeout: float | None) -> T:
    """Block only the calling greenlet until the loop thread completes ``future``."""
    import gevent.event
    from gevent.hub import get_hub

    done = gevent.event.Event()
    watcher = get_hub().loop.async_()
    watcher.start(done.set)
    future.add_done_callback(lambda _f: watcher.send())  # thread-safe wake-up of the hub
    try:
        if not future.done():
            done.wait(timeout)
    finally:
        watcher.close()
    if not future.done():
        future.cancel()
        raise TimeoutError(f"bridge call did not finish within {timeout} s")
    return future.result()
