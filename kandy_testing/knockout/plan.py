"""Which scenarios each knockout runs, in which order.

A function's knockout runs the scenarios in which it returned normally at least once (called by the
scenario, by a fixture, or by the SDK itself: a regression reaches every caller); an event's, the
scenarios in which it was emitted; a configuration key's, the scenarios that set it (or, for a key
whose value is an object of documented keys, one of those). Scenarios where
a function only ever raised are left out: they check its refusals, which a knockout that skips the
whole body would break without saying anything about the function's effect (except for the v3.X
functions whose documented behaviour is that refusal). The scenarios that called the function
successfully in their own steps come first, then the quickest: the first failure kills the knockout
and its other scenarios are skipped.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdk.knockout import API, CONFIG, Knockout
from sdk.trace import RAISED

from ..traces import ScenarioTrace

QUICK = 5.0  # seconds: the sample's knockouts were killed at least this fast in the recorded run


@dataclass
class Entry:
    knockout: Knockout
    tests: list[str]  # node ids, in the order to try them


def plan(knockouts: list[Knockout], traces: dict[str, ScenarioTrace], refusing: Collection[str] = frozenset(),
         before: Mapping[str, Mapping[str, Any]] | None = None) -> list[Entry]:
    """``refusing``: ids of functions whose documented behaviour is a refusal (their raising calls
    count); ``before``: the recorded verdicts, whose killers are tried first."""
    touched_by: dict[tuple[str, str, str], list[str]] = {}
    for test, trace in traces.items():
        for key in {t.key for t in trace.touches if t.how != RAISED or f"{t.product}:api:{t.name}" in refusing}:
            touched_by.setdefault(key, []).append(test)
    entries = []
    for knockout in knockouts:
        key = (knockout.product, knockout.kind, knockout.name)
        tests = touched_by.get(key, [])
        if knockout.kind == CONFIG:  # a key whose value is an object of keys is set where one of them is
            tests = sorted({t for (product, kind, name), found in touched_by.items() for t in found
                            if (product, kind) == key[:2] and (name == knockout.name
                                                               or name.startswith(knockout.name + "."))})
        killer = (before or {}).get(knockout.id, {}).get("killed_by")
        entries.append(Entry(knockout, sorted(tests, key=lambda t: (t != killer, *_order(traces[t], knockout)))))
    return entries


def _order(trace: ScenarioTrace, knockout: Knockout) -> tuple[bool, float]:
    """Scenarios that used the function in their own steps first, then the quickest."""
    key = (knockout.product, knockout.kind, knockout.name)
    used = knockout.kind != API or any(t.key == key and t.by_the_scenario for t in trace.touches)
    return (not used, trace.span)


def sample(entries: list[Entry], size: int, seed: int, before: Mapping[str, Mapping[str, Any]]) -> list[Entry]:
    """``size`` knockouts drawn with ``seed`` among those recorded as killed by a scenario that failed
    within QUICK seconds (and still touches it): ``make test`` re-checks them in seconds."""
    eligible = [e for e in entries if before.get(e.knockout.id, {}).get("killed_by") in e.tests
                and before[e.knockout.id].get("seconds", QUICK) <= QUICK]
    drawn = random.Random(seed).sample(eligible, min(size, len(eligible)))
    # The recorded killer runs first (plan() puts it there): one scenario each while the kill holds.
    return sorted(drawn, key=lambda e: e.knockout.id)


def write(entries: list[Entry], path: Path) -> None:
    """The plan file the pytest plugin reads: ``{knockout id: [node id, ...]}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({e.knockout.id: e.tests for e in entries if e.tests}, indent=1) + "\n")
