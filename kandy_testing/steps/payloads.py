"""Steps that check an event's payload has its documented fields (issue 14: an event emitted with an
empty payload must fail a scenario; ``make knockout`` empties each event in turn to check)."""

from __future__ import annotations

from pytest_bdd import parsers, then

from ..world import World
from .midcall import _local_track

EMPTY = (None, "", [], {})


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" with the fields (?P<fields>\w+(?:, \w+)*)$'))
def receives_with_fields(world: World, name: str, event: str, fields: str) -> None:
    wanted = [f.strip() for f in fields.split(",")]
    params = world.wait_event(name, event)
    missing = [f for f in wanted if params.get(f) in EMPTY]
    assert not missing, f"{name}'s {event} lacks {missing} (documented fields {wanted}): {params}"


@then(parsers.parse("{name} receives the statistics of {pronoun} {kind} track only"))
def track_stats_only(world: World, name: str, pronoun: str, kind: str) -> None:
    """``call.getStats(callId, trackId)``: the report is that track's (its sender's RTP stream), not the
    call's (which also has the received streams and the other kinds)."""
    track = _local_track(world, name, kind)
    params = world.wait_event(name, "call:statsReceived", lambda p: p.get("trackId") == track,
                              expected=f"{name} to receive the statistics of the track {track}")
    streams = [s for s in params["result"].values() if str(s.get("type", "")).endswith("-rtp")
               and not str(s.get("type", "")).startswith("remote-")]
    assert streams, f"the report of {track} has no RTP stream: {sorted(params['result'])}"
    others = [(s["type"], s.get("kind")) for s in streams if s["type"] != "outbound-rtp" or s.get("kind") != kind]
    assert not others, f"the report of {name}'s {kind} track {track} has other streams: {others}"
    assert all(s.get("packetsSent", 0) > 0 for s in streams), streams
