"""What one platform validated against the contract, and every violation, by side.

A *client* violation (a request or a frame the platform received does not follow the contract) is
answered as the real platform would answer it (the protocol's 4xx error body, see middleware.py),
and recorded here and in the journal (kind ``contract``). A *platform* violation (a response or a
frame the platform sent does not follow the contract) is a bug of the emulator or of the contract:
it is recorded the same way, and ``Platform.stop()`` raises :class:`ContractViolation` for it, so
the test that caused it fails.

Frames a test pushes through the control plane (``POST /_platform/notify``) are the test's, not
the platform's: they are sent inside :meth:`ContractMonitor.injected` and not validated.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from .validator import asyncapi_contract

CLIENT, PLATFORM = "client", "platform"
MAX_KEPT = 200  # violations kept per side and platform (counts go on)


class ContractViolation(AssertionError):
    """The platform answered or sent something its own contract does not allow."""


@dataclass
class Violation:
    side: str  # client | platform
    kind: str  # request | response | frame
    where: str  # "POST /cpaas/..." or "cpaasNotifications sent wrtcsEventNotification"
    error: str
    path: str | None = None
    status: int | None = None
    channel: str | None = None
    user: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def line(self) -> str:
        status = f" -> {self.status}" if self.status is not None else ""
        at = f" ({self.path})" if self.path else ""
        return f"[{self.side} {self.kind}] {self.where}{status}{at}: {self.error}"


class ContractMonitor:
    def __init__(self, journal: Any) -> None:
        self.journal = journal
        self.seen: Counter[str] = Counter()  # operation / message -> how many were validated
        self.violations: dict[str, list[Violation]] = {CLIENT: [], PLATFORM: []}
        self.counts: Counter[str] = Counter()  # side -> violations (also past MAX_KEPT)
        self._injected = 0
        self._frames = asyncapi_contract()
        self.reported = True  # False: keep out of the run's drift report (tests that break on purpose)
        # Every exchange and frame in order, when recording (tests/contract: recorded official traffic).
        self.recording: list[dict[str, Any]] | None = None

    def record(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append ``event`` to the recording (when recording) and return it, to be completed later.
        It is stamped with the wall clock (``at``, ms), which orders it among what the official SDK
        did in its page (tests/contract/recordings.py merges the two and drops the stamps)."""
        if self.recording is not None:
            event["at"] = time.time() * 1000
            self.recording.append(event)
        return event

    def socket_dropped(self, channel: str, code: int) -> None:
        """The platform closed a channel's socket on purpose (a fault): replays close it there too."""
        if self.recording is not None:
            self.record({"kind": "ws-drop", "channel": channel, "code": code})

    # -- recording -------------------------------------------------------------------------------
    def saw(self, where: str) -> None:
        self.seen[where] += 1

    def violation(self, violation: Violation) -> None:
        self.counts[violation.side] += 1
        kept = self.violations[violation.side]
        if len(kept) < MAX_KEPT:
            kept.append(violation)
        self.journal.record("contract", user=violation.user, path=violation.path, status=violation.status,
                            channel=violation.channel, detail=violation.to_dict())

    # -- frames ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def injected(self) -> Iterator[None]:
        """Frames published inside are a test's raw notifications: not the platform's to answer for."""
        self._injected += 1
        try:
            yield
        finally:
            self._injected -= 1

    def frame_sent(self, product: str, frame: Any, *, channel: str | None = None, user: str | None = None) -> None:
        if self.recording is not None:
            self.record({"kind": "ws-out", "channel": channel, "frame": frame, **({"injected": True}
                                                                                  if self._injected else {})})
        if self._injected:
            return
        self._frame(PLATFORM, "sent", product, frame, channel, user)

    def frame_received(self, product: str, frame: Any, *, channel: str | None = None,
                       user: str | None = None) -> None:
        if self.recording is not None:
            self.record({"kind": "ws-in", "channel": channel, "frame": frame})
        self._frame(CLIENT, "received", product, frame, channel, user)

    def _frame(self, side: str, direction: str, product: str, frame: Any, channel: str | None,
               user: str | None) -> None:
        name, error = self._frames.check_frame(product, direction, frame)
        where = f"{self._frames.CHANNELS[product]} {direction} {name}"
        self.saw(where)
        if error is not None:
            self.violation(Violation(side, "frame", where, error, channel=channel, user=user))

    # -- results ---------------------------------------------------------------------------------
    @property
    def platform_violations(self) -> list[Violation]:
        return self.violations[PLATFORM]

    @property
    def client_violations(self) -> list[Violation]:
        return self.violations[CLIENT]

    def report(self) -> dict[str, Any]:
        return {
            "validated": dict(sorted(self.seen.items())),
            "violations": {side: [v.to_dict() for v in kept] for side, kept in self.violations.items()},
            "counts": {CLIENT: self.counts[CLIENT], PLATFORM: self.counts[PLATFORM]},
        }

    def raise_for_platform(self) -> None:
        """Raise :class:`ContractViolation` if the platform broke its contract."""
        if self.counts[PLATFORM]:
            lines = "\n".join(v.line() for v in self.platform_violations[:20])
            raise ContractViolation(
                f"the platform broke its contract {self.counts[PLATFORM]} time(s) "
                f"(fake_platform/contract/*.yaml):\n{lines}")
