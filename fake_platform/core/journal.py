"""The request and frame journal (WireMock's idea): what the platform received and sent.

A bounded ring: the oldest entries fall off after ``capacity``. Recording is meant to cost little
when nobody reads the journal (every keepalive and every fanned-out notification is recorded):
an entry is a plain tuple of what the caller had at hand, JSON text is kept as the text that went
over the wire and parsed only when the entry is read, and a tuple of plain values is one the cycle
collector stops tracking. Tests read it through the control plane
(``GET /_platform/journal``) or ``Platform.journal``; failing BDD steps attach an excerpt.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

MAX_BODY = 4096


class JournalEntry(NamedTuple):
    seq: int
    at: int  # wall-clock milliseconds
    mono: float  # platform loop clock (seconds): follows virtual time in tests
    kind: str  # http | ws-open | ws-in | ws-out | ws-close | ws-refused | fault | push
    user: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    channel: str | None = None
    body: Any = None  # as recorded: JSON text (str or bytes) is parsed when the entry is read
    duration_ms: float | None = None
    detail: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        entry = {k: v for k, v in zip(self._fields, self, strict=True) if v not in (None, {}, "")}
        entry["mono"] = round(self.mono, 6)
        if "body" in entry:
            entry["body"] = readable(entry["body"])
        return entry


_OPTIONAL = frozenset(JournalEntry._fields[4:])


def readable(body: Any) -> Any:
    """A recorded body as the journal shows it: JSON text parsed, other long text cut to MAX_BODY."""
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str):
        return body
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, cut short, or nested too deep to show parsed
        pass
    if len(body) > MAX_BODY:
        return body[:MAX_BODY] + f"... ({len(body)} chars)"
    return body


ENTRY_COST = 200  # bytes an entry costs besides its body (the tuple, its numbers and strings)
OBJECT_BODY_COST = 512  # a body kept as an object (the platform's own frames), not measured


class Journal:
    """Bounded twice: at most ``capacity`` entries and about ``max_bytes`` in all, oldest out first;
    a text body is kept to its first ``max_body`` characters (the journal's copy of a 25 MB post is
    4 KB), so nothing a client sends can grow it beyond the bound."""

    def __init__(self, wall_ms: Callable[[], int], monotonic: Callable[[], float], capacity: int = 20000, *,
                 max_body: int = MAX_BODY, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._wall_ms = wall_ms
        self._monotonic = monotonic
        self.max_body = max_body
        self.max_bytes = max_bytes
        # Rings of ``capacity``: appending to a full one drops its oldest entry.
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=capacity)
        self._costs: deque[int] = deque(maxlen=capacity)  # what each entry counts against max_bytes
        self.bytes = 0
        self._seq = itertools.count(1)
        self.enabled = True

    def record(self, kind: str, **fields: Any) -> None:
        """Append an entry of ``kind`` with any of JournalEntry's other fields; ``body`` is kept by
        reference (JSON text stays text until read)."""
        if not self.enabled:
            return
        if not _OPTIONAL.issuperset(fields):
            raise TypeError(f"journal entries have no field(s) {sorted(set(fields) - _OPTIONAL)}")
        get = fields.get
        body = get("body")
        if isinstance(body, str | bytes | bytearray):
            if len(body) > self.max_body:
                cut = body[:self.max_body]
                body = (cut.decode("utf-8", "replace") if isinstance(cut, bytes | bytearray) else cut) \
                    + f"... ({len(body)} bytes)"
            cost = ENTRY_COST + len(body)
        else:
            cost = ENTRY_COST if body is None else ENTRY_COST + OBJECT_BODY_COST
        # A plain tuple in JournalEntry's order (one of atoms is not tracked by the cycle collector).
        self._append(((next(self._seq), self._wall_ms(), self._monotonic(), kind, get("user"), get("method"),
                       get("path"), get("status"), get("channel"), body, get("duration_ms"), get("detail")), cost))

    def frame(self, kind: str, user: str | None, channel: str, body: bytes | str) -> None:
        """``record(kind, user=, channel=, body=)`` for a websocket frame, the hot path (every keepalive
        and every fanned-out notification): positional, and a frame's text is short enough to keep
        whole (a client's frames are bounded by ``max_frame_bytes``; longer ones are cut as in record)."""
        if not self.enabled:
            return
        if len(body) > self.max_body:
            self.record(kind, user=user, channel=channel, body=body)
            return
        self._append(((next(self._seq), self._wall_ms(), self._monotonic(), kind, user, None, None, None, channel,
                       body, None, None), ENTRY_COST + len(body)))

    def exchange(self, user: str | None, channel: str, received: str, sent: bytes, mono: float) -> None:
        """A keepalive and its answer, as ``frame("ws-in", ..., received)`` then ``frame("ws-out", ...,
        sent)`` would record them, in one call with one timestamp (``mono``: the caller's loop time,
        which it read for the keepalive anyway). Every answered connCheck comes here."""
        if not self.enabled:
            return
        if len(received) > self.max_body:
            self.frame("ws-in", user, channel, received)
            self.frame("ws-out", user, channel, sent)
            return
        seq_in, seq_out, at = next(self._seq), next(self._seq), self._wall_ms()
        self._append(((seq_in, at, mono, "ws-in", user, None, None, None, channel, received, None, None),
                      ENTRY_COST + len(received)),
                     ((seq_out, at, mono, "ws-out", user, None, None, None, channel, sent, None, None),
                      ENTRY_COST + len(sent)))

    def _append(self, *entries: tuple[tuple[Any, ...], int]) -> None:
        """Add each ``(entry, cost)`` at the newest end; the oldest go beyond ``capacity`` or ``max_bytes``."""
        ring, costs = self._entries, self._costs
        for entry, cost in entries:
            if len(costs) == costs.maxlen:  # full: the append drops the oldest
                if not costs:  # a capacity of 0 keeps nothing
                    return
                self.bytes -= costs[0]
            ring.append(entry)
            costs.append(cost)
            self.bytes += cost
        while self.bytes > self.max_bytes and len(costs) > 1:
            ring.popleft()
            self.bytes -= costs.popleft()

    @property
    def capacity(self) -> int:
        return self._costs.maxlen or 0

    def clear(self) -> None:
        self._entries.clear()
        self._costs.clear()
        self.bytes = 0

    def query(self, *, kind: str | Iterable[str] | None = None, user: str | None = None,
              path: str | None = None, method: str | None = None, channel: str | None = None,
              since: int = 0, limit: int | None = None) -> list[JournalEntry]:
        kinds = {kind} if isinstance(kind, str) else set(kind) if kind else None
        pattern = re.compile(path) if path else None
        entries = (JournalEntry._make(values) for values in self._entries)
        result = [
            e for e in entries
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
        return self._entries[-1][0] if self._entries else 0

    def __len__(self) -> int:
        return len(self._entries)
