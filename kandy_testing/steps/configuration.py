"""Steps that show configuration keys taking effect (issue 14: ignoring a key that changes
behaviour must fail a scenario; ``make knockout`` ignores each key in turn to check)."""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_bdd import given, parsers, then, when

from ..world import World
from .calls import _call_of
from .common import parse_value
from .connectivity import _journal_user


def _requests(world: World, method: str, path: str, name: str) -> list[dict[str, Any]]:
    """``name``'s requests matching ``method`` and ``path`` since the latest cause."""
    assert world.platform is not None
    entries = world.platform.journal(kind="http", method=method, path=path, since=world.cause_seq)
    user = _journal_user(world, name)
    return [e for e in entries if re.search(path, e["path"]) and (user is None or e.get("user") == user)]


def _values_of(body: Any, field: str) -> list[Any]:
    """Every value of ``field`` anywhere in a JSON request body."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return []
    if isinstance(body, dict):
        return [v for k, v in body.items() if k == field] + [x for v in body.values() for x in _values_of(v, field)]
    if isinstance(body, list):
        return [x for item in body for x in _values_of(item, field)]
    return []


@then(parsers.parse("{name} has no TURN credentials"))
def has_no_turn(world: World, name: str) -> None:
    credentials = world.actor(name).client.turn_credentials
    assert not credentials, f"{name} has TURN credentials {credentials}"


@then(parsers.parse('the platform received no "{method}" on "{path}" from {name}'))
def platform_received_none(world: World, method: str, path: str, name: str) -> None:
    found = _requests(world, method, path, name)
    assert not found, f"{name} sent {method} {path}: {[(e['path'], e['status']) for e in found]}"


@then(parsers.re(r'the platform received "(?P<method>\w+)" on "(?P<path>[^"]+)" from (?P<name>\w+) with '
                 r"(?P<field>\w+) (?P<value>\S+)$"))
def platform_received_with(world: World, method: str, path: str, name: str, field: str, value: str) -> None:
    found = _requests(world, method, path, name)
    values = [v for e in found for v in _values_of(e.get("body"), field)]
    assert parse_value(value) in values, f"{name}'s {method} {path}: {field} was {values} (requests: {len(found)})"


@given(parsers.parse('the platform delays "{method}" on "{path}" by {ms:d} ms'))
def delays(world: World, method: str, path: str, ms: int) -> None:
    assert world.platform is not None
    world.call(world.platform.faults.add, "latency", duration=60, match={"method": method, "path": path}, ms=ms)



@when(parsers.re(r"the platform asks (?P<name>\w+) for a fresh offer, as a media broker re-anchoring the call does$"))
def asks_for_offer(world: World, name: str) -> None:
    assert world.platform is not None
    actor = world.actor(name)
    session = world.call(actor.client.call.engine.get, _call_of(world, name)).session_id
    world.run(world.platform.request_offer(session))


def _sdps_sent(world: World, name: str, since: int = 0) -> list[str]:
    """Every SDP ``name``'s client sent the platform in a request body since journal entry ``since``."""
    assert world.platform is not None
    user = _journal_user(world, name)
    return [sdp for e in world.platform.journal(kind="http", since=since) if user is None or e.get("user") == user
            for sdp in _values_of(e.get("body"), "sdp") if isinstance(sdp, str) and "a=fingerprint" in sdp]


def _media_session(sdp: str) -> tuple[str, str]:
    """What identifies a PeerConnection in its SDP: the DTLS fingerprint and the ICE username fragment."""
    found = dict(re.findall(r"^a=(fingerprint|ice-ufrag):(.*?)\r?$", sdp, re.MULTILINE))
    return found.get("fingerprint", ""), found.get("ice-ufrag", "")


@then(parsers.re(r"(?P<name>\w+)'s fresh offer (?P<outcome>keeps|replaces) (?:her|his) media session$"))
def fresh_offer(world: World, name: str, outcome: str) -> None:
    """Asked for a fresh offer (slow start), ``name`` keeps the PeerConnection when the call is anchored
    on a media broker (``call.mediaBrokerOnly``: same DTLS certificate and ICE credentials as before),
    and makes a new one otherwise (the link wire notes, ``startCallUpdate`` without SDP)."""
    before, after = _sdps_sent(world, name, 0), _sdps_sent(world, name, world.cause_seq)
    assert after, f"{name} sent no offer after the request"
    assert len(before) > len(after), f"{name} sent no SDP before the request"
    first, fresh = _media_session(before[0]), _media_session(after[-1])
    assert (first == fresh) == (outcome == "keeps"), f"{name}'s first SDP had {first}, the fresh offer has {fresh}"
