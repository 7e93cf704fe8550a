"""The conformance trace (sdk.trace) and knockouts (sdk.knockout): what counts as a successful call,
what the SDK calls itself, and what a knocked-out function or event does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import sdk.cpaas
import sdk.link
from sdk import knockout, trace
from sdk.errors import BasicError
from sdk.knockout import Knockout


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tracing on, into empty records."""
    monkeypatch.setattr(trace, "enabled", True)
    monkeypatch.setattr(trace, "_touched", {})
    monkeypatch.setattr(trace, "_times", {})
    yield


@pytest.fixture
def knocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(knockout, "target", None)
    yield


def records() -> list[tuple[str, str, str, str, str]]:
    """What this test recorded while it ran (pytest names the running test)."""
    return [tuple(r) for r in trace.snapshot().get(trace.current_test()[0], {}).get("touched", [])]


def touches(name: str) -> set[str]:
    return {how for _p, _k, n, how, _phase in records() if n == name}


def test_the_running_test_and_phase_come_from_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "features/test_link.py::test_x[a (b)] (teardown)")
    assert trace.current_test() == ("features/test_link.py::test_x[a (b)]", "teardown")
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert trace.current_test() == ("other", "")


@pytest.mark.usefixtures("traced")
def test_a_call_that_returns_is_ok_and_a_refused_one_raised() -> None:
    client = sdk.cpaas.create({})
    client.getConfig()
    with pytest.raises(BasicError):
        client.on("no:such-event", print)
    assert touches("getConfig") == {"ok"}
    assert touches("on") == {"raised"}
    assert touches("create") == {"ok"}


@pytest.mark.usefixtures("traced")
async def test_destroy_through_aclose_is_the_sdk_calling_itself() -> None:
    client = sdk.link.create({})
    await client.aclose()
    other = sdk.link.create({})
    other.destroy()
    await other.aclose()
    assert ("link", "api", "destroy", "internal", "call") in records()
    assert ("link", "api", "destroy", "ok", "call") in records()


@pytest.mark.usefixtures("traced")
async def test_a_task_counts_when_it_finishes_and_a_flow_reporting_an_error_is_not_ok(platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["chat"])
    task = alice.contacts.fetch("nobody@example.com")  # the platform knows no such contact
    assert touches("contacts.fetch") == set()  # not yet: the flow runs
    await task
    assert touches("contacts.fetch") == {"raised"}
    await alice.contacts.refresh()
    assert touches("contacts.refresh") == {"ok"}


@pytest.mark.usefixtures("traced")
async def test_a_coroutine_api_counts_when_it_returns(platform, make_link) -> None:
    bob = await make_link(connect=True)
    with pytest.raises(BasicError):
        await bob.call.getAvailableCodecs("smell")
    assert touches("call.getAvailableCodecs") == {"raised"}
    await bob.call.getAvailableCodecs("audio")
    assert touches("call.getAvailableCodecs") == {"raised", "ok"}


@pytest.mark.usefixtures("knocked")
def test_a_knocked_out_function_returns_its_documented_shape_and_does_nothing() -> None:
    client = sdk.cpaas.create({})
    knockout.target = Knockout("cpaas", "api", "getConfig")
    assert client.getConfig() == {}
    knockout.target = Knockout("cpaas", "api", "media.getById")
    assert client.media.getById("anything") is None
    knockout.target = Knockout("cpaas", "api", "conversation.create")
    hollow = client.conversation.create("bob@example.com")
    assert type(hollow).__name__ == "Conversation" and not hasattr(hollow, "destination")
    knockout.target = Knockout("link", "api", "getConfig")  # the other product's is untouched
    assert client.getConfig()["call"]


@pytest.mark.usefixtures("knocked")
async def test_a_knocked_out_task_or_coroutine_resolves_to_nothing() -> None:
    knockout.target = Knockout("cpaas", "api", "contacts.fetch")
    client = sdk.cpaas.create({})
    assert await client.contacts.fetch(42) is None  # not even validated: the body is gone
    knockout.target = Knockout("link", "api", "call.getAvailableCodecs")
    assert await sdk.link.create({}).call.getAvailableCodecs("audio") == []


@pytest.mark.usefixtures("knocked")
async def test_a_knocked_out_event_is_dropped_or_emptied() -> None:
    client = sdk.cpaas.create({})
    seen: list[tuple[str, dict]] = []
    client.subscribe(lambda type_, params: seen.append((type_, params)))
    knockout.target = Knockout.parse("cpaas:event:call:start:drop")
    client.emit("call:start", {"callId": "1"})
    client.emit("call:receive", {"callId": "2"})
    knockout.target = Knockout.parse("cpaas:event:call:start:empty")
    client.emit("call:start", {"callId": "3"})
    await asyncio.sleep(0)  # delivery is on the next loop iteration
    assert seen == [("call:receive", {"callId": "2"}), ("call:start", {})]


def test_knockout_ids_round_trip() -> None:
    for text in ("cpaas:api:contacts.fetch", "link:event:devices:change:empty", "cpaas:event:call:start:drop"):
        assert Knockout.parse(text).id == text
    with pytest.raises(ValueError, match="ends with :drop or :empty"):
        Knockout.parse("cpaas:event:call:start")
