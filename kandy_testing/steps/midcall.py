"""Steps about mid-call control: media changes, DTMF, stats, codecs and SDP, custom parameters,
transfer and join."""

from __future__ import annotations

import socket
from typing import Any

from pytest_bdd import given, parsers, then, when

from kandy_media.compat import ice_sockets
from kandy_media.sdp import Sdp

from ..clients import Product
from ..waiting import WaitTimeout
from ..world import World
from .calls import _call_of, wait_for_media, wait_transition
from .common import parse_value
from .values import ADDED_MEDIA, CALL_STATE, DTMF_MODE, MEDIA_KIND, STATS_KIND, CallState, StatsKind


def _client(world: World, name: str) -> Any:
    return world.actor(name).client


def _local_track(world: World, name: str, kind: str) -> str:
    client = _client(world, name)
    call = world.call(client.call.getById, _call_of(world, name))
    tracks = [t for t in call["localTracks"] if world.call(client.media.getTrackById, t)["kind"] == kind]
    assert tracks, f"{name}'s call sends no {kind}"
    return tracks[-1]


def _finished(world: World, name: str, operation: str, since: int | None = None) -> dict[str, Any]:
    """The FINISH of ``operation`` on ``name``'s call, after the cause (or after ``since``)."""
    call_id = _call_of(world, name)
    return world.wait_event(name, "call:operation", lambda p: p["callId"] == call_id and p["operation"] == operation
                            and p["transition"] == "FINISH", since=since, timeout=15,
                            expected=f"{name}'s {operation} operation to finish")


# -- media changes -----------------------------------------------------------------------------
@when(parsers.parse("{name} adds {kind} to the call"), converters={"kind": ADDED_MEDIA})
def add_media(world: World, name: str, kind: str) -> None:
    mark = world.actor(name).recorder.mark
    world.call(_client(world, name).call.addMedia, _call_of(world, name), {kind: True})
    assert "error" not in _finished(world, name, "ADD_MEDIA", mark)


@when(parsers.parse("{name} removes {pronoun} {kind} from the call"), converters={"kind": ADDED_MEDIA})
def remove_media(world: World, name: str, pronoun: str, kind: str) -> None:
    mark = world.actor(name).recorder.mark
    track = _local_track(world, name, kind)
    world.call(_client(world, name).call.removeMedia, _call_of(world, name), [track])
    assert "error" not in _finished(world, name, "REMOVE_MEDIA", mark)


@when(parsers.parse("{name} starts video"))
def start_video(world: World, name: str) -> None:
    mark = world.actor(name).recorder.mark
    world.call(_client(world, name).call.startVideo, _call_of(world, name))
    assert "error" not in _finished(world, name, "ADD_BASIC_MEDIA", mark)


@when(parsers.parse("{name} stops video"))
def stop_video(world: World, name: str) -> None:
    mark = world.actor(name).recorder.mark
    _local_track(world, name, "video")  # fails clearly when the call sends no video
    world.call(_client(world, name).call.stopVideo, _call_of(world, name))
    assert "error" not in _finished(world, name, "REMOVE_BASIC_MEDIA", mark)


@then(parsers.parse("{name} receives a new remote {kind} track"), converters={"kind": MEDIA_KIND})
def new_remote_track(world: World, name: str, kind: str) -> None:
    client = _client(world, name)
    call_id = _call_of(world, name)
    world.wait_event(name, "call:newTrack", lambda p: p["callId"] == call_id and not p["local"]
                     and client.media.getTrackById(p["trackId"]) is not None
                     and client.media.getTrackById(p["trackId"])["kind"] == kind)


@then(parsers.parse("{name} is told the remote {kind} track ended"), converters={"kind": MEDIA_KIND})
def remote_track_ended(world: World, name: str, kind: str) -> None:
    call_id = _call_of(world, name)
    world.wait_event(name, "call:trackEnded", lambda p: p["callId"] == call_id and not p["local"],
                     expected=f"{name} to be told the remote {kind} track ended")
    call = world.call(_client(world, name).call.getById, call_id)
    kinds = [world.call(_client(world, name).media.getTrackById, t)["kind"] for t in call["remoteTracks"]]
    assert kind not in kinds, kinds


@when(parsers.parse('{name} replaces {pronoun} microphone with the device "{device}"'))
def replace_microphone(world: World, name: str, pronoun: str, device: str) -> None:
    mark = world.actor(name).recorder.mark
    client = _client(world, name)
    world.call(client.media.setEmulatedDevices, {"microphone": [
        {"deviceId": f"mic-{name.lower()}", "label": "first", "frequency": world.actor(name).tone},
        {"deviceId": device, "label": device, "frequency": 1200}]})
    world.call(client.call.replaceTrack, _call_of(world, name), _local_track(world, name, "audio"),
               {"audio": True, "audioOptions": {"deviceId": {"exact": device}}})
    world.wait_event(name, "call:trackReplaced", since=mark)


@then(parsers.parse("{name} received no new track event since the call connected"))
def no_new_track(world: World, name: str) -> None:
    """Over the call's whole history: the one remote track of its connection, no other."""
    call_id = _call_of(world, name)
    remote_new = world.actor(name).recorder.of("call:newTrack", lambda p: p["callId"] == call_id and not p["local"],
                                               since=0)
    assert len(remote_new) == 1, remote_new


# -- DTMF --------------------------------------------------------------------------------------
@when(parsers.parse('{name} sends the DTMF tones "{tones}"'))
def send_dtmf(world: World, name: str, tones: str) -> None:
    mark = world.actor(name).recorder.mark
    world.call(_client(world, name).call.sendDTMF, _call_of(world, name), tones, 80, 60)
    finished = _finished(world, name, "SEND_DTMF", mark)
    assert "error" not in finished, finished


@when(parsers.parse('{name} tries to send the DTMF tones "{tones}"'))
def try_dtmf(world: World, name: str, tones: str) -> None:
    world.attempt(_client(world, name).call.sendDTMF, _call_of(world, name), tones)


@then(parsers.parse('the IVR heard "{digits}" from {name} {mode}'), converters={"mode": DTMF_MODE})
def ivr_heard(world: World, digits: str, name: str, mode: str) -> None:
    assert world.platform is not None
    session = world.call(_client(world, name).call.engine.get, _call_of(world, name)).session_id
    wanted = digits.replace(",", "")
    expected = f"the IVR to hear {digits!r} from {name} ({mode})"
    try:
        heard = world.run(world.platform.wait_endpoint_digits(session, len(wanted), 15))
    except TimeoutError:
        so_far = [c["digits"] for c in world.platform.endpoint_calls(session)]
        raise WaitTimeout(f"expected {expected} within 15 s; it heard {so_far or 'no call'}") from None
    assert heard == wanted, f"expected {expected}; it heard {heard!r}"
    got = world.platform.endpoint_calls(session)[0]["dtmfMode"]
    assert got == mode, f"expected {expected}; the digits came as {got}"



# -- stats and codecs --------------------------------------------------------------------------
@when(parsers.parse("{name} asks for the call statistics"))
def get_stats(world: World, name: str) -> None:
    world.call(_client(world, name).call.getStats, _call_of(world, name))


@when(parsers.parse("{name} asks for the statistics of {pronoun} audio track"))
def get_track_stats(world: World, name: str, pronoun: str) -> None:
    track = _local_track(world, name, "audio")
    world.call(_client(world, name).call.getStats, _call_of(world, name), track)


@then(parsers.parse("{name} receives call statistics showing {kind} packets"), converters={"kind": STATS_KIND})
def stats_received(world: World, name: str, kind: StatsKind) -> None:
    call_id = _call_of(world, name)
    params = world.wait_event(name, "call:statsReceived", lambda p: p["callId"] == call_id,
                              expected=f"{name} to receive call statistics")
    types = {v.get("type") for v in params["result"].values()}
    wanted = kind.stat_type
    assert wanted in types, types
    stat = next(v for v in params["result"].values() if v.get("type") == wanted)
    counter = stat.get("packetsSent", stat.get("packetsReceived", 0))
    assert counter > 0, stat


@when(parsers.parse("{name} asks for the available {kind} codecs"), converters={"kind": MEDIA_KIND})
def available_codecs(world: World, name: str, kind: str) -> None:
    world.scenario.codecs = world.call(_client(world, name).call.getAvailableCodecs, kind)


@then(parsers.parse("{name} receives the {kind} codecs including {codec}"), converters={"kind": MEDIA_KIND})
def codecs_received(world: World, name: str, kind: str, codec: str) -> None:
    params = world.wait_event(name, "call:availableCodecs", lambda p: p["kind"] == kind,
                              expected=f"{name} to receive the {kind} codecs")
    names = [c["mimeType"].split("/")[1].lower() for c in params["codecs"]]
    assert codec.lower() in names and params["codecs"] == world.scenario.codecs, names


@given(parsers.parse("{name} removes the codecs {selectors} with an SDP handler"))
@when(parsers.parse("{name} removes the codecs {selectors} with an SDP handler"))
def set_codec_remover(world: World, name: str, selectors: str) -> None:
    client = _client(world, name)
    module = __import__(f"sdk.{client.product}", fromlist=["sdpHandlers"])
    remover = module.sdpHandlers.createCodecRemover(parse_value(selectors))
    if client.product == Product.LINK:
        world.call(client.call.setSdpHandlers, [remover])
    else:
        client.call.engine.sdp_handlers = [remover]


def _sdp_received(world: World, name: str) -> Sdp:
    assert world.platform is not None
    user = world.actor(name).user
    for entry in reversed(world.platform.journal(kind="ws-out", user=user.user_id)):
        body = entry.get("body") or {}
        invitation = body.get("wrtcsSessionInvitationNotification") or {}
        message = body.get("notificationMessage") or {}
        sdp = (invitation.get("offer") or {}).get("sdp") or (message.get("sessionParams") or {}).get("sdp")
        if sdp:
            return Sdp.parse(sdp)
    raise AssertionError(f"no SDP was sent to {name}")


@then(parsers.parse("the SDP {name} received has no {codec} codec"))
def sdp_lacks_codec(world: World, name: str, codec: str) -> None:
    sdp = _sdp_received(world, name)
    names = [c.name.lower() for m in sdp.media for c in m.codecs()]
    assert codec.lower() not in names and names, names


@then(parsers.parse("the SDP {name} received limits {kind} to {kbps:d} kbps"), converters={"kind": MEDIA_KIND})
def sdp_bandwidth(world: World, name: str, kind: str, kbps: int) -> None:
    section = _sdp_received(world, name).of_kind(kind)[0]
    assert section.bandwidth().get("AS") == kbps, section.bandwidth()


@then(parsers.parse("the SDP {name} received has no bundle group"))
def sdp_no_bundle(world: World, name: str) -> None:
    assert not any(line.startswith("a=group:") for line in _sdp_received(world, name).session)


@when(parsers.parse("{name} calls {callee} with audio limited to {audio:d} kbps and video to {video:d} kbps"))
def call_with_bandwidth(world: World, name: str, callee: str, audio: int, video: int) -> None:
    actor = world.actor(name)
    actor.call_id = world.call(actor.client.call.make, world.users[callee].user_id, {"audio": True, "video": True},
                               {"bandwidth": {"audio": audio, "video": video}})


# -- DSCP --------------------------------------------------------------------------------------
@when(parsers.parse("{name} adds video to the call with {priority} network priority"))
def add_video_priority(world: World, name: str, priority: str) -> None:
    mark = world.actor(name).recorder.mark
    world.call(_client(world, name).call.addMedia, _call_of(world, name), {"video": True},
               {"dscpControls": {"videoNetworkPriority": priority, "audioNetworkPriority": priority}})
    _finished(world, name, "ADD_MEDIA", mark)


@then(parsers.parse("{name}'s media socket is marked with DSCP {code:d}"))
def dscp_marked(world: World, name: str, code: int) -> None:
    call = world.call(_client(world, name).call.engine.get, _call_of(world, name))
    sockets = [s for t in call.peer.transceivers() if t.sender.transport is not None
               for s in ice_sockets(t.sender.transport)]
    assert sockets and all(s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS) >> 2 == code for s in sockets)
    assert max(call.dscp["applied"].values()) == code, call.dscp


# -- custom parameters -------------------------------------------------------------------------
@when(parsers.parse('{name} calls {callee} anonymously with the custom parameter {header}="{value}"'))
def anonymous_with_header(world: World, name: str, callee: str, header: str, value: str) -> None:
    actor = world.actor(name)
    assert world.platform is not None
    address = callee if "@" in callee else world.users[callee].user_id
    options = {"from": f"{name.lower()}@{world.platform.domain}", "audio": True,
               "customParameters": [{"name": header, "value": value}]}
    actor.call_id = world.call(actor.client.call.makeAnonymous, address, {}, options)


@when(parsers.parse('{name} sets the custom parameter {header}="{value}" and sends it'))
def send_header(world: World, name: str, header: str, value: str) -> None:
    client = _client(world, name)
    world.call(client.call.setCustomParameters, _call_of(world, name), [{"name": header, "value": value}])
    call = world.call(client.call.getById, _call_of(world, name))
    assert call["customParameters"] == [{"name": header, "value": value}]
    world.call(client.call.sendCustomParameters, _call_of(world, name))


@then(parsers.parse('{name} receives the custom parameter {header}="{value}"'))
def receives_header(world: World, name: str, header: str, value: str) -> None:
    call_id = _call_of(world, name)
    world.wait_event(name, "call:customParameters", lambda p: p["callId"] == call_id and
                     {"name": header, "value": value} in p["customParameters"])


# -- v3.X APIs ---------------------------------------------------------------------------------
@when(parsers.parse("{name} calls the v3.X API {api}"))
def call_v3(world: World, name: str, api: str) -> None:
    world.attempt(getattr(_client(world, name).call, api.split(".")[-1]), _call_of(world, name))


@then(parsers.parse('the error names the replacement "{replacement}"'))
def error_names_replacement(world: World, replacement: str) -> None:
    assert world.last_error is not None and replacement in str(world.last_error), world.last_error


# -- transfer and join -------------------------------------------------------------------------
@when(parsers.parse("{name} transfers {first} to {second}"))
def transfer(world: World, name: str, first: str, second: str) -> None:
    client = _client(world, name)
    calls = world.actor(name).state.calls
    world.call(client.call.consultativeTransfer, calls[first], calls[second])


@when(parsers.parse("{name} joins the calls with {first} and {second}"))
def join(world: World, name: str, first: str, second: str) -> None:
    client = _client(world, name)
    calls = world.actor(name).state.calls
    world.call(client.call.join, calls[first], calls[second])
    joined = world.wait_event(name, "call:join", expected=f"{name}'s calls with {first} and {second} to be joined")
    world.actor(name).call_id = joined["callId"]


@when(parsers.parse("{name} remembers the call with {other}"))
def remember_call(world: World, name: str, other: str) -> None:
    world.actor(name).state.calls[other] = _call_of(world, name)


@then(parsers.parse("{name}'s calls with {first} and {second} are Ended"))
def calls_ended(world: World, name: str, first: str, second: str) -> None:
    client = _client(world, name)
    for other in (first, second):
        call_id = world.actor(name).state.calls[other]
        world.wait_event(name, "call:stateChange", lambda p, c=call_id: p["callId"] == c and
                         client.call.getById(c)["state"] == "Ended")


@then(parsers.parse("{name} hears both {first}'s and {second}'s tones"))
def hears_both(world: World, name: str, first: str, second: str) -> None:
    tones = [world.actor(first).tone, world.actor(second).tone]
    wait_for_media(world, name, lambda c: any(all(r.level_at(t) > 0.1 for t in tones) for r in c.audio()), 30,
                   expected=f"{name} to hear both {first}'s and {second}'s tones ({tones[0]:g} and {tones[1]:g} Hz)")


@then(parsers.parse("{name}'s call becomes {state} again"), converters={"state": CALL_STATE})
def becomes_again(world: World, name: str, state: CallState) -> None:
    wait_transition(world, name, state)


@when(parsers.parse("{name} enables early media"))
def enable_early_media(world: World, name: str) -> None:
    world.call(_client(world, name).updateConfig, {"call": {"earlyMedia": True}})


@then(parsers.parse("{name}'s {operation} operation finishes with an error"))
def operation_failed(world: World, name: str, operation: str) -> None:
    finished = _finished(world, name, operation)
    assert "error" in finished and finished["error"].code, finished
