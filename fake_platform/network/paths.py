"""A path: one direction of one media stream through the emulated network.

The relay gives each allocation two paths (what the user sends, what the user receives); the
platform's media edge gives each scripted endpoint's peer two. ``Path.send(packet, *args)`` hands
the packet to the path's sender now, later, or never, as the matching impairment rule says. With
no rule live, a packet costs one attribute check; the rule is looked up again only when the rules
change or one expires.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from .impairment import Shaper
from .rules import Impairments

#: Packets due within this much of now go at once (a timer would cost more than the wait).
IMMEDIATE = 0.0005


class Path:
    def __init__(self, rules: Impairments, *, user: str | None, direction: str,
                 calls: Callable[[], frozenset[str]], send: Callable[..., None], seed: int) -> None:
        self._rules = rules
        self.user = user
        self.direction = direction
        self._calls = calls
        self._send = send
        self._seed = seed
        self._generation = -1
        self._rule_id: str | None = None
        self._shaper: Shaper | None = None
        self.sent = 0
        self.dropped = 0
        self.delayed = 0
        self.closed = False

    def send(self, packet: bytes, *args: Any) -> None:
        if self.closed:
            return
        if not self._rules.active and self._shaper is None:
            self.sent += 1
            self._send(packet, *args)
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        shaper = self._current(now)
        if shaper is None:
            self.sent += 1
            self._send(packet, *args)
            return
        departure = shaper.admit(len(packet), now)
        if departure is None:
            self.dropped += 1
            return
        if departure - now <= IMMEDIATE:
            self.sent += 1
            self._send(packet, *args)
            return
        self.delayed += 1
        loop.call_at(departure, self._deliver, packet, args)

    def _deliver(self, packet: bytes, args: tuple[Any, ...]) -> None:
        """A delayed packet's time has come (a closed path's timers lapse: at most a delay long)."""
        if not self.closed:
            self.sent += 1
            self._send(packet, *args)

    def _current(self, now: float) -> Shaper | None:
        rules = self._rules
        if rules.generation == self._generation and now < rules.next_expiry:
            return self._shaper
        rule = rules.match(self.user, self._calls, self.direction, now)
        self._generation = rules.generation
        if rule is None:
            self._rule_id, self._shaper = None, None
        elif rule.id != self._rule_id:
            impairment = rule.impairment_for(self.direction)
            assert impairment is not None
            self._rule_id = rule.id
            self._shaper = Shaper(impairment, rule.started, random.Random(rule.seed ^ self._seed))
        return self._shaper

    @property
    def rule_id(self) -> str | None:
        return self._rule_id

    def close(self) -> None:
        self.closed = True

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "direction": self.direction, "rule": self._rule_id, "sent": self.sent,
                "dropped": self.dropped, "delayed": self.delayed}
