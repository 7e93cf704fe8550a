"""Network impairment of media packets: loss (random or bursty), delay, jitter, bandwidth, blackouts.

An :class:`Impairment` is the description (what a fault rule or a named profile carries); a
:class:`Shaper` applies one to a stream of packets in one direction and keeps that stream's
state. ``Shaper.admit(size, now)`` answers when the packet leaves (a loop time), or None when it is
lost. The model, in the order a packet meets it:

1. **blackout windows**: ``blackouts`` ``[[start, length], ...]`` seconds after the rule started
   (a whole rule can be one blackout: ``loss`` 100);
2. **loss**: with ``burst`` <= 1, each packet is lost with probability ``loss`` %; with a mean
   ``burst`` length > 1, a two-state Gilbert-Elliott chain (Gilbert's special case: every packet
   of the bad state is lost, none of the good one) with ``r = 1 / burst`` (bad -> good) and
   ``p = loss * r / (1 - loss)`` (good -> bad), so that the long-run loss is ``loss`` % and losses
   come in runs of ``burst`` packets on average (Gilbert 1960, Elliott 1963; RFC 3611 section 4.7.2
   reports loss with the same two states);
3. **bandwidth**: a link of ``bandwidth`` kbit/s serialises packets one after another; a packet
   that would wait in its queue longer than ``queue`` ms is dropped (tail drop);
4. **delay and jitter**: ``delay`` ms plus a uniform variation of +-``jitter`` ms (netem's
   ``delay D J``), never before the previous packet of the stream: packets keep their order (as
   WebRTC's FakeNetworkPipe does by default), so jitter shows as bunching, not reordering.

All draws come from a :class:`random.Random` seeded by the caller, so a seeded platform repeats
its losses.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..core.errors import InvalidInput

MAX_BLACKOUTS = 32


@dataclass(frozen=True)
class Param:
    name: str
    low: float
    high: float
    doc: str


PARAMS = (
    Param("loss", 0, 100, "packet loss, % (long-run average)"),
    Param("burst", 1, 1000, "mean length of a loss burst, packets (> 1: Gilbert-Elliott)"),
    Param("delay", 0, 10_000, "one-way delay, ms"),
    Param("jitter", 0, 5_000, "delay variation, +- ms (uniform)"),
    Param("bandwidth", 0, 10_000_000, "link rate, kbit/s (0: unlimited)"),
    Param("queue", 1, 10_000, "longest wait in the bandwidth queue before a packet is dropped, ms"),
)


@dataclass(frozen=True)
class Impairment:
    """What happens to packets in one direction (see the module docstring for the model)."""

    loss: float = 0.0
    burst: float = 1.0
    delay: float = 0.0
    jitter: float = 0.0
    bandwidth: float = 0.0
    queue: float = 500.0
    blackouts: tuple[tuple[float, float], ...] = field(default_factory=tuple)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Impairment:
        """From a control-plane body; unknown names and values out of range are refused."""
        known = {p.name: p for p in PARAMS}
        unknown = sorted(set(params) - set(known) - {"blackouts"})
        if unknown:
            raise InvalidInput("Unknown impairment parameters %1; expected %2", unknown,
                               sorted([*known, "blackouts"]))
        values: dict[str, Any] = {}
        for name, value in params.items():
            if name == "blackouts":
                values[name] = _blackouts(value)
                continue
            spec = known[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not spec.low <= value <= spec.high:
                raise InvalidInput("Impairment parameter %1 (%2) must be a number in [%3, %4], got %5", name,
                                   spec.doc, spec.low, spec.high, repr(value))
            values[name] = float(value)
        return cls(**values)

    def merged(self, overrides: Mapping[str, Any]) -> Impairment:
        """This impairment with some parameters replaced (a profile adjusted by a rule)."""
        return Impairment.from_params({**self.to_dict(), **overrides})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["blackouts"] = [list(w) for w in self.blackouts]
        return data

    @property
    def is_blackout(self) -> bool:
        return self.loss >= 100.0


def _blackouts(value: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or len(value) > MAX_BLACKOUTS:
        raise InvalidInput("Impairment blackouts must be a list of at most %1 [start, length] pairs (seconds)",
                           MAX_BLACKOUTS)
    windows = []
    for window in value:
        if (not isinstance(window, list | tuple) or len(window) != 2
                or any(isinstance(v, bool) or not isinstance(v, int | float) for v in window)
                or window[0] < 0 or window[1] <= 0):
            raise InvalidInput("Impairment blackout %1 must be [start >= 0, length > 0] in seconds", repr(window))
        windows.append((float(window[0]), float(window[1])))
    return tuple(windows)


class Shaper:
    """One direction of one stream under an :class:`Impairment` that started at ``started``."""

    def __init__(self, impairment: Impairment, started: float, rng: random.Random) -> None:
        self.impairment = impairment
        self.started = started
        self._rng = rng
        loss = impairment.loss / 100.0
        self._bursty = impairment.burst > 1.0 and 0.0 < loss < 1.0
        self._r = 1.0 / impairment.burst
        self._p = loss * self._r / (1.0 - loss) if self._bursty else 0.0
        self._bad = False
        self._link_free = 0.0  # when the emulated link has sent everything queued so far
        self._last_departure = 0.0
        self.dropped = 0

    def admit(self, size: int, now: float) -> float | None:
        """When a packet of ``size`` bytes arriving at ``now`` leaves; None when it is lost."""
        if self._lost(now):
            self.dropped += 1
            return None
        impairment = self.impairment
        ready = now
        if impairment.bandwidth > 0:
            start = max(self._link_free, now)
            if start - now > impairment.queue / 1000.0:
                self.dropped += 1
                return None
            self._link_free = start + size * 8 / (impairment.bandwidth * 1000.0)
            ready = self._link_free
        if impairment.delay or impairment.jitter:
            variation = self._rng.uniform(-impairment.jitter, impairment.jitter) if impairment.jitter else 0.0
            ready += max(0.0, impairment.delay + variation) / 1000.0
        departure = max(ready, self._last_departure)
        self._last_departure = departure
        return departure

    def _lost(self, now: float) -> bool:
        impairment = self.impairment
        if impairment.blackouts:
            elapsed = now - self.started
            if any(start <= elapsed < start + length for start, length in impairment.blackouts):
                return True
        if impairment.loss <= 0.0:
            return False
        if impairment.loss >= 100.0:
            return True
        if not self._bursty:
            return self._rng.random() < impairment.loss / 100.0
        # Gilbert: move between the states first, then the state decides.
        if self._bad:
            self._bad = self._rng.random() >= self._r
        else:
            self._bad = self._rng.random() < self._p
        return self._bad
