"""The request and frame journal (WireMock's idea): what the platform received and sent.

A bounded ring: the oldest entries fall off after ``capacity``. Recording is meant to cost little
when nobody reads the journal (every keepalive and every fanned-out notification is recorded):
an entry is written into slots of preallocated columns (no object made per entry), JSON text is
kept as the text that went over the wire and parsed only when the entry is read. Tests read it
through the control plane (``GET /_platform/journal``) or ``Platform.journal``; failing BDD steps
attach an excerpt.
"""

from __future__ import annotations

import contextlib
import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
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


ENTRY_COST = 200  # bytes an entry costs besides its body (its slots in the ring, its strings)
OBJECT_BODY_COST = 512  # a body kept as an object (the platform's own frames), not measured


class Journal:
    """Bounded twice: at most ``capacity`` entries and about ``max_bytes`` in all, oldest out first;
    a text body is kept to its first ``max_body`` characters (the journal's copy of a 25 MB post is
    4 KB), so nothing a client sends can grow it beyond the bound.

    The ring is a set of columns of ``capacity`` slots each, written in place: numbers (wall and
    loop time, cost) in arrays of machine values, the rest as references (a kind, a user and a
    channel are shared strings; a frame's body is its text). Recording an entry allocates nothing
    and leaves nothing for the allocator or the cycle collector to visit when it falls off: with
    thousands of channels, entries written seconds ago are out of the CPU's caches, and freeing a
    tuple and its numbers cost a keepalive more than writing it did (bench/keepalive.py). An
    entry's seq is its position in the order of writing; an entry becomes a JournalEntry only when
    read."""

    def __init__(self, wall_ms: Callable[[], int], monotonic: Callable[[], float], capacity: int = 20000, *,
                 max_body: int = MAX_BODY, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._wall_ms = wall_ms
        self._monotonic = monotonic
        self.max_body = max_body
        self.max_bytes = max_bytes
        self._size = capacity
        self._at = array("q", bytes(8 * capacity))
        self._mono = array("d", bytes(8 * capacity))
        self._cost = array("q", bytes(8 * capacity))  # what each entry counts against max_bytes
        self._kind: list[str | None] = [None] * capacity
        self._user: list[str | None] = [None] * capacity
        self._channel: list[str | None] = [None] * capacity
        self._body: list[Any] = [None] * capacity
        # record()'s method, path, status, duration_ms and detail, when it has any
        self._rest: list[tuple[Any, ...] | None] = [None] * capacity
        self._written = 0  # entries ever written: the seq of the newest
        self._dropped = 0  # entries ever dropped: the kept ones are seqs _dropped + 1 .. _written
        self.bytes = 0
        self.enabled = True
        self._held: tuple[int, float] | None = None  # (at, mono) every frame takes (same_time)

    def record(self, kind: str, *, started: float | None = None, **fields: Any) -> None:
        """Append an entry of ``kind`` with any of JournalEntry's other fields; ``body`` is kept by
        reference (JSON text stays text until read). ``started``: when the exchange began, on this
        journal's monotonic clock; ``duration_ms`` is then measured to the entry's own stamp, so that
        ``mono - duration_ms`` is exactly the start (the dashboard's ladders draw requests there)."""
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
        mono = self._monotonic()
        duration_ms = get("duration_ms") if started is None else round((mono - started) * 1000, 3)
        rest = (get("method"), get("path"), get("status"), duration_ms, get("detail"))
        self._write(self._wall_ms(), mono, kind, get("user"), get("channel"), body,
                    rest if any(v is not None for v in rest) else None, cost)

    def frame(self, kind: str, user: str | None, channel: str, body: bytes | str) -> None:
        """``record(kind, user=, channel=, body=)`` for a websocket frame, the hot path (every keepalive
        and every fanned-out notification): positional, and a frame's text is short enough to keep
        whole (a client's frames are bounded by ``max_frame_bytes``; longer ones are cut as in record)."""
        if not self.enabled:
            return
        if len(body) > self.max_body:
            self.record(kind, user=user, channel=channel, body=body)
            return
        if self._held is None:
            self._write(self._wall_ms(), self._monotonic(), kind, user, channel, body, None, ENTRY_COST + len(body))
        else:
            at, mono = self._held
            self._write(at, mono, kind, user, channel, body, None, ENTRY_COST + len(body))

    @contextlib.contextmanager
    def same_time(self) -> Iterator[None]:
        """The frames journaled inside take one timestamp, read once on entry: a group message's
        frames, written to every member's socket in one go, without two clock reads each."""
        outer = self._held
        self._held = (self._wall_ms(), self._monotonic())
        try:
            yield
        finally:
            self._held = outer

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
        at = self._wall_ms()
        self._write(at, mono, "ws-in", user, channel, received, None, ENTRY_COST + len(received))
        self._write(at, mono, "ws-out", user, channel, sent, None, ENTRY_COST + len(sent))

    def _write(self, at: int, mono: float, kind: str, user: str | None, channel: str | None, body: Any,
               rest: tuple[Any, ...] | None, cost: int) -> None:
        """Write the next entry into its slot, over the oldest when the ring is full."""
        size = self._size
        if not size:  # a capacity of 0 keeps nothing
            self._written = self._dropped = self._written + 1
            return
        slot = self._written % size
        if self._written - self._dropped == size:  # full: this slot holds the oldest
            self.bytes -= self._cost[slot]
            self._dropped += 1
        self._at[slot] = at
        self._mono[slot] = mono
        self._kind[slot] = kind
        self._user[slot] = user
        self._channel[slot] = channel
        self._body[slot] = body
        self._rest[slot] = rest
        self._cost[slot] = cost
        self.bytes += cost
        self._written += 1
        while self.bytes > self.max_bytes and self._written - self._dropped > 1:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        slot = self._dropped % self._size
        self.bytes -= self._cost[slot]
        self._body[slot] = self._rest[slot] = None  # what it kept goes now, not when the slot is reused
        self._dropped += 1

    @property
    def capacity(self) -> int:
        return self._size

    def clear(self) -> None:
        while len(self):
            self._drop_oldest()
        self.bytes = 0

    def _entry(self, seq: int) -> JournalEntry:
        slot = (seq - 1) % self._size
        method, path, status, duration_ms, detail = self._rest[slot] or _NO_REST
        return JournalEntry(seq, self._at[slot], self._mono[slot], self._kind[slot] or "", self._user[slot], method,
                            path, status, self._channel[slot], self._body[slot], duration_ms, detail)

    def query(self, *, kind: str | Iterable[str] | None = None, user: str | None = None,
              path: str | None = None, method: str | None = None, channel: str | None = None,
              since: int = 0, limit: int | None = None) -> list[JournalEntry]:
        kinds = {kind} if isinstance(kind, str) else set(kind) if kind else None
        pattern = re.compile(path) if path else None
        entries = (self._entry(seq) for seq in range(max(since, self._dropped) + 1, self._written + 1))
        result = [
            e for e in entries
            if (kinds is None or e.kind in kinds)
            and (user is None or e.user == user)
            and (method is None or e.method == method.upper())
            and (channel is None or e.channel == channel)
            and (pattern is None or (e.path is not None and pattern.search(e.path)))
        ]
        return result[-limit:] if limit else result

    @property
    def last_seq(self) -> int:
        return self._written if len(self) else 0

    def __len__(self) -> int:
        return self._written - self._dropped


_NO_REST = (None, None, None, None, None)
