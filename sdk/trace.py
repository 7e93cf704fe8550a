"""Optional record of which documented APIs ran and which events were emitted.

Enabled by the ``KANDY_API_TRACE`` environment variable (a file path prefix): each process
appends what it saw to ``<prefix>.<pid>.json`` at exit. The conformance coverage tool
(``kandy_testing.coverage``) compares the union with spec/api-inventory.json.
"""

from __future__ import annotations

import atexit
import json
import os
import threading

_PREFIX = os.environ.get("KANDY_API_TRACE")
_seen: set[tuple[str, str, str]] = set()
_lock = threading.Lock()

enabled = bool(_PREFIX)


def record(product: str, kind: str, name: str) -> None:
    """Note that ``product``'s API (kind 'api') or event (kind 'event') ``name`` was exercised."""
    if enabled:
        with _lock:
            _seen.add((product, kind, name))


def seen() -> set[tuple[str, str, str]]:
    with _lock:
        return set(_seen)


def _dump() -> None:
    if not _seen or not _PREFIX:
        return
    path = f"{_PREFIX}.{os.getpid()}.json"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(sorted(_seen), handle)


if enabled:
    atexit.register(_dump)
