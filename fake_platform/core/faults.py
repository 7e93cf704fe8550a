"""Fault rules (WireMock / LocalStack chaos style), each bounded in time and count.

A fault is a record: a kind from a closed set, what it matches, its parameters, an expiry and an
optional count. The front doors consult it at one hook each (HTTP middleware, websocket handler,
hub writer). Immediate actions (dropping sockets) are not rules; they live on the hub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInput

KINDS = {
    "keepalive_blackout": "stop answering keepalives / connCheck pings",
    "refuse_upgrades": "answer websocket upgrades with an error status",
    "latency": "delay matching HTTP responses by `ms`",
    "http_error": "answer matching HTTP requests with `status` (and a protocol error body)",
    "drop_notifications": "drop notifications to matching channels",
    "delay_notifications": "delay notifications to matching channels by `ms`",
}
MAX_DURATION = 3600.0
DEFAULT_DURATION = 60.0
MAX_COUNT = 1_000_000
MATCH_KEYS = ("user", "channel", "product", "method", "path")


@dataclass
class Fault:
    id: str
    kind: str
    created_at: float
    expires_at: float
    remaining: int | None = None
    match: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    def matches(self, ctx: dict[str, Any]) -> bool:
        for key, expected in self.match.items():
            actual = ctx.get(key)
            if key == "path":
                if actual is None or not re.search(expected, actual):
                    return False
            elif key == "method":
                if actual is None or actual.upper() != str(expected).upper():
                    return False
            elif actual != expected:
                return False
        return True

    def to_dict(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "match": self.match, "params": self.params,
                "remaining": self.remaining, "expiresIn": round(max(0.0, self.expires_at - now), 3),
                "hits": self.hits}


class FaultRegistry:
    def __init__(self, clock: Any, ids: Any) -> None:
        self._clock = clock
        self._ids = ids
        self._faults: list[Fault] = []

    def add(self, kind: str, *, duration: float | None = None, count: int | None = None,
            match: dict[str, Any] | None = None, **params: Any) -> Fault:
        if kind not in KINDS:
            raise InvalidInput("Unknown fault kind %1; expected one of %2", kind, ", ".join(sorted(KINDS)))
        if duration is None and count is None:
            duration = DEFAULT_DURATION
        if duration is not None and not (0 < float(duration) <= MAX_DURATION):
            raise InvalidInput("Fault duration must be in (0, %1] seconds, got %2", MAX_DURATION, duration)
        if count is not None and not (0 < int(count) <= MAX_COUNT):
            raise InvalidInput("Fault count must be in (0, %1], got %2", MAX_COUNT, count)
        match = {k: v for k, v in (match or {}).items() if v is not None}
        unknown = set(match) - set(MATCH_KEYS)
        if unknown:
            raise InvalidInput("Unknown fault match keys %1; expected %2", sorted(unknown), MATCH_KEYS)
        if "path" in match:
            try:
                re.compile(match["path"])
            except re.error as exc:
                raise InvalidInput("Invalid path pattern %1: %2", match["path"], exc) from None
        now = self._clock.monotonic()
        fault = Fault(id=self._ids.id("fault"), kind=kind, created_at=now,
                      expires_at=now + float(duration if duration is not None else MAX_DURATION),
                      remaining=None if count is None else int(count), match=match, params=params)
        self._faults.append(fault)
        return fault

    def check(self, kind: str, **ctx: Any) -> Fault | None:
        """The first live fault of ``kind`` matching ``ctx``; consumes one of its count."""
        if not self._faults:
            return None
        now = self._clock.monotonic()
        self._expire(now)
        for fault in self._faults:
            if fault.kind == kind and fault.matches(ctx):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def active(self, kind: str, **ctx: Any) -> bool:
        """Whether a fault of ``kind`` matches, without consuming it."""
        if not self._faults:  # every keepalive asks: keep the common case cheap
            return False
        now = self._clock.monotonic()
        self._expire(now)
        return any(f.kind == kind and f.matches(ctx) for f in self._faults)

    def remove(self, fault_id: str) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        now = self._clock.monotonic()
        self._expire(now)
        return [f.to_dict(now) for f in self._faults]

    def _expire(self, now: float) -> None:
        self._faults = [f for f in self._faults if f.expires_at > now]
