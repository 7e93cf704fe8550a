"""Steps about calls and their media: placing, answering, holding, muting, ending, what is heard."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pytest_bdd import given, parsers, then, when

from sdk.errors import BasicError

from ..clients import Product
from ..waiting import WaitTimeout
from ..world import NO_PLATFORM, World, observes, sets_up
from .values import CALL_MEDIA, CALL_OPERATION, CALL_STATE, ENDPOINT, HOLD_FLAG, CallState, HoldFlag, UnknownValue

FREQUENCY_TOLERANCE = 15.0  # Hz: PCMU at 8 kHz over a half-second window resolves about 2 Hz
SILENCE_RMS = 0.01
HOLD_WINDOW = 0.6  # seconds of observation


def _call_of(world: World, name: str) -> str:
    actor = world.actor(name)
    assert actor.call_id is not None, f"{name} has no call"
    return actor.call_id


def _state(world: World, name: str) -> str | None:
    call = world.call(world.actor(name).client.call.getById, _call_of(world, name))
    return None if call is None else call["state"]


def wait_state(world: World, name: str, wanted: CallState, timeout: float = 15.0) -> None:
    """``name``'s call is in ``wanted`` now, or gets there within ``timeout`` (a state, not an event)."""
    actor = world.actor(name)
    call_id = _call_of(world, name)

    def current() -> str | None:
        call = actor.client.call.getById(call_id)
        return None if call is None else call["state"]

    world.run(actor.recorder.changes.until(lambda: True if current() == wanted else None, timeout=timeout,
                                           expected=f"{name}'s call to be {wanted!r}",
                                           evidence=lambda: f"it is {current()!r}"), timeout + 5)


def wait_transition(world: World, name: str, wanted: CallState, timeout: float = 15.0) -> None:
    """``name``'s call changes state after the latest cause and is then in ``wanted``."""
    client = world.actor(name).client
    call_id = _call_of(world, name)
    world.wait_event(name, "call:stateChange",
                     lambda p: p["callId"] == call_id and client.call.getById(call_id)["state"] == wanted,
                     timeout=timeout, expected=f"{name}'s call to become {wanted!r}")


# -- getting ready -----------------------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+) is signed in to cpaas and subscribed to calls(?P<every> with every codec)?$"))
@sets_up
def cpaas_ready(world: World, name: str, every: str | None = None) -> None:
    """Signed in and subscribed to "call" only (with every codec: the SDK's whole list, not PCMU and VP8)."""
    actor = world.create_client(name, Product.CPAAS, config={"runtime": {"codecs": None}} if every else None)
    world.sign_in(name)
    world.call(actor.client.services.subscribe, ["call"])
    assert "call" in world.call(actor.client.services.getSubscriptions)["subscribed"]


@given(parsers.re(r"(?P<name>\w+) is connected to link$"))
@sets_up
def link_ready(world: World, name: str) -> None:
    """Connected to Link with the user's password (the Link subscription's services)."""
    actor = world.create_client(name, Product.LINK)
    world.call(actor.client.connect, actor.credentials())


@given(parsers.re(r"(?P<name>\w+) has a callme client$"))
@sets_up
def callme_ready(world: World, name: str) -> None:
    """A CallMe (Link) client with no platform user, for anonymous calls."""
    world.create_client(name, Product.LINK, with_user=False)


# -- placing calls -----------------------------------------------------------------------------
def _media(kind: str) -> dict[str, Any]:
    return {"audio": "audio" in kind, "video": "video" in kind}


def _address(world: World, who: str) -> str:
    """A user of the scenario, a full address (``x@domain``, ``+number``) or a scripted endpoint."""
    if who in world.users:
        return world.users[who].user_id
    assert world.platform is not None, NO_PLATFORM
    if "@" in who or who.startswith("+"):
        return who
    try:
        return f"{ENDPOINT(who)}@{world.platform.domain}"
    except UnknownValue:
        raise UnknownValue(f"{who!r} is neither a user of this scenario ({', '.join(sorted(world.users)) or 'none'}) "
                           f"nor a scripted endpoint ({', '.join(ENDPOINT.values)}), nor an address with @ or +"
                           ) from None


@when(parsers.re(r"(?P<caller>\w+) calls (?P<callee>[\w@.+-]+) with (?P<kind>audio and video|audio|video)$"))
def make_call(world: World, caller: str, callee: str, kind: str) -> None:
    actor = world.actor(caller)
    actor.call_id = world.call(actor.client.call.make, _address(world, callee), _media(kind))


@when(parsers.re(r"(?P<caller>\w+) calls (?P<callee>[\w@.+-]+) anonymously"
                 r"(?: with (?P<tokens>realm tokens|no tokens))?$"))
def make_anonymous(world: World, caller: str, callee: str, tokens: str | None) -> None:
    actor = world.actor(caller)
    assert world.platform is not None
    address = _address(world, callee)
    domain = world.platform.domain
    credentials: dict[str, Any] = {}
    if tokens == "realm tokens":
        credentials = world.platform.callme_credentials(address, f"sip:{caller.lower()}@{domain}", f"sip:{address}")
    options = {"from": f"{caller.lower()}@{domain}", "displayName": caller, "audio": True}
    actor.call_id = world.call(actor.client.call.makeAnonymous, address, credentials, options)


@then(parsers.re(r"(?P<name>\w+) receives the call(?: from (?P<caller>\w+))?$"))
@when(parsers.re(r"(?P<name>\w+) receives the call(?: from (?P<caller>\w+))?$"))
@observes
def receives_call(world: World, name: str, caller: str | None) -> None:
    params = world.wait_event(name, "call:receive",
                              expected=f"{name} to receive the call" + (f" from {caller}" if caller else ""))
    actor = world.actor(name)
    actor.call_id = params["callId"]
    wait_state(world, name, CallState.RINGING)
    if caller is not None:
        call = world.call(actor.client.call.getById, actor.call_id)
        expected = world.users[caller].user_id if caller in world.users else caller.lower()
        assert call["remoteParticipant"]["displayNumber"].startswith(expected.split("@")[0]), call


@when(parsers.parse("{name} answers the call with {kind}"), converters={"kind": CALL_MEDIA})
@when(parsers.parse("{name} answers the call"))
def answer_call(world: World, name: str, kind: str = "audio") -> None:
    actor = world.actor(name)
    world.call(actor.client.call.answer, _call_of(world, name), _media(kind))


@when(parsers.parse("{name} rejects the call"))
def reject_call(world: World, name: str) -> None:
    world.call(world.actor(name).client.call.reject, _call_of(world, name))


@when(parsers.parse("{name} ignores the call"))
def ignore_call(world: World, name: str) -> None:
    world.call(world.actor(name).client.call.ignore, _call_of(world, name))


@when(parsers.parse("{name} ends the call"))
def end_call(world: World, name: str) -> None:
    world.call(world.actor(name).client.call.end, _call_of(world, name))


@when(parsers.parse("{name} holds the call"))
def hold_call(world: World, name: str) -> None:
    world.call(world.actor(name).client.call.hold, _call_of(world, name))


@when(parsers.parse("{name} unholds the call"))
def unhold_call(world: World, name: str) -> None:
    world.call(world.actor(name).client.call.unhold, _call_of(world, name))


@when(parsers.parse("{name} tries to {operation} the call"), converters={"operation": CALL_OPERATION})
def try_operation(world: World, name: str, operation: str) -> None:
    """The operation is attempted; what it raised is kept for the "the call fails ..." steps."""
    world.attempt(getattr(world.actor(name).client.call, operation), _call_of(world, name))


# -- states ------------------------------------------------------------------------------------
@then(parsers.re(r"(?P<name>\w+)'s call (?P<verb>is|becomes) (?P<state>\w+(?: \w+)?)(?<! again)$"),
      converters={"state": CALL_STATE})
@when(parsers.re(r"(?P<name>\w+)'s call (?P<verb>is|becomes) (?P<state>\w+(?: \w+)?)(?<! again)$"),
      converters={"state": CALL_STATE})
@observes
def call_state(world: World, name: str, verb: str, state: CallState) -> None:
    """"is": the call's state, now or soon; "becomes": a state change after the cause, to that state."""
    (wait_state if verb == "is" else wait_transition)(world, name, state)


@then(parsers.parse("{name}'s call stays {state}"), converters={"state": CALL_STATE})
def call_stays(world: World, name: str, state: CallState) -> None:
    """The call is in that state now (no wait)."""
    assert _state(world, name) == state, f"expected {name}'s call to stay {state!r}; it is {_state(world, name)!r}"


@then(parsers.parse("{name}'s call is {state} with status code {code:d}"), converters={"state": CALL_STATE})
def call_state_with_code(world: World, name: str, state: CallState, code: int) -> None:
    wait_state(world, name, state)
    call_id = _call_of(world, name)
    changes = world.actor(name).recorder.of("call:stateChange", lambda p: p["callId"] == call_id)
    codes = [p.get("transition", {}).get("statusCode") for p in changes]
    assert code in codes, f"status codes seen: {codes}"


@then(parsers.parse("{name}'s call ended with an error"))
def call_ended_with_error(world: World, name: str) -> None:
    wait_state(world, name, CallState.ENDED)
    call_id = _call_of(world, name)
    changes = world.actor(name).recorder.of("call:stateChange", lambda p: p["callId"] == call_id)
    assert any(isinstance(p.get("error"), BasicError) for p in changes), changes


@then(parsers.parse("{name}'s call shows {flag} hold"), converters={"flag": HOLD_FLAG})
def hold_flag(world: World, name: str, flag: HoldFlag) -> None:
    call = world.call(world.actor(name).client.call.getById, _call_of(world, name))
    assert call[flag.key] is True, f"expected {name}'s call to show {flag} hold; it is {call}"


@then(parsers.parse("{name}'s call object has every documented field"))
def call_object_fields(world: World, name: str) -> None:
    actor = world.actor(name)
    call = world.call(actor.client.call.getById, _call_of(world, name))
    fields = {"id", "direction", "state", "localHold", "remoteHold", "localTracks", "remoteTracks",
              "remoteParticipant", "bandwidth", "startTime", "endTime"}
    if actor.product is Product.LINK:
        fields |= {"from", "to", "customParameters"}
    assert fields <= set(call), fields - set(call)
    assert call["startTime"] > 1_600_000_000_000
    assert any(c["id"] == call["id"] for c in world.call(actor.client.call.getAll))


@then(parsers.parse("{name} has the call operations {operations}"))
def call_operations(world: World, name: str, operations: str) -> None:
    """The call's whole history (from its first operation on), in this order."""
    call_id = _call_of(world, name)
    seen = [f"{p['operation']} {p['transition']}" for p in
            world.actor(name).recorder.of("call:operation", lambda p: p["callId"] == call_id, since=0)]
    expected = [o.strip() for o in operations.split(",")]
    position = 0
    for item in seen:
        if position < len(expected) and item == expected[position]:
            position += 1
    assert position == len(expected), f"operations seen: {seen}"


# -- media -------------------------------------------------------------------------------------
def _container(world: World, name: str, kind: str = "audio") -> Any:
    """Render the call's remote tracks in ``#remote-<name>`` once a remote track of ``kind`` exists."""
    actor = world.actor(name)
    selector = f"#remote-{name.lower()}"
    call_id = _call_of(world, name)

    def remote_kinds() -> list[str]:
        call = actor.client.call.getById(call_id)
        tracks = [actor.client.media.getTrackById(t) for t in (call or {}).get("remoteTracks", [])]
        return [t["kind"] for t in tracks if t is not None]

    # A state, not an event: the callee's remote tracks may exist before the step that answers.
    world.run(actor.recorder.changes.until(lambda: True if kind in remote_kinds() else None, timeout=world.timeout,
                                           expected=f"{name}'s call to have a remote {kind} track",
                                           evidence=lambda: f"its remote tracks are {remote_kinds()}"))
    call = world.call(actor.client.call.getById, call_id)
    world.call(actor.client.media.renderTracks, call["remoteTracks"], selector)
    return world.call(actor.client.media.getContainer, selector)


def wait_for_media(world: World, name: str, condition: Callable[[Any], bool], timeout: float,
                   kind: str = "audio", *, expected: str) -> None:
    """Wait until ``name``'s rendered remote media meet ``condition``, rendering the call's remote
    tracks again whenever a new one arrives: a transfer or a join rebuilds the peer connection and
    brings new tracks, which an app renders as they come (so must a test, or it watches a dead one)."""
    _container(world, name, kind)
    client = world.actor(name).client
    call_id = _call_of(world, name)
    selector = f"#remote-{name.lower()}"

    async def follow() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            client.media.renderTracks(client.call.getById(call_id)["remoteTracks"], selector)
            container = client.media.getContainer(selector)
            remaining = max(deadline - loop.time(), 0.01)
            met = asyncio.ensure_future(container.wait_until(condition, remaining))
            new_track = asyncio.ensure_future(client.wait_for(
                "call:newTrack", lambda p: p["callId"] == call_id and not p["local"], timeout=remaining))
            await asyncio.wait({met, new_track}, return_when=asyncio.FIRST_COMPLETED)
            if met.done() or new_track.exception() is not None:  # met, or out of time: met says which
                new_track.cancel()
                await asyncio.gather(new_track, return_exceptions=True)
                return await met  # TimeoutError (with what the container holds) when not met in time
            met.cancel()
            await asyncio.gather(met, return_exceptions=True)

    try:
        world.run(follow(), timeout + 5)
    except TimeoutError as exc:  # the container's wait says what it holds: frames, level, frequency
        raise WaitTimeout(f"expected {expected} within {timeout:g} s; {exc}") from None


def _hears(world: World, name: str, frequency: float, whose: str, timeout: float = 20.0) -> None:
    def heard(c: Any) -> bool:
        return any(abs(r.dominant_frequency() - frequency) < FREQUENCY_TOLERANCE and r.rms() > SILENCE_RMS
                   for r in c.audio())

    wait_for_media(world, name, heard, timeout, expected=f"{name} to hear {whose} {frequency:g} Hz tone")


@then(parsers.re(r"(?P<name>\w+) hears (?P<other>\w+)'s tone$"))
def hears_tone(world: World, name: str, other: str) -> None:
    _hears(world, name, world.actor(other).tone, f"{other}'s")


@then(parsers.re(r"(?P<name>\w+) hears (?P<other>\w+)'s tone and (?P<third>\w+) hears (?P<fourth>\w+)'s tone$"))
def hear_each_other(world: World, name: str, other: str, third: str, fourth: str) -> None:
    _hears(world, name, world.actor(other).tone, f"{other}'s")
    _hears(world, third, world.actor(fourth).tone, f"{fourth}'s")


@then(parsers.re(r"(?P<name>\w+) hears (?:her|his) own tone$"))
def hears_own(world: World, name: str) -> None:
    _hears(world, name, world.actor(name).tone, "their own")


@then(parsers.parse("{name} hears a {frequency:d} Hz tone"))
def hears_frequency(world: World, name: str, frequency: int) -> None:
    _hears(world, name, float(frequency), "a")


@then(parsers.parse("{name} sees {other}'s camera"))
def sees_camera(world: World, name: str, other: str) -> None:
    colour = world.actor(other).colour

    def seen(c: Any) -> bool:
        return any(r.frames > 3 and all(abs(a - b) < 40 for a, b in zip(r.colour(), colour, strict=True))
                   for r in c.video())

    wait_for_media(world, name, seen, 15, "video", expected=f"{name} to see {other}'s camera (colour {colour})")


@then(parsers.parse("no media flows between {a} and {b}"))
def no_media(world: World, a: str, b: str) -> None:
    for name in (a, b):
        container = _container(world, name)
        arrived = world.run(container.frames_during(HOLD_WINDOW))
        assert arrived <= 3, f"{name} still received {arrived} frames in {HOLD_WINDOW} s"


@when(parsers.re(r"(?P<name>\w+) mutes (?:her|his) microphone$"))
def mute(world: World, name: str) -> None:
    actor = world.actor(name)
    call = world.call(actor.client.call.getById, _call_of(world, name))
    audio = [t for t in call["localTracks"] if world.call(actor.client.media.getTrackById, t)["kind"] == "audio"]
    world.call(actor.client.media.muteTracks, audio)
    actor.state.muted_tracks = audio


@when(parsers.re(r"(?P<name>\w+) unmutes (?:her|his) microphone$"))
def unmute(world: World, name: str) -> None:
    actor = world.actor(name)
    world.call(actor.client.media.unmuteTracks, actor.state.muted_tracks)


@then(parsers.parse("{name} hears silence from {other}"))
def hears_silence(world: World, name: str, other: str) -> None:
    wait_for_media(world, name, lambda c: all(r.rms() < SILENCE_RMS for r in c.audio()) and c.frames > 0, 10,
                   expected=f"{name} to hear silence from {other}")


@then(parsers.parse("{name}'s microphone track is muted"))
def track_muted(world: World, name: str) -> None:
    actor = world.actor(name)
    for track_id in actor.state.muted_tracks:
        assert world.call(actor.client.media.getTrackById, track_id)["muted"] is True
    world.wait_event(name, "media:muted", expected=f"{name} to receive 'media:muted'")


@given(parsers.parse("{name}'s calls are audited every {seconds:g} seconds"))
def audit_interval(world: World, name: str, seconds: float) -> None:
    world.call(world.actor(name).client.updateConfig, {"runtime": {"callAuditInterval": seconds}})


# -- platform side -----------------------------------------------------------------------------
@when(parsers.parse("the platform loses {name}'s call"))
def platform_forgets(world: World, name: str) -> None:
    assert world.platform is not None
    actor = world.actor(name)
    session = world.call(actor.client.call.engine.get, _call_of(world, name)).session_id
    world.call(world.platform.forget_call, session)


@when(parsers.parse("{name} tries to call {callee}"))
def try_call(world: World, name: str, callee: str) -> None:
    world.attempt(world.actor(name).client.call.make, _address(world, callee), {"audio": True})


@when(parsers.parse("{name} calls {callee} anonymously without a from address"))
def anonymous_without_from(world: World, name: str, callee: str) -> None:
    actor = world.actor(name)
    actor.call_id = world.call(actor.client.call.makeAnonymous, _address(world, callee), {}, {"audio": True})
