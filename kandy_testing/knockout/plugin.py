"""The knockout gate's pytest plugin: each planned (knockout, scenario) pair runs as its own test.

``python -m kandy_testing.knockout`` loads it (``-p kandy_testing.knockout.plugin``) with a plan
(``--knockout-plan``: ``{knockout id: [scenario node id, ...]}``) and a results folder
(``--knockout-results``). Every planned scenario is parametrized with its knockouts (ids ``KO<n>``),
the rest deselected; items run round-robin over the knockouts, each knockout's best scenario first.
The knockout is switched on (``sdk.knockout.target``) from before the scenario's set-up until after
its teardown. The first failure kills the knockout: a marker file tells every xdist worker to skip
its remaining scenarios. A knockout that has used up its time budget (``--knockout-budget`` seconds
of scenario time) without being killed runs no more scenarios either: it survived what ran. The
controller writes one JSON line per test report to ``results.jsonl``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sdk.knockout
from sdk.knockout import Knockout

PARAM = "kandy_knockout"
_LABEL = re.compile(r"\bKO(\d+)\b")


class Plan:
    def __init__(self, path: Path, results: Path) -> None:
        tests: dict[str, list[str]] = json.loads(path.read_text())
        self.ids = list(tests)
        self.tests = tests
        self.rank = {ko: {test: i for i, test in enumerate(t)} for ko, t in tests.items()}
        self.by_function: dict[str, list[str]] = {}
        for ko, planned in tests.items():
            for test in planned:
                functions = self.by_function.setdefault(test.split("[", 1)[0], [])
                if ko not in functions:
                    functions.append(ko)
        self.results = results
        (results / "killed").mkdir(parents=True, exist_ok=True)

    def label(self, ko: str) -> str:
        return f"KO{self.ids.index(ko)}"

    def of_nodeid(self, nodeid: str) -> str | None:
        found = _LABEL.search(nodeid)
        return self.ids[int(found.group(1))] if found else None

    def scenario_of(self, nodeid: str, ko: str) -> str | None:
        """The planned scenario id behind a parametrized item's node id."""
        label = self.label(ko)
        for candidate in (nodeid.replace(f"[{label}]", ""), nodeid.replace(f"{label}-", ""),
                          nodeid.replace(f"-{label}", "")):
            if candidate in self.rank[ko]:
                return candidate
        return None

    def _marker(self, ko: str) -> Path:
        return self.results / "killed" / re.sub(r"[^\w.:-]", "_", ko).replace(":", "~")

    def killer(self, ko: str) -> str | None:
        marker = self._marker(ko)
        return marker.read_text() if marker.exists() else None

    def mark_killed(self, ko: str, nodeid: str) -> None:
        marker = self._marker(ko)
        if not marker.exists():
            marker.write_text(nodeid)

    def spend(self, ko: str, seconds: float) -> None:
        """Add to this process's share of the time ``ko``'s scenarios took."""
        path = self.results / "spent" / f"{self._marker(ko).name}.{os.getpid()}"
        path.parent.mkdir(exist_ok=True)
        previous = float(path.read_text()) if path.exists() else 0.0
        path.write_text(f"{previous + seconds:.3f}")

    def spent(self, ko: str) -> float:
        return sum(float(p.read_text() or 0) for p in (self.results / "spent").glob(f"{self._marker(ko).name}.*"))


_plan: Plan | None = None
_role = "single"  # "controller" and "worker" under xdist
_budget = 180.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kandy knockout")
    group.addoption("--knockout-plan", default=None, help="JSON {knockout id: [scenario node id, ...]}")
    group.addoption("--knockout-results", default=None, help="folder for results.jsonl and kill markers")
    group.addoption("--knockout-budget", type=float, default=180.0,
                    help="seconds of scenario time a knockout may use before it is judged on what ran")


def pytest_configure(config: pytest.Config) -> None:
    global _plan, _role, _budget
    _budget = config.getoption("--knockout-budget")
    plan = config.getoption("--knockout-plan")
    if plan:
        _plan = Plan(Path(plan), Path(config.getoption("--knockout-results") or Path(plan).parent))
    if hasattr(config, "workerinput"):
        _role = "worker"
    elif config.pluginmanager.has_plugin("dsession"):
        _role = "controller"


@pytest.fixture(autouse=True)
def kandy_knockout(request: pytest.FixtureRequest) -> str | None:
    """The knockout id a planned scenario runs under (set by parametrization)."""
    return getattr(request, "param", None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if _plan is None:
        return
    knockouts = _plan.by_function.get(metafunc.definition.nodeid)
    if knockouts:
        metafunc.parametrize(PARAM, knockouts, ids=[_plan.label(ko) for ko in knockouts])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _plan is None:
        return
    keep: list[tuple[int, int, pytest.Item]] = []
    dropped: list[pytest.Item] = []
    for item in items:
        ko = _knockout_of(item)
        scenario = _plan.scenario_of(item.nodeid, ko) if ko else None
        if ko is None or scenario is None:
            dropped.append(item)
        else:
            keep.append((_plan.rank[ko][scenario], _plan.ids.index(ko), item))
    keep.sort(key=lambda entry: entry[:2])  # round-robin: every knockout's first choice, then seconds...
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = [item for _, _, item in keep]


def _knockout_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(PARAM) if callspec is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    ko = _knockout_of(item)
    if _plan is None or ko is None:
        return
    killer = _plan.killer(ko)
    if killer is not None:
        pytest.skip(f"{ko} already killed by {killer}")
    if _plan.spent(ko) > _budget:
        pytest.skip(f"{ko} used its {_budget:.0f} s budget")
    sdk.knockout.target = Knockout.parse(ko)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    sdk.knockout.target = None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _plan is None:
        return
    ko = _plan.of_nodeid(report.nodeid)
    if ko is None:
        return
    if _role != "controller":
        if report.failed:
            _plan.mark_killed(ko, report.nodeid)
        _plan.spend(ko, report.duration)
    if _role != "worker":
        line = {"knockout": ko, "test": _plan.scenario_of(report.nodeid, ko) or report.nodeid,
                "when": report.when, "outcome": report.outcome, "seconds": round(report.duration, 3),
                "message": _message(report) if report.failed else ""}
        with open(_plan.results / "results.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


def _message(report: Any) -> str:
    """The assertion lines of a failure (``E   ...``), short."""
    text = (getattr(report, "longreprtext", "") or "").strip()
    if not text:
        return ""
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return (" | ".join(lines[:4]) or text.splitlines()[-1])[:500]
