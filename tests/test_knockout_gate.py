"""The knockout gate's machinery on a tiny suite: planning from traces, the pytest plugin under
xdist (parametrized items, kill markers, results), verdicts, and the coverage numbers it feeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kandy_testing import coverage
from kandy_testing.knockout import plan as planning
from kandy_testing.knockout import report, targets
from kandy_testing.traces import ScenarioTrace, Touch
from sdk.knockout import Knockout

SUITE = '''
import pytest
import sdk.cpaas

def test_only_calls_it():
    sdk.cpaas.create({}).getConfig()

def test_checks_its_result():
    assert sdk.cpaas.create({}).getConfig()["call"]

@pytest.mark.parametrize("n", [1, 2])
def test_outline(n):
    assert sdk.cpaas.create({}).getBrowserDetails()["browser"] == "aiortc"
'''


def touch(name: str, how: str = "ok", phase: str = "call", kind: str = "api") -> Touch:
    return Touch("cpaas", kind, name, how, phase)


def test_a_knockout_runs_the_scenarios_that_used_it_best_first() -> None:
    traces = {
        "f.py::slow_user": ScenarioTrace({touch("getConfig")}, span=3.0),
        "f.py::quick_user": ScenarioTrace({touch("getConfig")}, span=1.0),
        "f.py::teardown_only": ScenarioTrace({touch("getConfig", phase="teardown")}, span=0.1),
        "f.py::refusals_only": ScenarioTrace({touch("getConfig", how="raised")}, span=0.1),
        "f.py::emits": ScenarioTrace({touch("call:start", how="emitted", kind="event")}),
    }
    entries = planning.plan([Knockout("cpaas", "api", "getConfig"),
                             Knockout("cpaas", "event", "call:start", "empty"),
                             Knockout("cpaas", "api", "getUserInfo")], traces)
    assert entries[0].tests == ["f.py::quick_user", "f.py::slow_user", "f.py::teardown_only"]
    assert entries[1].tests == ["f.py::emits"]
    assert entries[2].tests == []
    before = {"cpaas:api:getConfig": {"verdict": "killed", "killed_by": "f.py::slow_user", "seconds": 1.0},
              "cpaas:event:call:start:empty": {"verdict": "killed", "killed_by": "f.py::emits", "seconds": 15.0}}
    sample = planning.sample(entries, 5, seed=1, before=before)  # only quick recorded kills
    assert [e.knockout.id for e in sample] == ["cpaas:api:getConfig"]
    again = planning.plan([Knockout("cpaas", "api", "getConfig")], traces, before=before)
    assert again[0].tests[0] == "f.py::slow_user"  # the recorded killer is tried first


def test_every_documented_function_and_event_has_its_knockouts() -> None:
    ids = {k.id for k in targets.all_knockouts()}
    assert {"cpaas:api:contacts.fetch", "link:api:media.initializeDevices", "cpaas:api:create",
            "link:event:devices:change:drop", "link:event:devices:change:empty"} <= ids
    assert not any(":dummy:event" in i or ":call:accepted:" in i or "messages:changed" in i for i in ids)
    assert set(targets.UNEXPRESSIBLE) <= ids and set(targets.KNOWN_SURVIVORS) <= ids
    assert len(targets.UNEXPRESSIBLE) <= 5


def test_the_plugin_kills_a_knockout_a_scenario_notices_and_not_one_none_does(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(SUITE)
    plan = {"cpaas:api:getConfig": ["test_tiny.py::test_only_calls_it", "test_tiny.py::test_checks_its_result"],
            "cpaas:api:getUserInfo": ["test_tiny.py::test_only_calls_it"],
            "cpaas:api:getBrowserDetails": ["test_tiny.py::test_outline[1]", "test_tiny.py::test_outline[2]"]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "kandy_testing.knockout.plugin", "-n", "2",
                           "-p", "no:cacheprovider", "--knockout-plan", "plan.json", "--knockout-results", ".",
                           "-q", "-p", "no:allure_pytest", "-p", "no:allure_pytest_bdd", "test_tiny.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "5 passed" not in done.stdout, done.stdout  # the knockouts took effect
    entries = [planning.Entry(Knockout.parse(k), t) for k, t in plan.items()]
    found = {v.id: v for v in report.verdicts(entries, tmp_path / "results.jsonl", {}, {})}
    assert found["cpaas:api:getConfig"].verdict == "killed"
    assert found["cpaas:api:getConfig"].killed_by == "test_tiny.py::test_checks_its_result"
    assert "KeyError" in found["cpaas:api:getConfig"].message
    assert found["cpaas:api:getUserInfo"].verdict == "survived"  # nothing checks it: the gate says so
    assert found["cpaas:api:getBrowserDetails"].verdict == "killed"
    assert found["cpaas:api:getBrowserDetails"].killed_by.startswith("test_tiny.py::test_outline[")


def test_coverage_counts_successful_calls_by_the_scenario_and_verifies_them_with_knockouts() -> None:
    traces = {"f.py::a": ScenarioTrace({touch("getConfig"), touch("on", how="raised"),
                                    touch("destroy", how="internal"), touch("setTokens", phase="teardown"),
                                    touch("call:start", how="emitted", kind="event")})}
    seen = coverage.exercised(traces)
    assert seen == {("cpaas", "api", "getConfig"), ("cpaas", "event", "call:start")}
    verdicts = {"cpaas:api:getConfig": "killed", "cpaas:event:call:start:drop": "killed",
                "cpaas:event:call:start:empty": "survived"}
    result = coverage.report(seen, verdicts)["cpaas"]
    assert result["apis"]["exercised"] == 1 and result["apis"]["verified"] == 1
    assert "on" in result["apis"]["missing"] and "destroy" not in result["apis"]["missing"]
    assert result["events"]["exercised"] == 1 and result["events"]["verified"] == 0
    assert result["events"]["unverified"] == ["call:start"]
