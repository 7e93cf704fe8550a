"""Allure results carry real times, and failing tests carry their calls' ladders (kandy_testing/reporting.py)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

ALLURE = ("-p", "allure_pytest", "-p", "no:allure_pytest_bdd", "-p", "no:cacheprovider")
NO_ALLURE = ("-p", "no:allure_pytest", "-p", "no:allure_pytest_bdd", "-p", "no:cacheprovider")
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

FROZEN_TEST = """
import datetime

def test_two_hours_pass_on_the_wall_clock(wall_clock):
    wall_clock.tick(datetime.timedelta(hours=2))
"""

FAILING_CALL_TEST = """
async def test_a_call_then_a_failure(platform, make_cpaas):
    alice = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]})
    call_id = alice.call.make("busy@example.com", {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Ended")
    assert False, "the test fails after its call"
"""


def run(pytester: pytest.Pytester, outer: pytest.Config, *args: str) -> pytest.RunResult:
    """A nested pytest run; in a subprocess when this run reports to Allure itself (allure-python
    keeps one process-wide plugin manager, so a nested run in process would report to both)."""
    nested_allure = any(outer.pluginmanager.hasplugin(name) for name in ("allure_pytest", "allure_pytest_bdd"))
    return pytester.runpytest_subprocess(*args) if nested_allure else pytester.runpytest(*args)


def results(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in directory.glob("*-result.json")]


def test_a_test_on_frozen_time_is_reported_with_real_times(pytester: pytest.Pytester, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(FROZEN_TEST)
    started = time.time() * 1000
    run(pytester, request.config, *ALLURE, f"--alluredir={tmp_path}").assert_outcomes(passed=1)
    finished = time.time() * 1000
    (result,) = results(tmp_path)
    assert started <= result["start"] <= result["stop"] <= finished  # not two hours on


def test_pytests_own_durations_stay_real_on_frozen_time(pytester: pytest.Pytester,
        request: pytest.FixtureRequest) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(FROZEN_TEST)
    started = time.monotonic()
    result = run(pytester, request.config, *NO_ALLURE, "--durations=5", "--durations-min=0")
    took = time.monotonic() - started
    result.assert_outcomes(passed=1)
    durations = [float(m.group(1)) for line in result.outlines
                 if (m := re.match(r"([0-9.]+)s (setup|call|teardown) ", line))]
    assert durations and all(0 <= d <= took for d in durations), durations  # not two hours, not the epoch


def test_a_failing_test_gets_the_ladder_of_its_call(pytester: pytest.Pytester, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(FAILING_CALL_TEST)
    run(pytester, request.config, *ALLURE, f"--alluredir={tmp_path}").assert_outcomes(failed=1)
    (result,) = results(tmp_path)
    ladders = [a for a in result.get("attachments", []) if a["name"].startswith("ladder of call")]
    assert len(ladders) == 1 and ladders[0]["type"] == "image/svg+xml"
    svg = (tmp_path / ladders[0]["source"]).read_text()
    assert "busy@example.com" in svg and "Event SessionEnded" in svg


def test_passing_tests_get_ladders_only_when_asked(pytester: pytest.Pytester, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(FAILING_CALL_TEST.replace('assert False, "the test fails after its call"', "pass"))
    run(pytester, request.config, *ALLURE, f"--alluredir={tmp_path / 'default'}").assert_outcomes(passed=1)
    run(pytester, request.config, *ALLURE, f"--alluredir={tmp_path / 'all'}",
        "--kandy-ladders=all").assert_outcomes(passed=1)
    attached = {run: [a["name"] for r in results(tmp_path / run) for a in r.get("attachments", [])]
                for run in ("default", "all")}
    assert attached["default"] == [] and len(attached["all"]) == 1


FAILING_SCENARIO = """
Feature: A call, then a wrong expectation
  Scenario: Bob rejects the call but the scenario expects busy
    Given the platform is running
    And Alice is signed in to cpaas and subscribed to calls
    And Bob is signed in to cpaas and subscribed to calls
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob rejects the call
    Then Alice's call is Ended with status code 486
"""


def test_a_failing_scenario_gets_the_ladder_of_its_call(pytester: pytest.Pytester, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    pytester.makeini(INI)
    pytester.makefile(".feature", rejected=FAILING_SCENARIO)
    pytester.makepyfile('from pytest_bdd import scenarios\n\nscenarios("rejected.feature")\n')
    run(pytester, request.config, "-p", "allure_pytest_bdd", "-p", "no:allure_pytest", "-p", "no:cacheprovider",
        f"--alluredir={tmp_path}").assert_outcomes(failed=1)
    (result,) = results(tmp_path)
    failed_step = next(s for s in result["steps"] if s["status"] == "failed")
    (ladder,) = [a for a in failed_step["attachments"] if a["name"].startswith("ladder of call")]
    svg = (tmp_path / ladder["source"]).read_text()
    assert "reject" in svg and "Event SessionEnded" in svg
