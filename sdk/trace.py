"""Optional record of which documented APIs ran and which events were emitted.

Enabled by the ``KANDY_API_TRACE`` environment variable (a file path prefix): each process
writes what it saw to ``<prefix>.<suite>.<pid>.json`` at exit, where the suite is the top folder of
the pytest test that was running (``features``, ``tests``, ...; ``other`` outside pytest), so the
coverage gate can count the end-to-end scenarios alone. The conformance coverage tool
(``kandy_testing.coverage``) compares the union with spec/api-inventory.json.
"""

from __future__ import annotations

import atexit
import json
import os
import threading

_PREFIX = os.environ.get("KANDY_API_TRACE")
_seen: dict[str, set[tuple[str, str, str]]] = {}
_lock = threading.Lock()

enabled = bool(_PREFIX)


def _suite() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "")  # "features/link/test_link.py::test_x (call)"
    return current.split("/", 1)[0] if "/" in current.split("::", 1)[0] else "other"


def record(product: str, kind: str, name: str) -> None:
    """Note that ``product``'s API (kind 'api') or event (kind 'event') ``name`` was exercised."""
    if enabled:
        suite = _suite()
        with _lock:
            _seen.setdefault(suite, set()).add((product, kind, name))


def seen() -> set[tuple[str, str, str]]:
    with _lock:
        return set().union(*_seen.values())


def _dump() -> None:
    if not _PREFIX:
        return
    with _lock:
        by_suite = {suite: sorted(items) for suite, items in _seen.items()}
    os.makedirs(os.path.dirname(_PREFIX) or ".", exist_ok=True)
    for suite, items in by_suite.items():
        with open(f"{_PREFIX}.{suite}.{os.getpid()}.json", "w", encoding="utf-8") as handle:
            json.dump(items, handle)


if enabled:
    atexit.register(_dump)
