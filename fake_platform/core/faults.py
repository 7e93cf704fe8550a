"""Fault rules (WireMock / LocalStack chaos style), each bounded in time and count.

A fault is a rule: a kind from :data:`SPECS`, what it matches, its parameters, an expiry and an
optional count. Each kind is a :class:`FaultSpec`: its parameters with their types, ranges and
one default each, and the hook where it acts. Parameters are checked when the fault is added: an
unknown parameter or a value of the wrong type is refused (400 through the control plane), so a
misspelt ``{"delay": 300}`` cannot silently inject nothing. The README's fault table is generated
from the specs (``python -m fake_platform.docs``). Immediate actions (dropping sockets) are not
rules; they live on the hub.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from .errors import InvalidInput


class FaultKind(StrEnum):
    KEEPALIVE_BLACKOUT = "keepalive_blackout"
    REFUSE_UPGRADES = "refuse_upgrades"
    LATENCY = "latency"
    HTTP_ERROR = "http_error"
    DROP_NOTIFICATIONS = "drop_notifications"
    DELAY_NOTIFICATIONS = "delay_notifications"
    DUPLICATE_NOTIFICATIONS = "duplicate_notifications"
    IMPAIRMENT = "impairment"


class Hook(StrEnum):
    """Where the platform consults a fault kind."""

    HTTP = "HTTP requests of the public front doors (middleware, before the handler)"
    UPGRADE = "websocket upgrades of notification channels"
    KEEPALIVE = "keepalive answers (connAck, websocket PONG, server connCheck)"
    NOTIFY = "notifications published to channels (hub)"
    MEDIA = "media packets through the platform (TURN relay, scripted endpoints' media edge; fake_platform/network)"


@dataclass(frozen=True)
class Param:
    name: str
    types: tuple[type, ...]
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None

    def check(self, value: Any) -> Any:
        if value is None:
            return self.default
        if isinstance(value, bool) or not isinstance(value, self.types):
            raise InvalidInput("Fault parameter %1 must be %2, got %3", self.name, self.type_name, repr(value))
        in_range = not isinstance(value, int | float) or self.low is None or self.high is None \
            or self.low <= value <= self.high
        if not in_range:
            raise InvalidInput("Fault parameter %1 must be in [%2, %3], got %4", self.name, self.low, self.high, value)
        return value

    @property
    def type_name(self) -> str:
        names = {int: "an integer", float: "a number", str: "a string", dict: "a JSON object", list: "a JSON array"}
        return " or ".join(dict.fromkeys(names[t] for t in self.types))


@dataclass(frozen=True)
class FaultSpec:
    kind: FaultKind
    summary: str
    hook: Hook
    params: tuple[Param, ...] = ()
    counted: bool = True  # False: bounded by time only (a count of packets means nothing to a tester)

    def validate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter with its value or default; unknown names and bad values are refused."""
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise InvalidInput("Unknown parameters %1 for fault kind %2; it takes %3", unknown, self.kind,
                               sorted(known) or "none")
        return {p.name: p.check(given.get(p.name)) for p in self.params}


_MS = Param("ms", (int, float), 1000, "milliseconds", 0, 60_000)
_NUMBER = (int, float)
_STATUS = (400, 599)
SPECS: dict[FaultKind, FaultSpec] = {spec.kind: spec for spec in (
    FaultSpec(FaultKind.KEEPALIVE_BLACKOUT, "stop answering keepalives / connCheck pings", Hook.KEEPALIVE),
    FaultSpec(FaultKind.REFUSE_UPGRADES, "answer websocket upgrades with an error status", Hook.UPGRADE,
              (Param("status", (int,), 503, "HTTP status of the refusal", *_STATUS),)),
    FaultSpec(FaultKind.LATENCY, "delay matching HTTP responses", Hook.HTTP, (_MS,)),
    FaultSpec(FaultKind.HTTP_ERROR, "answer matching HTTP requests with an error", Hook.HTTP, (
        Param("status", (int,), 503, "HTTP status", *_STATUS),
        Param("body", (dict,), None, "exact response body (else the door's protocol error body)"),
        Param("text", (str,), "Injected failure (fault %1)", "error text (%1 is the fault id)"),
        Param("messageId", (str,), None, "CPaaS messageId of the error body"),
        Param("statusCode", (int,), None, "Link statusCode of the error body", 0, 999),
    )),
    FaultSpec(FaultKind.DROP_NOTIFICATIONS, "drop notifications to matching channels", Hook.NOTIFY),
    FaultSpec(FaultKind.DELAY_NOTIFICATIONS, "delay notifications to matching channels", Hook.NOTIFY, (_MS,)),
    FaultSpec(FaultKind.DUPLICATE_NOTIFICATIONS, "deliver notifications to matching channels twice (at-least-once "
              "delivery)", Hook.NOTIFY),
    # Media of the matching user or call (match: user, call); the model is fake_platform/network.
    FaultSpec(FaultKind.IMPAIRMENT, "impair media: a network profile and/or parameters", Hook.MEDIA, (
        Param("profile", (str,), None, "a named profile: 3G, poor 3G, 4G, poor wifi, satellite, lossy, blackout "
              "(parameters given too replace the profile's)"),
        Param("direction", (str,), "both", "the user's send, receive or both"),
        Param("loss", _NUMBER, None, "packet loss, %", 0, 100),
        Param("burst", _NUMBER, None, "mean loss burst, packets (> 1: Gilbert-Elliott)", 1, 1000),
        Param("delay", _NUMBER, None, "one-way delay, ms", 0, 10_000),
        Param("jitter", _NUMBER, None, "delay variation, +- ms", 0, 5_000),
        Param("bandwidth", _NUMBER, None, "link rate, kbit/s (0: unlimited)", 0, 10_000_000),
        Param("queue", _NUMBER, None, "longest wait in the bandwidth queue before a drop, ms (else 500)", 1, 10_000),
        Param("blackouts", (list,), None, "[[start, length], ...] seconds into the rule"),
    ), counted=False),
)}
MAX_DURATION = 3600.0
DEFAULT_DURATION = 60.0
MAX_COUNT = 1_000_000
MATCH_KEYS = ("user", "channel", "product", "method", "path", "call")
#: Checks a service adds for the kinds whose meaning it owns (beyond types and ranges): called with
#: the validated parameters, they raise InvalidInput (``FaultRegistry.checks``).
Check = Callable[[Mapping[str, Any]], None]


class _Clock(Protocol):
    def monotonic(self) -> float: ...


class _Ids(Protocol):
    def id(self, prefix: str) -> str: ...


@dataclass
class Fault:
    id: str
    kind: FaultKind
    created_at: float
    expires_at: float
    remaining: int | None = None
    match: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    def matches(self, ctx: Mapping[str, Any]) -> bool:
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
        return {"id": self.id, "kind": str(self.kind), "match": self.match, "params": self.params,
                "remaining": self.remaining, "expiresIn": round(max(0.0, self.expires_at - now), 3),
                "hits": self.hits}


def _kind(kind: Any) -> FaultKind:
    try:
        return FaultKind(kind)
    except ValueError:
        raise InvalidInput("Unknown fault kind %1; expected one of %2", kind,
                           ", ".join(sorted(k.value for k in FaultKind))) from None


class FaultRegistry:
    def __init__(self, clock: _Clock, ids: _Ids) -> None:
        self._clock = clock
        self._ids = ids
        self._faults: list[Fault] = []
        self.checks: dict[FaultKind, Check] = {}
        self.generation = 0  # changes whenever the set of live faults does
        self.next_expiry = float("inf")
        #: The kinds that have a rule (some perhaps expired, until the next check sweeps them): a hot
        #: path asks ``kind in faults.armed`` (no call) and consults the rules only when it is.
        self.armed: frozenset[FaultKind] = frozenset()

    def add(self, kind: FaultKind | str, *, duration: float | None = None, count: int | None = None,
            match: Mapping[str, Any] | None = None, **params: Any) -> Fault:
        spec = SPECS[_kind(kind)]
        checked = spec.validate(params)
        if spec.kind in self.checks:
            self.checks[spec.kind](checked)
        if count is not None and not spec.counted:
            raise InvalidInput("Fault kind %1 is bounded by its duration, not a count", spec.kind)
        if duration is None and count is None:
            duration = DEFAULT_DURATION
        if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)
                                     or not 0 < float(duration) <= MAX_DURATION):
            raise InvalidInput("Fault duration must be a number of seconds in (0, %1], got %2", MAX_DURATION,
                               repr(duration))
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_COUNT):
            raise InvalidInput("Fault count must be an integer in (0, %1], got %2", MAX_COUNT, repr(count))
        rules = {k: v for k, v in (match or {}).items() if v is not None}
        unknown = set(rules) - set(MATCH_KEYS)
        if unknown:
            raise InvalidInput("Unknown fault match keys %1; expected %2", sorted(unknown), MATCH_KEYS)
        if "path" in rules:
            try:
                re.compile(rules["path"])
            except (re.error, TypeError) as exc:
                raise InvalidInput("Invalid path pattern %1: %2", rules["path"], exc) from None
        now = self._clock.monotonic()
        fault = Fault(id=self._ids.id("fault"), kind=spec.kind, created_at=now,
                      expires_at=now + float(duration if duration is not None else MAX_DURATION),
                      remaining=count, match=rules, params=checked)
        self._faults.append(fault)
        self._changed()
        return fault

    def any(self) -> bool:
        """Whether any rule is set (hot paths skip building a match context when none is)."""
        return bool(self._faults)

    def check(self, kind: FaultKind, **ctx: Any) -> Fault | None:
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
                        self._changed()
                return fault
        return None

    def active(self, kind: FaultKind, **ctx: Any) -> bool:
        """Whether a fault of ``kind`` matches, without consuming it."""
        if not self._faults:  # every keepalive asks: keep the common case cheap
            return False
        now = self._clock.monotonic()
        self._expire(now)
        return any(f.kind == kind and f.matches(ctx) for f in self._faults)

    def live(self, kind: FaultKind, now: float) -> list[Fault]:
        """The live faults of ``kind``, oldest first."""
        self._expire(now)
        return [f for f in self._faults if f.kind == kind]

    def remove(self, fault_id: str) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        if len(self._faults) != before:
            self._changed()
            return True
        return False

    def clear(self) -> None:
        self._faults.clear()
        self._changed()

    def list(self) -> list[dict[str, Any]]:
        now = self._clock.monotonic()
        self._expire(now)
        return [f.to_dict(now) for f in self._faults]

    def _expire(self, now: float) -> None:
        if now >= self.next_expiry:
            self._faults = [f for f in self._faults if f.expires_at > now]
            self._changed()

    def _changed(self) -> None:
        self.generation += 1
        self.armed = frozenset(f.kind for f in self._faults)
        self.next_expiry = min((f.expires_at for f in self._faults), default=float("inf"))
