"""Reading the per-test traces ``sdk.trace`` writes (``KANDY_API_TRACE``).

A :class:`Touch` is one way a test touched a documented API or event; :func:`load` merges every
process's file of one suite into ``{test node id: ScenarioTrace}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


class Touch(NamedTuple):
    product: str
    kind: str  # "api" or "event"
    name: str
    how: str  # "ok", "raised", "internal" (APIs) or "emitted" (events)
    phase: str  # "setup", "call", "teardown" ("" outside pytest)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.product, self.kind, self.name

    @property
    def by_the_scenario(self) -> bool:
        """A successful call the scenario itself made while its steps ran (not set-up or
        teardown, not the SDK calling its own API, not a refusal)."""
        return self.kind == "api" and self.how == "ok" and self.phase == "call"


@dataclass
class ScenarioTrace:
    touches: set[Touch] = field(default_factory=set)
    span: float = 0.0  # seconds between the test's first and last record

    def keys(self) -> set[tuple[str, str, str]]:
        return {t.key for t in self.touches}


def load(folder: Path, suite: str = "*") -> dict[str, ScenarioTrace]:
    """Every test's trace in ``folder`` (files ``trace.<suite>.<pid>.json``)."""
    tests: dict[str, ScenarioTrace] = {}
    for path in sorted(folder.glob(f"trace.{suite}.*.json")):
        for test, data in json.loads(path.read_text()).items():
            merged = tests.setdefault(test, ScenarioTrace())
            merged.touches.update(Touch(*item) for item in data["touched"])
            merged.span = max(merged.span, float(data.get("span", 0.0)))
    return tests
