"""Steps that show configuration keys taking effect (issue 14: ignoring a key that changes
behaviour must fail a scenario; ``make knockout`` ignores each key in turn to check)."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from fake_platform.core.faults import FaultKind
from sdk.errors import BasicError
from sdk.logger import LogEntry

from ..clients import Product
from ..world import World
from .calls import _call_of
from .common import parse_value
from .connectivity import _journal_user, _push
from .midcall import _sdp_received
from .sdk_core import ME


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


@then(parsers.parse("the SDP {name} received offers the {codec} codec"))
def sdp_offers_codec(world: World, name: str, codec: str) -> None:
    names = [c.name.lower() for m in _sdp_received(world, name).media for c in m.codecs()]
    assert codec.lower() in names, f"the SDP {name} received offers {sorted(set(names))}"


# -- logs ----------------------------------------------------------------------------------------
@when(parsers.re(r"I create an? (?P<product>cpaas|link) client with the logs (?P<logs>\{.*\}) and a recording action "
                 r"handler$"))
def create_with_logs(world: World, product: str, logs: str) -> None:
    """A client whose ``logs`` section is ``logs`` (at log level debug), action logs to a recorder."""
    section = parse_value(logs)
    section["logActions"] = {**section.get("logActions", {}), "handler": world.scenario.actions.append}
    world.create_client(ME, product, config={"logs": {"logLevel": "debug", **section}}, with_user=False)
    world.scenario.current = ME


def _action_entries(world: World, action: str) -> list[LogEntry]:
    """The recorded entries of the latest ``action`` log: its summary line and what follows it."""
    entries = list(world.scenario.actions)
    starts = [i for i, e in enumerate(entries) if e.messages and e.messages[0] == f"action {action}"]
    assert starts, f"no action {action} logged: {[e.messages[:1] for e in entries]}"
    following = entries[starts[-1] + 1:]
    ends = [i for i, e in enumerate(following) if e.messages and str(e.messages[0]).startswith("action ")]
    return [entries[starts[-1]], *following[:ends[0] if ends else None]]


@then(parsers.parse('the action handler received the action "{action}" split into one entry per detail'))
def action_split(world: World, action: str) -> None:
    """``logs.enableGrouping`` false: the summary alone, then one entry per detail (``action``,
    ``prevState``, ``nextState``) instead of one entry holding them all."""
    summary, *details = _action_entries(world, action)
    assert summary.messages == [f"action {action}"], summary.messages
    keys = [e.messages[0] for e in details]
    assert {"action", "prevState", "nextState"} <= set(keys), keys


@then(parsers.parse('the action handler received the action "{action}" at level {level}'))
def action_level(world: World, action: str, level: str) -> None:
    summary = _action_entries(world, action)[0]
    assert summary.level == level, f"the action {action} was logged at {summary.level}"


# -- ICE servers ----------------------------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+) is (?P<how>signed in to cpaas and subscribed to calls|connected to link), "
                  r"relaying (?:her|his) media through the platform's TURN server$"))
def relaying(world: World, name: str, how: str) -> None:
    """``call.iceServers`` names the platform's TURN server and ``iceTransportPolicy`` is ``relay``
    (``Platform.sdk_config(relay=...)``); the credentials come from the platform."""
    product = Product.LINK if how.endswith("link") else Product.CPAAS
    actor = world.create_client(name, product, config={"relay": "udp"})
    _ready_for_calls(world, name, product, actor)


def _ready_for_calls(world: World, name: str, product: Product, actor: Any) -> None:
    """A Link client connects; a CPaaS client signs in and subscribes to calls."""
    if product == Product.LINK:
        world.call(actor.client.connect, actor.credentials())
    else:
        world.sign_in(name)
        world.call(actor.client.services.subscribe, ["call"])


@then(parsers.parse("{name}'s media went through the platform's TURN server"))
def media_relayed(world: World, name: str) -> None:
    assert world.platform is not None and world.platform.relay is not None
    user = _journal_user(world, name)
    allocations = [a for a in world.call(world.platform.relay.dump)["allocations"] if a["user"] == user]
    assert allocations and all(a["packets_in"] > 0 and a["packets_out"] > 0 for a in allocations), allocations


# -- Link connection -------------------------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+) has a link client with (?P<config>\{.*\})$"))
def link_client_with(world: World, name: str, config: str) -> None:
    world.create_client(name, Product.LINK, config=parse_value(config))


@when(parsers.parse("{name} tries to connect"))
def tries_to_connect(world: World, name: str) -> None:
    actor = world.actor(name)
    world.attempt(actor.client.connect, actor.credentials())


@then("the connection failed")
def connection_failed(world: World) -> None:
    assert isinstance(world.last_error, BasicError), f"connect gave {world.last_error!r}"


@then("the registration failed")
def registration_failed(world: World) -> None:
    assert isinstance(world.last_error, BasicError), f"the registration gave {world.last_error!r}"


@then(parsers.parse("the platform has no websocket for {name}"))
def no_websocket(world: World, name: str) -> None:
    assert world.platform is not None
    opened = world.platform.journal(kind="ws-open", user=_journal_user(world, name))
    assert not opened, opened


@then(parsers.re(r"the platform opened (?P<name>\w+)'s websocket (?P<how>with|without) the (?P<key>\w+) query "
                 r"parameter$"))
def websocket_query(world: World, name: str, how: str, key: str) -> None:
    assert world.platform is not None
    opened = world.platform.journal(kind="ws-open", user=_journal_user(world, name), since=world.cause_seq)
    assert opened, f"the platform opened no websocket for {name}"
    keys = opened[-1]["detail"]["queryKeys"]
    assert (key in keys) == (how == "with"), f"{name}'s websocket URL has the query keys {keys}"


# -- SDP handlers ---------------------------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+) is (?P<how>signed in to cpaas and subscribed to calls|connected to link) with every "
                  r"codec, removing the codecs (?P<selectors>\[.*\]) with call.sdpHandlers$"))
def sdp_handlers_in_config(world: World, name: str, how: str, selectors: str) -> None:
    """A client whose ``call.sdpHandlers`` (configuration, not ``setSdpHandlers``) is a codec remover."""
    product = Product.LINK if how.endswith("link") else Product.CPAAS
    module = __import__(f"sdk.{product}", fromlist=["sdpHandlers"])
    remover = module.sdpHandlers.createCodecRemover(parse_value(selectors))
    actor = world.create_client(name, product, config={"call": {"sdpHandlers": [remover]},
                                                       "runtime": {"codecs": None}})
    _ready_for_calls(world, name, product, actor)


# -- notification de-duplication ------------------------------------------------------------------
@given(parsers.parse("the platform delivers every notification to {name} twice"))
def duplicates(world: World, name: str) -> None:
    assert world.platform is not None
    world.call(world.platform.faults.add, FaultKind.DUPLICATE_NOTIFICATIONS, duration=60,
               match={"user": _journal_user(world, name)})


@when(parsers.parse("the platform sends {name} a notification"))
def sends_notification(world: World, name: str) -> None:
    _push(world, name, "probe-twice")


@then(parsers.re(r"(?P<name>\w+)'s client (?P<how>takes both copies of it|drops its second copy as a duplicate)$"))
def both_copies(world: World, name: str, how: str) -> None:
    """``notifications.idCacheLength`` 0 turns de-duplication off: the second copy of a notification
    (same id) is taken again; with the cache on it is dropped as a duplicate."""
    recorder = world.actor(name).recorder
    first = world.run(recorder.wait_outcome(lambda o: o.outcome == "accepted" and "probe" in str(o.kind),
                                            expected=f"{name} to take the notification"))
    wanted = "accepted" if how.startswith("takes") else "duplicate"
    world.run(recorder.wait_outcome(lambda o: o is not first and o.event_id == first.event_id and o.outcome == wanted,
                                    expected=f"{name}'s second copy of the notification to be {wanted}"))


# -- ICE candidate collection (Link) --------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+) has a callme client whose STUN server never answers, with (?P<config>\{[^}]*\})"
                  r"(?P<check> and an iceCollectionCheck satisfied at its third call)?$"))
def silent_stun_client(world: World, request: pytest.FixtureRequest, name: str, config: str, check: str | None) -> None:
    """Candidate gathering would wait aioice's own 5 s for the STUN server: the ICE keys bound it."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    request.addfinalizer(silent.close)
    call = {"iceServers": [{"urls": f"stun:127.0.0.1:{silent.getsockname()[1]}"}], **parse_value(config)}
    if check:
        calls: list[int] = []

        def third_call(candidates: list[dict[str, Any]]) -> bool:
            calls.append(len(candidates))
            return len(calls) >= 3

        call["iceCollectionCheck"] = third_call
    world.create_client(name, Product.LINK, config={"call": call}, with_user=False)


@then(parsers.re(r"(?P<name>\w+)'s candidate collection for the call ended by (?P<reason>timeout|check) within "
                 r"(?P<ms>\d+) ms$"))
def collection_ended(world: World, name: str, reason: str, ms: str) -> None:
    """``maxIceTimeout`` bounds the collection; ``iceCollectionCheck``, run every ``iceCollectionDelay``,
    may end it earlier (kandy_media.ice)."""
    engine = world.actor(name).client.call.engine
    gathering = world.call(engine.get, _call_of(world, name)).peer.last_gathering
    assert gathering["reason"] == reason and gathering["ms"] < int(ms), gathering
