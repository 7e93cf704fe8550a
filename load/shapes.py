"""Load shapes (imports locust): stepped ramps for capacity runs, stepped networks for call quality.

``RampShape`` holds each user count of ``--kandy-ramp`` for ``--kandy-stage-seconds`` and then
ends the test (``tick`` returns None), so a ramp run ends by itself. ``NetworkShape`` holds Locust's
user count (``-u``) through the network profiles of ``--kandy-network`` (one per stage): each stage
impairs every user's media through the platform's control plane for the stage's length (a fault of
kind ``impairment``), so the calls' QUALITY samples can be read per network. Each stage's start is
written to ``timeline.jsonl`` so that the analysis can cut the samples by stage (a network stage is
also a fault window, as a scenario's steps are).
"""

from __future__ import annotations

import time
from pathlib import Path

from locust import LoadTestShape

from .control import ControlPlane
from .scenarios import Timeline

SPAWN_RATE = 100.0  # users per second when a stage adds users


def stages_of(text: str) -> list[int]:
    stages = [int(part) for part in text.split(",") if part.strip()]
    if not stages or any(n <= 0 for n in stages):
        raise ValueError(f"--kandy-ramp needs positive user counts, got {text!r}")
    return stages


class RampShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        self._announced = -1

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        stages = stages_of(getattr(options, "kandy_ramp", "100,200"))
        seconds = float(getattr(options, "kandy_stage_seconds", 20))
        index = int(self.get_run_time() // seconds)
        if index >= len(stages):
            return None
        if index != self._announced:
            self._announced = index
            out = Path(getattr(options, "kandy_out", "reports/load"))
            Timeline(out).record("stage", index=index, users=stages[index], seconds=seconds)
        return stages[index], SPAWN_RATE


CLEAN = "clean"


def profiles_of(text: str) -> list[str]:
    profiles = [part.strip() for part in text.split(",") if part.strip()]
    if not profiles:
        raise ValueError(f"--kandy-network needs at least one profile, got {text!r}")
    return profiles


class NetworkShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        self._announced = -1
        self._control: ControlPlane | None = None

    def tick(self) -> tuple[int, float] | None:
        runner = self.runner
        options = runner.environment.parsed_options if runner else None
        profiles = profiles_of(getattr(options, "kandy_network", CLEAN))
        seconds = float(getattr(options, "kandy_stage_seconds", 20))
        users = int(getattr(options, "num_users", None) or 20)
        index = int(self.get_run_time() // seconds)
        if index >= len(profiles):
            return None
        if index != self._announced and runner is not None:
            self._announced = index
            self._impair(profiles[index], seconds, index, options)
        return users, SPAWN_RATE

    def _impair(self, profile: str, seconds: float, index: int, options: object) -> None:
        out = Timeline(Path(getattr(options, "kandy_out", "reports/load")))
        out.record("stage", index=index, profile=profile, seconds=seconds)
        if profile == CLEAN:
            return
        if self._control is None:
            self._control = ControlPlane(self.runner.environment.host or "http://127.0.0.1:8080")
        start = time.time()
        added = self._control.add_fault("impairment", duration=seconds, profile=profile)
        out.record("window", fault="impairment", start=start, end=start + seconds, id=added["id"], profile=profile)
