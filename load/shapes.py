"""Load shapes (imports locust): stepped ramps for capacity runs.

``RampShape`` holds each user count of ``--kandy-ramp`` for ``--kandy-stage-seconds`` and then
ends the test (``tick`` returns None), so a ramp run ends by itself. Each stage's start is written
to ``timeline.jsonl`` so that the analysis can cut the samples by stage.
"""

from __future__ import annotations

from pathlib import Path

from locust import LoadTestShape

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
