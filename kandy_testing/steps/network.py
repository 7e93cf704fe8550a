"""Steps about the network under calls: relaying media through the platform, impairing a user's
network (named profiles, loss, blackouts) and measuring call quality (E-model MOS from getStats,
gaps in what was played).

Impairments are faults of kind ``impairment`` for the user's media (fake_platform/network): they act
where media passes through the platform, in its TURN relay and at the scripted endpoints, so a call
between two clients is impaired only when it is relayed ("Alice relays her calls through the
platform"). Measures are taken over a window that starts with the step: what happened after it.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pytest_bdd import given, parsers, then, when

from kandy_media.quality import StreamQuality, call_quality

from ..world import World
from .calls import _call_of, _container, wait_for_media

IMPAIRMENT_SECONDS = 600.0  # a Given network lasts the scenario (the platform is the scenario's)
MEASURE_PACKETS = 100  # audio packets a quality window spans (2 s at 20 ms)
MEASURE_SECONDS = 2.0  # media time a playout window spans
MEASURE_TIMEOUT = 20.0
TONE_SHARE = 0.5  # of the window's spectral energy, for "hears X's tone"


def _user_id(world: World, name: str) -> str:
    user = world.actor(name).user
    assert user is not None, f"{name} has no platform user"
    return user.user_id


def _impair(world: World, name: str, duration: float = IMPAIRMENT_SECONDS, **params: Any) -> None:
    assert world.platform is not None
    world.call(world.platform.faults.add, "impairment", duration=duration, match={"user": _user_id(world, name)},
               **params)


# -- the path media takes ----------------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+) relays (?:her|his|their) calls through the platform"
                  r"(?: over (?P<transport>udp|tcp))?$"))
def relays_calls(world: World, name: str, transport: str | None) -> None:
    """Relay-only ICE through the platform's TURN relay (credentials come from the platform)."""
    assert world.platform is not None
    client = world.actor(name).client
    url = world.platform.turn_url(transport or "udp")
    world.call(client.updateConfig, {"call": {"iceServers": [{"urls": url}], "iceTransportPolicy": "relay"}})
    assert client.getConfig()["call"]["iceTransportPolicy"] == "relay"


@then(parsers.parse("{name}'s media goes through the relay"))
def media_through_relay(world: World, name: str) -> None:
    client = world.actor(name).client
    call_id = _call_of(world, name)

    async def stats_now() -> dict[str, Any]:
        return dict(await client.call.getStats(call_id))

    stats = world.run(stats_now())
    pair = next((s for s in stats.values() if s.get("type") == "candidate-pair" and s.get("nominated")), None)
    assert pair is not None, "no selected candidate pair in getStats"
    assert stats[pair["localCandidateId"]]["candidateType"] == "relay", stats[pair["localCandidateId"]]
    assert world.platform is not None and world.platform.relay is not None
    mine = [a for a in world.platform.relay.allocations.values() if a.user == _user_id(world, name)]
    assert any(a.counters.packets_in and a.counters.packets_out for a in mine), [a.to_dict(0) for a in mine]


# -- impairments -------------------------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+)'s network is (?P<profile>3G|4G|poor 3G|poor wifi|satellite)$"))
def network_profile(world: World, name: str, profile: str) -> None:
    _impair(world, name, profile=profile)


@given(parsers.re(r"(?P<name>\w+)'s network loses (?P<loss>\d+(?:\.\d+)?) % of packets"
                  r"(?: in bursts of (?P<burst>\d+) packets)?$"))
@when(parsers.re(r"(?P<name>\w+)'s network loses (?P<loss>\d+(?:\.\d+)?) % of packets"
                 r"(?: in bursts of (?P<burst>\d+) packets)?$"))
def network_loss(world: World, name: str, loss: str, burst: str | None) -> None:
    _impair(world, name, loss=float(loss), **({"burst": float(burst)} if burst else {}))


@when(parsers.re(r"(?P<name>\w+)'s network blacks out for (?P<seconds>\d+(?:\.\d+)?) s$"))
def blackout(world: World, name: str, seconds: str) -> None:
    """Nothing gets through either way for ``seconds``; the step returns at once."""
    _impair(world, name, duration=float(seconds), profile="blackout")


# -- measures ----------------------------------------------------------------------------------
def measure(world: World, name: str, packets: int = MEASURE_PACKETS) -> dict[str, StreamQuality]:
    """Call quality of ``name``'s call over the next ``packets`` audio packets (getStats before and
    after; the stats have no events, so they are read again until enough packets passed)."""
    client = world.actor(name).client
    call_id = _call_of(world, name)

    async def window() -> dict[str, StreamQuality]:
        before = await client.call.getStats(call_id)
        async with asyncio.timeout(MEASURE_TIMEOUT):
            while True:
                await asyncio.sleep(0.25)  # a polling interval, not a synchronisation
                after = await client.call.getStats(call_id)
                quality = call_quality(after, before)
                if "inbound" in quality and quality["inbound"].packets >= packets:
                    return quality

    return world.run(window(), MEASURE_TIMEOUT + 5)


@then(parsers.re(r"(?P<name>\w+)'s audio MOS is at least (?P<score>\d(?:\.\d+)?)"
                 r"(?: (?P<direction>sending|receiving))?$"))
def audio_mos(world: World, name: str, score: str, direction: str | None) -> None:
    """The E-model MOS of what ``name`` hears (``receiving``, the default) or of what the far end
    reports hearing from ``name`` (``sending``), over the next two seconds of audio."""
    quality = measure(world, name)
    stream = quality["outbound" if direction == "sending" else "inbound"]
    assert stream.mos >= float(score), f"{name}'s {stream.direction} audio: {stream.to_dict()}"


def _hears_with_gaps(world: World, listeners: dict[str, float], gaps: float) -> None:
    """Over the next two seconds of media each listener plays (measured side by side), its
    frequency dominates and at most ``gaps`` % of the media time was missing or silent."""
    since = time.monotonic()

    def enough(container: Any) -> bool:
        return any(r.media_seconds(since) >= MEASURE_SECONDS for r in container.audio())

    with ThreadPoolExecutor(len(listeners)) as waits:  # each wait blocks its thread: all at once
        for done in [waits.submit(wait_for_media, world, name, enough, MEASURE_TIMEOUT,
                                  expected=f"{name} to play {MEASURE_SECONDS:g} s of audio")
                     for name in listeners]:
            done.result()
    for name, frequency in listeners.items():
        render = max(_container(world, name).audio(), key=lambda r: r.media_seconds(since))
        share, missing = render.level_at(frequency), 100.0 * render.audio_gaps(since)
        assert share >= TONE_SHARE, f"{name} does not hear {frequency:g} Hz ({share:.0%} of the energy)"
        assert missing <= gaps, f"{name} heard {frequency:g} Hz with {missing:.1f} % gaps (at most {gaps:g} %)"


@then(parsers.re(r"(?P<name>\w+) hears (?P<other>\w+)'s tone(?: again)? with at most (?P<gaps>\d+(?:\.\d+)?) % gaps$"))
def hears_tone_with_gaps(world: World, name: str, other: str, gaps: str) -> None:
    _hears_with_gaps(world, {name: world.actor(other).tone}, float(gaps))


@then(parsers.re(r"(?P<name>\w+) and (?P<other>\w+) hear each other(?: again)? with at most "
                 r"(?P<gaps>\d+(?:\.\d+)?) % gaps$"))
def hear_each_other_with_gaps(world: World, name: str, other: str, gaps: str) -> None:
    _hears_with_gaps(world, {name: world.actor(other).tone, other: world.actor(name).tone}, float(gaps))


@then(parsers.re(r"(?P<name>\w+) hears a (?P<frequency>\d+) Hz tone with at most (?P<gaps>\d+(?:\.\d+)?) % gaps$"))
def hears_frequency_with_gaps(world: World, name: str, frequency: str, gaps: str) -> None:
    _hears_with_gaps(world, {name: float(frequency)}, float(gaps))
