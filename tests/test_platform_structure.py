"""The platform's house: registered services, front doors with their own error formats, typed
fault specs, protocol timings with a progression, and README tables generated from the code."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from fake_platform import Platform, docs
from fake_platform.core.errors import InvalidInput
from fake_platform.core.faults import SPECS, FaultKind, FaultRegistry
from fake_platform.core.progress import Progress, Progression, Timings
from fake_platform.registry import Service, all_routes, build_order, discover
from fake_platform.routing import Door, cpaas, in_matching_order


async def _handler(request: Any) -> Any:
    return None


# -- registry ------------------------------------------------------------------------------------
def test_every_service_package_is_discovered_with_its_routes() -> None:
    packages = {p.name: p for p in discover()}
    assert {"auth", "calls", "channels", "control", "link", "messaging", "push", "turn"} <= set(packages)
    paths = {(r.method, r.path) for r in all_routes()}
    assert ("POST", "/cpaas/auth/v1/token") in paths
    assert ("GET", "/_platform/progress") in paths


def test_services_are_built_after_what_they_need() -> None:
    def build(core: Any, **_: Any) -> None:
        return None

    order = build_order([Service("c", build, needs=("b",)), Service("a", build), Service("b", build, needs=("a",))])
    assert [s.name for s in order] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        build_order([Service("a", build, needs=("b",)), Service("b", build, needs=("a",))])
    with pytest.raises(ValueError, match="needs 'nobody'"):
        build_order([Service("a", build, needs=("nobody",))])


def test_literal_segments_are_matched_before_variables() -> None:
    variable = cpaas.get("/cpaas/chat/{ver}/{user}/group/{group}", _handler)
    literal = cpaas.get("/cpaas/chat/{ver}/{user}/group/sessions", _handler)
    assert in_matching_order([variable, literal]) == [literal, variable]


def test_a_route_must_sit_under_its_door() -> None:
    with pytest.raises(ValueError, match="not under its door's prefix /cpaas"):
        cpaas.get("/rest/version/1/user/x/subscription", _handler)


# -- doors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "status", "key"), [
    ("GET", "/cpaas/nothing/here", 404, "requestError"),
    ("GET", "/cpaas/auth/v1/nothing", 404, "error_description"),
    ("GET", "/rest/version/1/user/alice/nothing", 404, "statusCode"),
    ("GET", "/_platform/nothing", 404, "error"),
    ("GET", "/elsewhere", 404, "error"),
    ("DELETE", "/_platform/health", 405, "error"),
])
async def test_each_door_renders_its_own_errors(platform: Platform, method: str, path: str, status: int,
                                                key: str) -> None:
    async with aiohttp.ClientSession() as session, session.request(method, platform.url + path) as resp:
        body = await resp.json()
    assert resp.status == status
    assert key in (body["googleDeviceRegistrationResponse"] if "googleDeviceRegistrationResponse" in body else body)


async def test_a_link_error_comes_in_its_routes_wrapper(platform: Platform) -> None:
    url = f"{platform.url}/rest/version/1/user/nobody/push/google/devices"
    async with aiohttp.ClientSession() as session, session.post(url, json={}) as resp:
        body = await resp.json()
    assert resp.status == 401
    assert set(body) == {"googleDeviceRegistrationResponse"}


# -- typed faults --------------------------------------------------------------------------------
class _Clock:
    def monotonic(self) -> float:
        return 0.0


class _Ids:
    def id(self, prefix: str) -> str:
        return prefix + "-1"


def test_fault_parameters_get_their_one_default() -> None:
    registry = FaultRegistry(_Clock(), _Ids())
    assert registry.add("latency").params == {"ms": 1000}
    assert registry.add("delay_notifications", ms=5).params == {"ms": 5}
    assert registry.add(FaultKind.HTTP_ERROR).params["status"] == 503
    assert registry.add("refuse_upgrades").params == {"status": 503}


@pytest.mark.parametrize(("kind", "params", "message"), [
    ("latency", {"delay": 300}, "Unknown parameters ['delay'] for fault kind latency; it takes ['ms']"),
    ("http_error", {"status": "abc"}, "status must be an integer, got 'abc'"),
    ("http_error", {"status": 200}, "status must be in [400, 599], got 200"),
    ("keepalive_blackout", {"ms": 5}, "it takes none"),
    ("latency", {"ms": True}, "ms must be an integer or a number"),
    ("no_such_kind", {}, "Unknown fault kind no_such_kind"),
])
def test_bad_fault_parameters_are_refused(kind: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        FaultRegistry(_Clock(), _Ids()).add(kind, **params)
    assert message in refused.value.message


async def test_the_control_plane_answers_a_misspelt_fault_parameter_with_400(platform: Platform) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{platform.url}/_platform/faults", json={"kind": "latency", "delay": 300}) as resp:
            body = await resp.json()
    assert resp.status == 400
    assert "Unknown parameters ['delay']" in body["error"]["message"]
    assert platform.faults.list() == []


def test_every_fault_kind_has_a_spec() -> None:
    assert set(SPECS) == set(FaultKind)


# -- progress ------------------------------------------------------------------------------------
async def test_manual_progression_holds_transitions_until_advanced() -> None:
    progress = Progress(Timings(), Progression.MANUAL)
    fired: list[str] = []
    progress.later("relay_delay", lambda: fired.append("relay"))
    withdrawn = progress.later("ivr_answer_delay", lambda: fired.append("ivr"))
    withdrawn.cancel()
    assert progress.pending() == ["relay_delay"] and fired == []
    assert progress.advance("relay_delay") == 1
    assert fired == ["relay"] and progress.pending() == []


async def test_immediate_progression_skips_the_wait() -> None:
    progress = Progress(Timings(no_answer_timeout=3600), Progression.IMMEDIATE)
    await progress.wait("no_answer_timeout")  # the test's timeout would fail it otherwise
    assert progress.pending() == []


@pytest.mark.media
@pytest.mark.platform(progression="manual")
async def test_a_rejecting_endpoint_declines_only_when_the_test_advances_it(platform: Platform,
                                                                             make_cpaas: Any) -> None:
    alice = await make_cpaas(services=["call"])
    call_id = alice.call.make(f"reject@{platform.state.config.domain}", {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Initiated",
                              timeout=10)
    assert platform.pending_transitions() == ["relay_delay"]  # the invitation itself waits
    platform.advance("relay_delay")
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Ringing",
                              timeout=10)
    assert "reject_delay" in platform.pending_transitions()
    mark = alice.recorder.mark
    assert platform.advance("reject_delay") == 1
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Ended",
                              timeout=10, since=mark)


async def test_timings_can_change_at_run_time_through_the_control_plane(platform: Platform) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.put(f"{platform.url}/_platform/progress", json={"ivr_answer_delay": 0.5}) as resp:
            body = await resp.json()
        async with session.put(f"{platform.url}/_platform/progress", json={"ivr_answer": 1}) as refused:
            assert refused.status == 400
    assert resp.status == 200 and body["timings"]["ivr_answer_delay"] == 0.5
    assert platform.timings.ivr_answer_delay == 0.5


# -- generated documentation -----------------------------------------------------------------------
def test_readme_platform_tables_are_current() -> None:
    assert docs.main(["--check"]) == 0


def test_the_control_plane_table_lists_every_control_route() -> None:
    table = docs.control_plane_table()
    for route in (r for r in all_routes() if r.door == Door.CONTROL):
        assert f"`{route.method} {route.path}`" in table
        assert route.summary, f"{route.method} {route.path}: its handler needs a docstring"
