"""Events after their cause: a stale event (recorded before the latest step that acted) no longer
satisfies the generic "receives ..." steps, directly and through pytest-bdd's step hooks."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kandy_testing.clients import TestClient
from kandy_testing.recorder import EventRecorder
from kandy_testing.steps import common, negative
from kandy_testing.waiting import WaitTimeout
from kandy_testing.world import Actor, World
from sdk.bridge import SyncBridge
from sdk.errors import BasicError


class FakeClient:
    """Just enough of a client for a recorder: global listeners, and a way to emit."""

    product = "cpaas"

    def __init__(self) -> None:
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []

    def subscribe(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        self.listeners.append(listener)

    def emit(self, type_: str, params: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(type_, params)


@pytest.fixture
def world() -> Iterator[World]:
    bridge = SyncBridge("causes")
    bridge.start()
    scenario = World(bridge)
    scenario.timeout = 0.2

    async def build() -> Actor:
        client = FakeClient()
        return Actor("Alice", TestClient(client, EventRecorder(client, "Alice"), None))  # type: ignore[arg-type]

    scenario.actors["Alice"] = bridge.run(build(), 5)
    yield scenario
    bridge.stop()


def emit(world: World, type_: str, params: dict[str, Any]) -> None:
    world.call(world.actor("Alice").client.emit, type_, params)


GENERIC_CHECKS: list[tuple[Callable[..., None], dict[str, Any], dict[str, Any]]] = [
    (common.receives_event, {"event": "group:change"}, {"id": "g1"}),
    (common.receives_event_with_text, {"event": "group:change", "key": "id", "value": "g1"}, {"id": "g1"}),
    (common.receives_event_with_value, {"event": "call:receive", "key": "count", "value": "2"}, {"count": 2}),
    (common.receives_event_with_error, {"event": "subscription:error", "code": "7"},
     {"error": BasicError(7, "nope")}),
]


@pytest.mark.parametrize(("step", "arguments", "params"), GENERIC_CHECKS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_stale_event_does_not_satisfy_a_generic_step(world: World, step: Callable[..., None],
                                                        arguments: dict[str, Any], params: dict[str, Any]) -> None:
    event = arguments["event"]
    emit(world, event, params)
    step(world, "Alice", **arguments)  # no cause yet: the whole history counts
    world.mark_cause("When Bob does something")
    with pytest.raises(WaitTimeout, match=r"after 'When Bob does something'.*1 before it"):
        step(world, "Alice", **arguments)
    emit(world, event, params)
    step(world, "Alice", **arguments)  # the same event after the cause satisfies it


def test_explicit_history_still_sees_everything(world: World) -> None:
    emit(world, "call:receive", {"callId": "c1"})
    world.mark_cause("When Bob does something")
    recorder = world.actor("Alice").recorder
    assert recorder.of("call:receive") == []
    assert recorder.of("call:receive", since=0) == [{"callId": "c1"}]


FEATURE = """
Feature: causes
  Scenario: An event of a Given, looked for after a later When
    Given Alice has a fake client
    And Alice's client emits "group:change"
    When Alice does nothing
    Then Alice receives "group:change"

  Scenario: An event of the latest When
    Given Alice has a fake client
    When Alice's client emits "group:change"
    Then Alice receives "group:change"

  Scenario: An observing When marks no cause
    Given Alice has a fake client
    When Alice's client emits "group:change"
    And Alice looks at her events
    Then Alice receives "group:change"
"""

STEPS = '''
from pytest_bdd import given, parsers, scenarios, when

from kandy_testing.clients import TestClient
from kandy_testing.recorder import EventRecorder
from kandy_testing.world import Actor, observes
from tests.test_causes import FakeClient

scenarios("causes.feature")


@given(parsers.parse("{name} has a fake client"))
def fake_client(world, name):
    world.timeout = 0.2

    async def build():
        client = FakeClient()
        return Actor(name, TestClient(client, EventRecorder(client, name), None))

    world.actors[name] = world.run(build())


@given(parsers.parse("{name}'s client emits \\"{event}\\""))
@when(parsers.parse("{name}'s client emits \\"{event}\\""))
def emits(world, name, event):
    world.call(world.actor(name).client.emit, event, {})


@when(parsers.parse("{name} does nothing"))
def nothing(world, name):
    pass


@when(parsers.parse("{name} looks at her events"))
@observes
def looks(world, name):
    pass
'''


def test_the_plugin_marks_a_cause_before_each_acting_step(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".feature", causes=textwrap.dedent(FEATURE))
    pytester.makepyfile(test_causes_bdd=STEPS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:allure_pytest",
                                          "-p", "no:allure_pytest_bdd", "-p", "no:xdist")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_an_event_of_a_given_looked_for_after_a_later_when*"])
    result.stdout.fnmatch_lines(["*expected Alice to receive 'group:change' after 'When Alice does nothing'*"])


# -- negative checks: they look from the cause until N seconds after it ------------------------
def test_a_negative_check_fails_on_an_event_between_the_cause_and_the_check(world: World) -> None:
    world.mark_cause("When Bob does something")
    emit(world, "call:receive", {"callId": "c1"})  # before the check starts: looking later must not miss it
    with pytest.raises(AssertionError, match=r"expected Alice to receive no 'call:receive' within 0.3 s after "
                                             r"'When Bob does something'; got 'call:receive'"):
        negative.receives_no_event(world, "Alice", "call:receive", 0.3)


def test_a_negative_check_fails_on_an_event_late_in_the_window(world: World) -> None:
    world.mark_cause("When Bob does something")
    world.bridge.loop.call_soon_threadsafe(world.bridge.loop.call_later, 0.15, world.actor("Alice").client.emit,
                                           "call:receive", {"callId": "late"})
    started = time.monotonic()
    with pytest.raises(AssertionError, match="late"):  # it did not stop looking before the window's end
        negative.receives_no_event(world, "Alice", "call:receive", 0.5)
    assert time.monotonic() - started < 0.45  # and it failed when the event came, not at the window's end


def test_a_negative_check_passes_on_an_event_before_the_cause_after_waiting_out_its_window(world: World) -> None:
    emit(world, "call:receive", {"callId": "stale"})
    world.mark_cause("When Bob does something")
    started = time.monotonic()
    negative.receives_no_event(world, "Alice", "call:receive", 0.3)
    assert time.monotonic() - started >= 0.25  # it watched the window, it did not just look once
