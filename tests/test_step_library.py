"""The step library as a QA engineer meets it: a misspelt value fails at once and lists the values;
a negative check that is broken says what was expected, after which cause, and what came instead.
(An operation in the wrong state: features/cpaas/midcall.feature, DTMF on an ended or held call.)

Each scenario runs through pytest-bdd and the kandy_emulator plugin (pytester, in process)."""

from __future__ import annotations

import textwrap
import time

import pytest

STEPS = '''
from pytest_bdd import scenarios

scenarios("qa.feature")
'''


def run_feature(pytester: pytest.Pytester, feature: str) -> tuple[pytest.RunResult, float]:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".feature", qa=textwrap.dedent(feature))
    pytester.makepyfile(test_qa=STEPS)
    started = time.monotonic()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:allure_pytest",
                                          "-p", "no:allure_pytest_bdd", "-p", "no:xdist")
    return result, time.monotonic() - started


MISSPELT = """
Feature: misspelt values
  Scenario: a call state
    Given the platform is running
    And Alice is signed in to cpaas and subscribed to calls
    When Alice calls echo with audio
    Then Alice's call is Conected

  Scenario: a hold flag
    Given the platform is running
    Then Alice's call shows both hold

  Scenario: a scripted endpoint
    Given the platform is running
    And Alice is signed in to cpaas and subscribed to calls
    When Alice calls ecko with audio

  Scenario: a value of a phrase's alternatives
    Given the platform is running
    And Bob is connected to link
    When Bob turns websocket notifications of

  Scenario: a push status
    Given the platform is running
    Then the push for "t1" is deliverd
"""


def test_a_misspelt_value_fails_at_once_listing_the_values(pytester: pytest.Pytester) -> None:
    result, took = run_feature(pytester, MISSPELT)
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines([
        "*'Conected' is not a call state; use one of: Initiating, Initiated, Ringing, Early Media, Connected, "
        "On Hold, Cancelled, Ended*",
        "*'both' is not a hold flag; use one of: local, remote*",
        "*'ecko' is neither a user of this scenario (Alice) nor a scripted endpoint (echo, busy, noanswer, reject, "
        "ivr, ivr-inband, headers), nor an address with @ or +*",
        "*'of' is not a value of {state} in this step; use one of: on, off*",
        "*'deliverd' is not a push status; use one of: delivered, expired, failed*",
    ], consecutive=False)
    assert took < 10, f"five misspellings took {took:.1f} s: something waited"


NEGATIVE = """
Feature: what must not happen
  Scenario: a message that does arrive
    Given the platform is running
    And Alice, Bob are cpaas users subscribed to "chat"
    When Alice sends "hello" to Bob
    Then Bob receives no message from Alice within 60 seconds
"""


def test_a_negative_check_names_what_it_expected_after_which_cause_and_what_came(pytester: pytest.Pytester) -> None:
    result, took = run_feature(pytester, NEGATIVE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected Bob to receive no message from Alice within 60 s after "
                                 "'When Alice sends \"hello\" to Bob'; got 'messages:change'*"])
    assert took < 30, f"it failed after {took:.1f} s: it should fail when the message came, not at 60 s"

