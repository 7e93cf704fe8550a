"""Call ladder diagrams: the rungs a call's journal gives, and the standalone SVG the platform serves."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.calls.models import CallSession, Leg, LegDoor, Role
from fake_platform.ui import service
from fake_platform.ui.ladder import PLATFORM, Style, build_ladder, notification_name
from fake_platform.ui.svg import ladder_svg

SVG = "{http://www.w3.org/2000/svg}"
PCMU = {"codecs": ["PCMU"]}


def rungs(ladder: Any) -> list[tuple[str, str, str, str]]:
    """Each rung as (from, to, label, style), response times left out (they vary)."""
    return [(r.source, r.target, re.sub(r"· \d+ ms$", "· ms", r.label), str(r.style)) for r in ladder.rungs]


async def connected(client: Any, call_id: str) -> None:
    await client.recorder.wait("call:stateChange", lambda p: client.call.getById(call_id)["state"] == "Connected")


async def test_a_call_to_an_endpoint_climbs_the_ladder_in_order(platform: Platform, make_cpaas: Any) -> None:
    alice = await make_cpaas(services=["call"], runtime=PCMU)
    call_id = alice.call.make("echo@example.com", {"audio": True})
    await connected(alice, call_id)
    await alice.call.end(call_id)
    leg = alice.call.engine.get(call_id).session_id
    dashboard = platform.state.dashboard
    session = dashboard.session(leg)
    assert session is not None and dashboard.session(session.id) is session
    echo = session.callees[0].id
    assert rungs(dashboard.ladder(session)) == [
        (leg, PLATFORM, "POST …/sessions", "request"),
        (PLATFORM, PLATFORM, "start (caller)", "note"),
        (PLATFORM, leg, "201 · ms", "response"),
        (PLATFORM, echo, "invite", "event"),
        (echo, PLATFORM, "ringing", "event"),
        (PLATFORM, leg, "Event Ringing", "notification"),
        (echo, PLATFORM, "answer", "event"),
        (PLATFORM, leg, "Acceptance", "notification"),
        (leg, PLATFORM, "DELETE …/sessions/{id}", "request"),
        (PLATFORM, PLATFORM, "end (caller)", "note"),
        (PLATFORM, leg, "204 · ms", "response"),
    ]


async def test_a_call_between_two_products_shows_both_parties_requests(platform: Platform, make_cpaas: Any,
                                                                       make_link: Any) -> None:
    bob_user = await platform.users.create()
    bob = await make_link(bob_user, connect=True, runtime=PCMU)
    alice = await make_cpaas(services=["call"], runtime=PCMU)
    call_id = alice.call.make(bob_user.user_id, {"audio": True})
    incoming = await bob.recorder.wait("call:receive")
    bob_call = incoming["callId"]
    await bob.recorder.wait("call:stateChange", lambda p: bob.call.getById(bob_call)["state"] == "Ringing")
    await bob.call.answer(bob_call, {"audio": True})
    await connected(alice, call_id)
    alice_leg = alice.call.engine.get(call_id).session_id
    bob_leg = bob.call.engine.get(bob_call).session_id
    ladder = platform.state.dashboard.ladder(platform.state.dashboard.session(bob_leg))  # type: ignore[arg-type]
    assert [p.key for p in ladder.parties] == [alice_leg, PLATFORM, bob_leg]
    assert [p.detail for p in ladder.parties] == ["cpaas caller", "call " + ladder.call_id, "link callee"]
    drawn = rungs(ladder)
    assert drawn.index((PLATFORM, bob_leg, "call", "notification")) < \
        drawn.index((bob_leg, PLATFORM, "PUT ringing", "request")) < \
        drawn.index((PLATFORM, alice_leg, "Event Ringing", "notification")) < \
        drawn.index((bob_leg, PLATFORM, "PUT callAnswer", "request")) < \
        drawn.index((PLATFORM, alice_leg, "Acceptance", "notification"))
    times = [r.at for r in ladder.rungs]
    assert times == sorted(times)
    await alice.call.end(call_id)


def _leg(leg_id: str, role: Role, door: LegDoor = LegDoor.CPAAS) -> Leg:
    return Leg(id=leg_id, owner=leg_id + "@example.com", front_door=door, role=role, address=leg_id + "@example.com",
               name=None, channel=None)  # type: ignore[arg-type]


def _session() -> CallSession:
    caller, callee = _leg("sess-a-1", Role.CALLER), _leg("sess-b-2", Role.CALLEE)
    return CallSession(id="call-x-1", caller=caller, callees=[callee], created_at=0.0)


def _call_entry(seq: int, leg: str, event: str) -> dict[str, Any]:
    return {"seq": seq, "mono": seq / 10, "kind": "call", "detail": {"session": "call-x-1", "leg": leg, "event": event}}


def test_only_whole_leg_ids_and_the_calls_own_span_make_rungs() -> None:
    session = _session()
    entries = [
        {"seq": 1, "mono": 0.0, "kind": "ws-out", "body": {"n": {"href": "/s/sess-a-1"}}},  # before the call
        _call_entry(2, "sess-a-1", "start"),
        {"seq": 3, "mono": 0.3, "kind": "ws-out", "body": {"n": {"href": "/s/sess-a-12"}}},  # another call's leg
        {"seq": 4, "mono": 0.4, "kind": "ws-out", "body": {"wrtcsEventNotification": {"href": "/s/sess-b-2",
                                                                                       "eventType": "Cancelled"}}},
        {"seq": 5, "mono": 0.5, "kind": "http", "method": "PUT", "path": "/x/sessions/sess-b-2/status",
         "status": 409, "duration_ms": 12.0, "user": "sess-b-2@example.com"},
        {"seq": 6, "mono": 0.6, "kind": "fault", "body": {"wrtcsEventNotification": {"href": "/s/sess-a-1"}},
         "detail": {"action": "drop_notification"}},
    ]
    ladder = build_ladder(session, entries)
    assert rungs(ladder) == [
        (PLATFORM, PLATFORM, "start (caller)", "note"),
        (PLATFORM, "sess-b-2", "Event Cancelled", "notification"),
        ("sess-b-2", PLATFORM, "PUT …/status", "request"),
        (PLATFORM, "sess-b-2", "409 · ms", "fault"),
        (PLATFORM, "sess-a-1", "✕ Event (drop notification)", "fault"),
    ]
    assert ladder.rungs[2].at == 0.5 - 0.012  # a request is drawn when it was sent, its response when answered
    assert ladder.rungs[3].label == "409 · 12 ms"


def test_a_notification_the_journal_cut_short_keeps_its_name() -> None:
    cut = ('{"notificationMessage": {"eventType": "call", "sessionParams": {"sessionData": "sess-b-2", '
           '"sdp": "v=0... (9000 chars)')
    assert notification_name(cut) == "call"
    assert notification_name('{"wrtcsSessionInvitationNotification": {"link": [... (9000 chars)') == "SessionInvitation"
    assert notification_name("not a frame") == "notification"


def test_the_svg_is_standalone_and_draws_every_rung() -> None:
    session = _session()
    ladder = build_ladder(session, [_call_entry(1, "sess-a-1", "start"),
                                    {"seq": 2, "mono": 0.25, "kind": "ws-out",
                                     "body": {"notificationMessage": {"eventType": "call<&>",
                                                                      "sessionParams": {"sessionData": "sess-b-2"}}}}])
    root = ET.fromstring(ladder_svg(ladder))  # well-formed XML: escaped labels, no script
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    assert not list(root.iter(SVG + "script"))
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert "call<&>" in texts and "start (caller)" in texts and "+150 ms" in texts
    assert {g.get("class") for g in root.iter(SVG + "g")} >= {"party", "note", str(Style.NOTIFICATION)}


async def test_the_platform_serves_a_calls_ladder_as_svg(platform: Platform, make_cpaas: Any) -> None:
    alice = await make_cpaas(services=["call"], runtime=PCMU)
    call_id = alice.call.make("busy@example.com", {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Ended")
    leg = alice.call.engine.get(call_id).session_id
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{platform.url}/_platform/calls/{leg}/ladder.svg") as response:
            assert response.status == 200 and response.content_type == "image/svg+xml"
            root = ET.fromstring(await response.text())
        async with http.get(f"{platform.url}/_platform/calls/sess-nobody/ladder.svg") as missing:
            assert missing.status == 404
            assert (await missing.json())["error"]["message"] == "No call with session sess-nobody"
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert texts.index("POST …/sessions") < texts.index("reject") < texts.index("Event SessionEnded")


@pytest.mark.platform(ended_call_ttl=0.0, sweep_interval=0.05)
async def test_the_dashboard_forgets_where_the_calls_the_platform_forgot_began(
        platform: Platform, make_cpaas: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "FORGET_SLACK", 4)  # prune early: 30 calls show it
    alice = await make_cpaas(services=["call"], runtime=PCMU)
    made = 30
    for _ in range(made):
        call_id = alice.call.make("busy@example.com", {"audio": True})
        await alice.recorder.wait("call:stateChange", lambda p, c=call_id: alice.call.getById(c)["state"] == "Ended")
    dashboard = platform.state.dashboard
    assert len(dashboard._first_seq) < made  # the sessions the router forgot were forgotten here too
    # A call the platform still knows keeps its ladder from its first rung.
    call_id = alice.call.make("echo@example.com", {"audio": True})
    await connected(alice, call_id)
    session = dashboard.session(alice.call.engine.get(call_id).session_id)
    assert session is not None and rungs(dashboard.ladder(session))[0][2] == "POST …/sessions"
    await alice.call.end(call_id)


async def test_a_request_starts_before_what_it_caused_however_slow_the_clock_readings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A request's rung is drawn at its entry's stamp minus its duration: both must come from one
    clock, or time passing between the two readings (a thread switch under load) draws the request
    after the call event it caused. Here every reading of the platform's clock passes 50 ms."""
    from fake_platform.core.clock import PlatformClock
    from tests.platform_world import build

    readings = iter(range(1, 10_000_000))
    real = PlatformClock.monotonic
    monkeypatch.setattr(PlatformClock, "monotonic", lambda self: real(self) + 0.05 * next(readings))
    async with Platform() as platform:
        world = await build(platform)  # B's call among much else: POST .../sessions, the router's start
        await world.session.close()
        entries = platform.journal()
    start = next(e for e in entries if e["kind"] == "call" and (e.get("detail") or {}).get("event") == "start")
    post = next(e for e in entries if e["kind"] == "http" and e["seq"] > start["seq"])
    assert post["method"] == "POST" and post["path"].endswith("/sessions")
    assert post["mono"] - post["duration_ms"] / 1000 < start["mono"], "the request drawn after what it caused"
