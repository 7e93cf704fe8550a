"""Network impairment: the packet model (loss, Gilbert-Elliott bursts, delay, jitter, bandwidth,
blackouts), the rules set through the control plane, and where they act on media (the relay and
the scripted endpoints' media edge)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.core.errors import InvalidInput
from fake_platform.core.faults import FaultRegistry
from fake_platform.core.ids import SeededRandom
from fake_platform.network import Impairment, Impairments, Shaper
from kandy_media.clock import Clock


def run(impairment: Impairment, packets: int, *, interval: float = 0.02, size: int = 200,
        seed: int = 7) -> list[float | None]:
    shaper = Shaper(impairment, 0.0, random.Random(seed))
    return [shaper.admit(size, i * interval) for i in range(packets)]


def loss_runs(outcomes: list[float | None]) -> list[int]:
    runs, current = [], 0
    for outcome in outcomes:
        if outcome is None:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    return runs


def test_random_loss_drops_the_share_asked_for_without_bursts() -> None:
    outcomes = run(Impairment(loss=5), 40_000)
    assert 0.045 < outcomes.count(None) / len(outcomes) < 0.055
    assert sum(loss_runs(outcomes)) / len(loss_runs(outcomes)) < 1.1  # isolated losses


def test_gilbert_elliott_loss_comes_in_bursts_of_the_mean_length() -> None:
    outcomes = run(Impairment(loss=5, burst=4), 40_000)
    assert 0.04 < outcomes.count(None) / len(outcomes) < 0.06
    runs = loss_runs(outcomes)
    assert 3.5 < sum(runs) / len(runs) < 4.5


def test_delay_and_jitter_stay_in_bounds_and_keep_the_order() -> None:
    departures = run(Impairment(delay=100, jitter=30), 2_000)
    lateness = [d - i * 0.02 for i, d in enumerate(departures)]  # type: ignore[operator]
    assert min(lateness) >= 0.070 - 1e-9 and max(lateness) <= 0.130 + 0.02
    assert departures == sorted(departures)  # type: ignore[type-var]
    assert max(lateness) - min(lateness) > 0.04  # it does vary


def test_a_bandwidth_cap_serialises_packets_and_drops_what_waits_too_long() -> None:
    # 1,000-byte packets every 10 ms (800 kbit/s) into a 400 kbit/s link with a 100 ms queue.
    departures = run(Impairment(bandwidth=400, queue=100), 200, interval=0.01, size=1000)
    sent = [d for d in departures if d is not None]
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert all(abs(g - 0.02) < 1e-9 for g in gaps)  # 8,000 bits at 400 kbit/s
    assert 0.45 < departures.count(None) / len(departures) < 0.55


def test_blackout_windows_drop_everything_inside_them_only() -> None:
    departures = run(Impairment(blackouts=((1.0, 0.5), (3.0, 1.0))), 250)
    lost = [i * 0.02 for i, d in enumerate(departures) if d is None]
    assert lost and all(1.0 <= t < 1.5 or 3.0 <= t < 4.0 for t in lost)
    assert len(lost) == 25 + 50


def registry() -> tuple[FaultRegistry, Impairments]:
    faults = FaultRegistry(Clock(), SeededRandom(1))
    return faults, Impairments(faults, Clock())


@pytest.mark.parametrize("bad, message", [
    ({"profile": "5G"}, "Unknown network profile"),
    ({"loss": 120}, "loss"),
    ({"loss": "5"}, "loss"),
    ({"delay": 10, "latency": 5}, "Unknown parameters"),
    ({"loss": 1, "direction": "up"}, "direction"),
    ({"loss": 1, "duration": 0}, "duration"),
    ({"loss": 1, "duration": 7200}, "duration"),
    ({"loss": 1, "count": 10}, "not a count"),
    ({"loss": 1, "match": {"channel": "x", "flavour": "y"}}, "match"),
    ({"blackouts": [[1, 0]]}, "blackout"),
    ({"blackouts": "soon"}, "blackouts"),
    ({}, "needs a profile or parameters"),
])
def test_bad_rules_are_refused_with_what_was_wrong(bad: dict[str, Any], message: str) -> None:
    faults, _ = registry()
    with pytest.raises(InvalidInput, match=message):
        faults.add("impairment", **bad)
    assert faults.list() == []


def test_the_newest_matching_rule_applies_in_its_direction_only() -> None:
    faults, rules = registry()
    everyone = faults.add("impairment", profile="3G")
    alice_up = faults.add("impairment", direction="send", loss=10, match={"user": "alice@example.com"})
    no_calls = frozenset[str]
    assert rules.match("alice@example.com", no_calls, "send", 0.0).id == alice_up.id
    assert rules.match("alice@example.com", no_calls, "receive", 0.0).id == everyone.id
    assert rules.match("bob@example.com", no_calls, "send", 0.0).id == everyone.id
    three_g = rules.match("bob@example.com", no_calls, "send", 0.0)
    assert three_g.send.bandwidth == 250 and three_g.receive.bandwidth == 750
    in_call = faults.add("impairment", loss=1, match={"call": "sess-1"})
    assert rules.match("bob@example.com", lambda: frozenset({"sess-1"}), "send", 0.0).id == in_call.id
    assert rules.match("bob@example.com", no_calls, "send", 0.0).id == everyone.id
    generation = rules.generation
    faults.remove(in_call.id)
    assert rules.generation != generation  # the paths look again


async def test_impairments_are_faults_of_the_control_plane_bounded_in_time(platform: Platform) -> None:
    async with aiohttp.ClientSession(platform.url) as http:
        async with http.post("/_platform/faults", json={"kind": "impairment", "profile": "poor wifi",
                                                        "duration": 5, "match": {"user": "a@example.com"},
                                                        "loss": 8}) as resp:
            assert resp.status == 201
            rule = await resp.json()
        assert rule["kind"] == "impairment" and rule["params"]["profile"] == "poor wifi"
        assert rule["params"]["loss"] == 8 and rule["params"]["direction"] == "both"
        assert 0 < rule["expiresIn"] <= 5 and rule["remaining"] is None
        [path_rule] = [platform.state.network.rules.match("a@example.com", frozenset, "send", 0.0)]
        assert (path_rule.send.loss, path_rule.send.burst, path_rule.send.bandwidth) == (8, 3, 2000)
        async with http.post("/_platform/faults", json={"kind": "impairment", "loss": 5, "count": 3}) as resp:
            assert resp.status == 400 and "not a count" in (await resp.json())["error"]["message"]
        async with http.post("/_platform/faults", json={"kind": "impairment", "jitter": -1}) as resp:
            assert resp.status == 400 and "jitter" in (await resp.json())["error"]["message"]
        async with http.get("/_platform/faults") as resp:
            assert [f["id"] for f in (await resp.json())["faults"]] == [rule["id"]]
        async with http.delete(f"/_platform/faults/{rule['id']}") as resp:
            assert resp.status == 204
    assert platform.faults.list() == []


async def test_an_endpoint_call_loses_its_media_during_a_blackout_and_gets_it_back(make_cpaas: Any,
                                                                                  platform: Platform) -> None:
    alice = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]})
    call_id = alice.call.make("+15550100500", {"audio": True})  # a PSTN number playing 500 Hz
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Connected")
    alice.media.renderTracks(alice.call.getById(call_id)["remoteTracks"], "#pstn")
    heard = alice.media.getContainer("#pstn")
    await heard.wait_until(lambda c: c.frames >= 10)
    rule = platform.faults.add("impairment", profile="blackout", direction="receive", duration=30,
                               match={"user": alice.account.user_id})
    assert await heard.frames_during(0.5) <= 3  # what was in flight
    platform.faults.remove(rule.id)
    after = heard.frames
    await heard.wait_until(lambda c: c.frames >= after + 15)  # it comes back
    [path] = [p for p in platform.state.calls.endpoints.calls_of(None)[0].edge if p.direction == "receive"]
    assert path.dropped >= 20
    await alice.call.end(call_id)


async def test_a_relayed_call_is_impaired_in_the_relay_for_the_user_named(make_cpaas: Any, platform: Platform) -> None:
    alice = await make_cpaas(services=["call"], relay=True, runtime={"codecs": ["PCMU"]})
    bob = await make_cpaas(services=["call"], relay=True, runtime={"codecs": ["PCMU"]})
    call_id = alice.call.make(bob.account.user_id, {"audio": True})
    incoming = await bob.recorder.wait("call:receive")
    await bob.recorder.wait("call:stateChange", lambda p: bob.call.getById(incoming["callId"])["state"] == "Ringing")
    bob.call.answer(incoming["callId"], {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Connected")
    bob.media.renderTracks(bob.call.getById(incoming["callId"])["remoteTracks"], "#alice")
    heard = bob.media.getContainer("#alice")
    await heard.wait_until(lambda c: c.frames >= 1)  # media is up: DTLS is done
    session = alice.call.engine.get(call_id).session_id
    paths = {(a.user, p.direction): p for a in platform.relay.allocations.values()
             for p in (a.to_peers, a.to_client) if p is not None}
    alice_send = paths[(alice.account.user_id, "send")]
    before = alice_send.sent + alice_send.dropped
    platform.faults.add("impairment", loss=20, direction="send", duration=30, match={"call": session,
                                                                                     "user": alice.account.user_id})
    await heard.wait_until(lambda c: c.frames >= 100)
    handled = alice_send.dropped + alice_send.sent - before
    assert alice_send.rule_id is not None and handled >= 60 and 0.08 < alice_send.dropped / handled < 0.35
    assert paths[(bob.account.user_id, "send")].dropped == 0
    assert paths[(alice.account.user_id, "receive")].dropped == 0
    await alice.call.end(call_id)
