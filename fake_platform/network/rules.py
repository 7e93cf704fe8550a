"""Impairment rules: faults of kind ``impairment`` (core/faults.py), read as network conditions.

A rule is a fault like the others, bounded in time (no count), matching a ``user`` and/or a
``call`` (either id the platform knows a call by: a party's session id or the router's call id),
in the user's ``send`` or ``receive`` direction or ``both``. Its impairment is a named profile
(:mod:`.profiles`), parameters (:mod:`.impairment`), or a profile with some parameters replaced.
When several rules match a stream, the newest applies. The fault registry's ``generation``
tells the paths when to look again; nothing here is consulted per packet.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import InvalidInput
from ..core.faults import Fault, FaultKind, FaultRegistry
from .impairment import PARAMS, Impairment
from .profiles import profile as find_profile

IMPAIRMENT = FaultKind.IMPAIRMENT
DIRECTIONS = ("send", "receive", "both")
_IMPAIRMENT_NAMES = {p.name for p in PARAMS} | {"blackouts"}


@dataclass(frozen=True)
class ImpairmentRule:
    """What an impairment fault does to each direction (None: that direction is left alone)."""

    id: str
    send: Impairment | None
    receive: Impairment | None
    started: float  # loop time
    seed: int
    match: dict[str, Any] = field(default_factory=dict)

    def impairment_for(self, direction: str) -> Impairment | None:
        return self.send if direction == "send" else self.receive

    def matches(self, user: str | None, calls: Callable[[], frozenset[str]], direction: str) -> bool:
        if self.impairment_for(direction) is None:
            return False
        wanted_user = self.match.get("user")
        if wanted_user is not None and (user is None or str(wanted_user).lower() != user.lower()):
            return False
        wanted_call = self.match.get("call")
        return wanted_call is None or wanted_call in calls()


def impairments_of(params: Mapping[str, Any]) -> tuple[Impairment | None, Impairment | None]:
    """``(send, receive)`` of an impairment fault's parameters; InvalidInput when they make no
    sense together (the registry has checked types and ranges already)."""
    direction = params.get("direction") or "both"
    if direction not in DIRECTIONS:
        raise InvalidInput("Impairment direction must be one of %1, got %2", ", ".join(DIRECTIONS), repr(direction))
    given = {k: v for k, v in params.items() if k in _IMPAIRMENT_NAMES and v is not None}
    name = params.get("profile")
    if name is None and not given:
        raise InvalidInput("An impairment needs a profile or parameters (%1)", ", ".join(sorted(_IMPAIRMENT_NAMES)))
    if name is not None:
        named = find_profile(name)
        send, receive = named.send.merged(given), named.receive.merged(given)
    else:
        send = receive = Impairment.from_params(given)
    return (send if direction in ("send", "both") else None, receive if direction in ("receive", "both") else None)


def check(params: Mapping[str, Any]) -> None:
    """The registry's check for the ``impairment`` kind (run when the fault is added)."""
    impairments_of(params)


class Impairments:
    """The live impairment faults as rules, for the paths (:mod:`.paths`)."""

    def __init__(self, faults: FaultRegistry, clock: Any) -> None:
        self._faults = faults
        self._clock = clock
        self._rules: dict[str, ImpairmentRule] = {}  # by fault id
        self._active_generation = -1
        self._active = False
        faults.checks[IMPAIRMENT] = check

    @property
    def generation(self) -> int:
        return self._faults.generation

    @property
    def next_expiry(self) -> float:
        return self._faults.next_expiry

    @property
    def active(self) -> bool:
        """Whether any impairment fault is live (cheap: recomputed when the faults change)."""
        if self._active_generation != self._faults.generation:
            self._active = bool(self._faults.live(IMPAIRMENT, self._clock.monotonic()))
            self._active_generation = self._faults.generation
        return self._active

    def match(self, user: str | None, calls: Callable[[], frozenset[str]], direction: str,
              now: float) -> ImpairmentRule | None:
        """The newest live rule for a stream of ``user`` (in ``calls()``) in ``direction``."""
        live = self._faults.live(IMPAIRMENT, now)
        if len(self._rules) > len(live) + 64:  # forget the rules of faults that are gone
            ids = {f.id for f in live}
            self._rules = {k: v for k, v in self._rules.items() if k in ids}
        for fault in reversed(live):
            rule = self._rule(fault)
            if rule.matches(user, calls, direction):
                return rule
        return None

    def _rule(self, fault: Fault) -> ImpairmentRule:
        rule = self._rules.get(fault.id)
        if rule is None:
            send, receive = impairments_of(fault.params)
            rule = ImpairmentRule(id=fault.id, send=send, receive=receive, started=fault.created_at,
                                  seed=zlib.crc32(fault.id.encode()), match=dict(fault.match))
            self._rules[fault.id] = rule
        return rule
