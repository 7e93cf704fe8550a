"""The verdicts of the last full knockout run, kept in git (``kandy_testing/data/knockout-verdicts.json``).

``make knockout`` records them (``--record``). The coverage gate reads them as its evidence that a
step asserts each function's and event's effect; the knockout runner tries each knockout's recorded
killer first, and ``make test``'s sample re-checks a few of them on every run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent.parent / "data" / "knockout-verdicts.json"
SAMPLE = Path("reports/conformance/knockout-sample.json")  # this run's sample (make test)


def load(path: Path = PATH) -> dict[str, dict[str, Any]]:
    """Knockout id -> ``{verdict, killed_by, seconds}`` (seconds: how long the killing scenario ran)."""
    return json.loads(path.read_text()) if path.exists() else {}


def verdicts(path: Path = PATH, sample: Path = SAMPLE) -> dict[str, str]:
    """Knockout id -> verdict: the recorded full run, overridden by this run's sample if there is one."""
    found = {ko: entry["verdict"] for ko, entry in load(path).items()}
    if sample.exists():
        found.update({v["id"]: v["verdict"] for v in json.loads(sample.read_text())["knockouts"]})
    return found


def save(entries: dict[str, dict[str, Any]], path: Path = PATH) -> None:
    path.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
