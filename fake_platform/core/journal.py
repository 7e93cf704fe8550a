"""The request and frame journal (WireMock's idea): what the platform received and sent.

Bounded: the oldest entries fall off after ``capacity``. Tests read it through the control plane
(``GET /_platform/journal``) or ``Platform.journal``; failing BDD steps attach an excerpt.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_BODY = 4096


@dataclass
class JournalEntry:
    seq: int
    at: int  # wall-clock milliseconds
    mono: float  # platform loop clock (seconds): follows virtual time in tests
    kind: str  # http | ws-open | ws-in | ws-out | ws-close | ws-refused | fault | push
    user: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    channel: str | None = None
    body: Any = None
    duration_ms: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {}, "")}


def _trim(body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and len(body) > MAX_BODY:
        return body[:MAX_BODY] + f"... ({len(body)} chars)"
    return body


class Journal:
    def __init__(self, wall_ms: Any, monotonic: Any, capacity: int = 20000) -> None:
        self._wall_ms = wall_ms
        self._monotonic = monotonic
        self.capacity = capacity
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._seq = itertools.count(1)
        self.enabled = True

    def record(self, kind: str, **fields: Any) -> JournalEntry | None:
        if not self.enabled:
            return None
        if "body" in fields:
            fields["body"] = _trim(fields["body"])
        entry = JournalEntry(seq=next(self._seq), at=self._wall_ms(), mono=round(self._monotonic(), 6), kind=kind,
                             **fields)
        self._entries.append(entry)
        return entry

    def clear(self) -> None:
        self._entries.clear()

    def query(self, *, kind: str | Iterable[str] | None = None, user: str | None = None,
              path: str | None = None, method: str | None = None, channel: str | None = None,
              since: int = 0, limit: int | None = None) -> list[JournalEntry]:
        kinds = {kind} if isinstance(kind, str) else set(kind) if kind else None
        pattern = re.compile(path) if path else None
        result = [
            e for e in self._entries
            if e.seq > since
            and (kinds is None or e.kind in kinds)
            and (user is None or e.user == user)
            and (method is None or e.method == method.upper())
            and (channel is None or e.channel == channel)
            and (pattern is None or (e.path is not None and pattern.search(e.path)))
        ]
        return result[-limit:] if limit else result

    @property
    def last_seq(self) -> int:
        return self._entries[-1].seq if self._entries else 0

    def __len__(self) -> int:
        return len(self._entries)
