"""Reading what clients send: numbers in text, JSON documents.

``str.isdigit()`` is true for ``"²"`` and ``"٣"``, which ``int()`` then refuses or reads as 3: a
query value or a field checked with it either crashes the handler or means something else. Wire
numbers are ASCII digits. JSON from a client may be invalid UTF-8, nest ten thousand levels deep
(``json.loads`` then raises RecursionError, which is not a ValueError) or carry a 5,000-digit
integer: :func:`load_json` turns all of that into one ValueError.
"""

from __future__ import annotations

import json
from typing import Any


def decimal(text: str) -> int | None:
    """``text`` as a non-negative integer when it is ASCII digits only (at most 18), else None."""
    if not text or len(text) > 18 or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def load_json(raw: bytes | str, max_depth: int) -> Any:
    """JSON text (bytes: UTF-8, -16 or -32) as Python values; ValueError for anything that is not
    JSON or nests objects and arrays deeper than ``max_depth``."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    if depth_exceeds(value, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest deeper than ``limit`` in ``value`` (no recursion)."""
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
