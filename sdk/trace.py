"""Optional record of which documented APIs ran, how, and which events were emitted, per test.

Enabled by the ``KANDY_API_TRACE`` environment variable (a file path prefix). Every record names
the pytest test that was running (``PYTEST_CURRENT_TEST``) and its phase (``setup``, ``call``,
``teardown``), so the conformance tools can tell which scenario touched which API or event:

* an API call is ``ok`` (it returned; for a returned task or coroutine: it completed without
  error and without emitting an ``*:error`` event or an event carrying an ``error``, the way flows
  report failures), ``raised`` (a refusal or a failure), or ``internal`` (the SDK called its own
  documented API, e.g. ``destroy`` through ``aclose()``: not evidence that a scenario used it);
* an event is ``emitted``;
* a configuration key (kind ``config``) is ``set`` when a client's configuration gives it a value
  other than its default (on ``create`` or ``updateConfig``).

Each process writes what it saw to ``<prefix>.<suite>.<pid>.json`` at the end of its pytest
session and at exit, where the suite is the
top folder of the test (``features``, ``tests``, ...; ``other`` outside pytest)::

    {"<test node id>": {"touched": [[product, kind, name, how, phase], ...], "span": seconds}}

``span`` is the time between the test's first and last record (the knockout runner runs quick
scenarios first). ``kandy_testing.coverage`` and ``kandy_testing.knockout`` read these files.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

_PREFIX = os.environ.get("KANDY_API_TRACE")
_lock = threading.Lock()
# test node id -> its records, and the (first, last) monotonic times it recorded anything
_touched: dict[str, set[tuple[str, str, str, str, str]]] = {}
_times: dict[str, list[float]] = {}
# Tasks that reported a failure through an event (flows do, instead of raising).
_failed_tasks: weakref.WeakSet[asyncio.Future[Any]] = weakref.WeakSet()

enabled = bool(_PREFIX)

OK, RAISED, INTERNAL, EMITTED, SET = "ok", "raised", "internal", "emitted", "set"
OUTSIDE = "other"  # the test id of records made outside pytest


def current_test() -> tuple[str, str]:
    """The running pytest test's node id and phase (``("other", "")`` outside pytest)."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")  # "features/test_x.py::test_y[a] (call)"
    if not current:
        return OUTSIDE, ""
    test, _, phase = current.rpartition(" (")
    return (test, phase.rstrip(")")) if test else (current, "")


def record(product: str, kind: str, name: str, how: str = OK, test: tuple[str, str] | None = None) -> None:
    """Note that ``product``'s API (kind 'api') or event (kind 'event') ``name`` was exercised."""
    if not enabled:
        return
    node, phase = test or current_test()
    now = time.monotonic()
    with _lock:
        _touched.setdefault(node, set()).add((product, kind, name, how, phase))
        span = _times.setdefault(node, [now, now])
        span[1] = now


def note_error_event() -> None:
    """An event reporting an error is being emitted: the task emitting it failed (``observe_call``)."""
    if not enabled:
        return
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return
    if task is not None:
        _failed_tasks.add(task)


def observe_call(product: str, path: str, internal: bool, run: Callable[[], Any]) -> Any:
    """Run a documented API call and record how it went (see the module docstring)."""
    if internal:
        record(product, "api", path, INTERNAL)
        return run()
    test = current_test()
    try:
        result = run()
    except BaseException:
        record(product, "api", path, RAISED, test)
        raise
    if asyncio.iscoroutine(result):
        return _observed_coroutine(product, path, result, test)
    if isinstance(result, asyncio.Future):
        result.add_done_callback(lambda done: record(product, "api", path, _outcome(done), test))
        return result
    record(product, "api", path, OK, test)
    return result


async def _observed_coroutine(product: str, path: str, coro: Coroutine[Any, Any, Any],
                              test: tuple[str, str]) -> Any:
    try:
        value = await coro
    except BaseException:
        record(product, "api", path, RAISED, test)
        raise
    record(product, "api", path, OK, test)
    return value


def _outcome(done: Awaitable[Any]) -> str:
    assert isinstance(done, asyncio.Future)
    failed = done.cancelled() or done.exception() is not None or done in _failed_tasks
    return RAISED if failed else OK


def seen() -> set[tuple[str, str, str]]:
    """Every (product, kind, name) recorded in this process so far."""
    with _lock:
        return {(p, k, n) for records in _touched.values() for p, k, n, _how, _phase in records}


def snapshot() -> dict[str, dict[str, Any]]:
    """What this process recorded, by test (the dump's format)."""
    with _lock:
        return {test: {"touched": sorted(records), "span": round(_times[test][1] - _times[test][0], 3)}
                for test, records in _touched.items()}


def _suite(test: str) -> str:
    head = test.split("::", 1)[0]
    return head.split("/", 1)[0] if "/" in head else OUTSIDE


def dump() -> None:
    """Write this process's records (again: each call rewrites the same files with all of them).

    The pytest plugin calls it when a session finishes, because an xdist worker can be ended
    before its ``atexit`` handlers run; ``atexit`` stays for processes outside pytest."""
    if not _PREFIX:
        return
    by_suite: dict[str, dict[str, Any]] = {}
    for test, data in snapshot().items():
        by_suite.setdefault(_suite(test), {})[test] = data
    os.makedirs(os.path.dirname(_PREFIX) or ".", exist_ok=True)
    for suite, tests in by_suite.items():
        with open(f"{_PREFIX}.{suite}.{os.getpid()}.json", "w", encoding="utf-8") as handle:
            json.dump(tests, handle)


if enabled:
    atexit.register(dump)
