"""Calls: SDP tools, destination normalisation, the state machine, audits, TURN, platform checks."""

from __future__ import annotations

import asyncio

import pytest

from kandy_media.peer import ice_servers
from kandy_media.sdp import Sdp, set_bandwidth
from sdk.call.model import Call, states
from sdk.cpaas.protocol.calls import normalize_destination
from sdk.errors import BasicError
from sdk.link.protocol.calls import normalize
from sdk.media.handlers import createCodecRemover, run_pipeline

OFFER = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\nc=IN IP4 127.0.0.1\r\na=mid:1\r\na=sendrecv\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:99 H264/90000\r\na=fmtp:99 packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtcp-fb:98 nack\r\n"
)


def test_sdp_round_trips_unchanged() -> None:
    assert str(Sdp.parse(OFFER)) == OFFER


def test_codec_remover_by_name_drops_payloads_and_their_rtx() -> None:
    out = Sdp.parse(run_pipeline(OFFER, {"type": "offer"}, [createCodecRemover(["VP8", "opus"])]))
    assert [c.name for c in out.media[0].codecs()] == ["PCMU", "PCMA"]
    assert [c.name for c in out.media[1].codecs()] == ["H264", "H264"]
    assert "a=fmtp:97 apt=96" not in str(out)


def test_codec_remover_with_fmtp_selector_only_matches_those_parameters() -> None:
    remover = createCodecRemover([{"name": "H264", "fmtpParams": ["packetization-mode=1"]}])
    out = Sdp.parse(run_pipeline(OFFER, {}, [remover]))
    h264 = [c for c in out.media[1].codecs() if c.name == "H264"]
    assert [c.payload for c in h264] == [99]
    assert "a=rtcp-fb:98" not in str(out)


@pytest.mark.parametrize("bad", [[42], [{"fmtpParams": []}], "VP8", [{"name": "VP8", "fmtpParams": "x=1"}]])
def test_codec_remover_refuses_bad_selectors(bad: object) -> None:
    with pytest.raises(BasicError):
        createCodecRemover(bad)  # type: ignore[arg-type]


def test_handlers_get_the_sdp_so_far_the_original_and_the_info() -> None:
    seen = []

    def first(new: Sdp, info: dict, original: Sdp) -> Sdp:
        new.media[0].set_bandwidth(64)
        return new

    def second(new: Sdp, info: dict, original: Sdp) -> str:
        seen.append((new.media[0].bandwidth(), original.media[0].bandwidth(), info))
        return str(new)

    run_pipeline(OFFER, {"type": "offer", "endpoint": "local", "callId": "c1", "step": "send"}, [first, second])
    assert seen == [({"AS": 64, "TIAS": 64000}, {}, {"type": "offer", "endpoint": "local", "callId": "c1",
                                                      "step": "send"})]


def test_a_failing_handler_is_reported_as_a_basic_error() -> None:
    def broken(new: Sdp, info: dict, original: Sdp) -> Sdp:
        raise KeyError("oops")

    with pytest.raises(BasicError, match="broken"):
        run_pipeline(OFFER, {}, [broken])


def test_bandwidth_lines_per_kind_and_for_the_call() -> None:
    out = set_bandwidth(Sdp.parse(OFFER), audio=32, video=500, call=600)
    assert out.media[0].bandwidth() == {"AS": 32, "TIAS": 32000}
    assert out.media[1].bandwidth() == {"AS": 500, "TIAS": 500000}
    assert "b=AS:600" in out.session


@pytest.mark.parametrize(("destination", "expected"), [
    ("bob@example.com", "sip:bob@example.com"),
    ("  bob  ", "sip:bob@example.com"),
    ("+1 (613) 555-1234", "sip:+16135551234@example.com"),
    ("sip:carol@other.org", "sip:carol@other.org"),
    ("tel:*67", "sip:*67@example.com"),
])
def test_destinations_are_normalised_like_the_platform_sdks(destination: str, expected: str) -> None:
    assert normalize_destination(destination, "example.com") == expected
    assert normalize(destination, "example.com") == expected


def test_the_state_machine_refuses_moves_it_does_not_allow() -> None:
    call = Call(id="c", direction="outgoing", product="cpaas")
    assert call.transition(states.INITIATED) is True
    assert call.transition(states.INITIATED) is False
    with pytest.raises(BasicError, match="cannot go from 'Initiated' to 'On Hold'"):
        call.transition(states.ON_HOLD)
    call.transition(states.ENDED)
    with pytest.raises(BasicError):
        call.transition(states.CONNECTED)


def test_server_turn_credentials_go_on_every_configured_ice_server() -> None:
    servers = ice_servers([{"urls": "turn:127.0.0.1:3478"}, {"urls": ["turns:t.example:443"], "credential": "x"}],
                          {"username": "123:alice", "password": "secret"})
    assert [(s.username, s.credential) for s in servers] == [("123:alice", "secret"), ("123:alice", "secret")]
    assert ice_servers([{"urls": "stun:s"}], None)[0].username is None


async def test_turn_credentials_from_the_platform_reach_the_peer_configuration(make_cpaas, platform) -> None:
    client = await make_cpaas(services=["call"], call={"iceServers": [{"urls": "turn:127.0.0.1:3478"}]})
    creds = client.turn_credentials
    assert platform.turn_credentials_valid(creds["username"], creds["password"])
    call_id = client.call.make("echo@example.com", {"audio": True})
    peer = client.call.engine.ensure_peer(client.call.engine.get(call_id))
    assert [(s.urls, s.username, s.credential) for s in peer.servers] == \
        [("turn:127.0.0.1:3478", creds["username"], creds["password"])]
    await client.call.end(call_id)


async def test_offers_carry_no_h264_and_the_configured_bandwidth(make_cpaas, platform) -> None:
    client = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU", "VP8"]})
    call_id = client.call.make("echo@example.com", {"audio": True, "video": True}, {"bandwidth": {"video": 300}})
    await client.recorder.wait("call:stateChange", lambda p: client.call.getById(call_id)["state"] == "Connected")
    sent = platform.journal(kind="http", method="POST", path="/sessions$")[-1]["body"]["wrtcsSession"]["offer"]["sdp"]
    parsed = Sdp.parse(sent)
    assert not any(c.name == "H264" for m in parsed.media for c in m.codecs())
    assert parsed.of_kind("video")[0].bandwidth()["AS"] == 300
    assert client.call.getById(call_id)["bandwidth"] == {"video": 300}
    await client.call.end(call_id)


async def test_an_audit_ends_a_call_the_platform_no_longer_knows(make_cpaas, platform) -> None:
    client = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"], "callAuditInterval": 0.1})
    call_id = client.call.make("echo@example.com", {"audio": True})
    await client.recorder.wait("call:stateChange", lambda p: client.call.getById(call_id)["state"] == "Connected")
    audits = platform.journal(kind="http", method="PUT", path="/status$")
    session = client.call.engine.get(call_id).session_id
    platform.forget_call(session)
    ended = await client.recorder.wait("call:stateChange", lambda p: "transition" in p and p["callId"] == call_id)
    assert ended["transition"] == {"statusCode": 9909, "reasonText": "Call has ended due to call audit failure."}
    assert client.call.getById(call_id)["state"] == "Ended"
    assert len(platform.journal(kind="http", method="PUT", path="/status$")) > len(audits)


async def test_a_link_audit_ends_a_call_the_platform_no_longer_knows(make_link, platform) -> None:
    user = await platform.users.create()
    client = await make_link(user, connect=True, runtime={"codecs": ["PCMU"], "callAuditInterval": 0.1})
    call_id = client.call.make("echo@example.com", {"audio": True})
    await client.recorder.wait("call:stateChange", lambda p: client.call.getById(call_id)["state"] == "Connected")
    platform.forget_call(client.call.engine.get(call_id).session_id)
    ended = await client.recorder.wait("call:stateChange", lambda p: "transition" in p and p["callId"] == call_id)
    assert ended["transition"]["statusCode"] == 9909


async def test_another_user_cannot_touch_a_session(make_cpaas, platform) -> None:
    alice = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]})
    bob = await make_cpaas(services=["call"])
    call_id = alice.call.make("noanswer@example.com", {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Ringing")
    session = alice.call.engine.get(call_id).session_id
    bob_calls = bob.call.engine.signalling
    fake = Call(id="x", direction="outgoing", product="cpaas", session_id=session)
    with pytest.raises(BasicError) as error:
        await bob_calls.end(fake)
    assert error.value.code == "POL0002"
    await alice.call.end(call_id)


async def test_notifications_for_a_session_not_yet_known_are_replayed(make_cpaas) -> None:
    client = await make_cpaas()
    engine = client.call.engine
    call = engine.new_call("outgoing")
    call.transition(states.INITIATED)
    await engine.on_ringing("sess-early")  # arrives before the REST answer told us the id
    assert call.state == states.INITIATED
    engine.bind_session(call, "sess-early")
    await client.recorder.wait("call:stateChange", lambda p: p["callId"] == call.id)
    assert call.state == states.RINGING


async def test_teardown_stops_tracks_and_closes_the_peer(make_cpaas) -> None:
    client = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]})
    call_id = client.call.make("echo@example.com", {"audio": True})
    await client.recorder.wait("call:stateChange", lambda p: client.call.getById(call_id)["state"] == "Connected")
    call = client.call.engine.get(call_id)
    local = list(call.local_tracks)
    await client.call.end(call_id)
    assert call.peer.pc.connectionState == "closed"
    assert all(client.media.getTrackById(t) is None for t in local)
    ended = client.recorder.of("call:trackEnded", lambda p: p["callId"] == call_id)
    assert {p["trackId"] for p in ended} >= set(local)


async def test_every_sdp_passes_the_handlers_before_each_set_and_send(make_cpaas) -> None:
    seen: list[tuple[str, str, str]] = []

    def recorder(new: Sdp, info: dict, original: Sdp) -> Sdp:
        assert set(info) == {"type", "endpoint", "callId", "step"}
        seen.append((info["type"], info["endpoint"], info["step"]))
        return new

    caller = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]}, call={"sdpHandlers": [recorder]})
    call_id = caller.call.make("echo@example.com", {"audio": True})
    await caller.recorder.wait("call:stateChange", lambda p: caller.call.getById(call_id)["state"] == "Connected")
    await caller.call.hold(call_id)
    assert seen[:3] == [("offer", "local", "set"), ("offer", "local", "send"), ("answer", "remote", "set")]
    assert seen[3:] == [("offer", "local", "set"), ("offer", "local", "send"), ("answer", "remote", "set")]
    await caller.call.end(call_id)


def test_a_re_offer_keeps_the_negotiated_header_extension_ids() -> None:
    from kandy_media.peer import keep_extension_ids

    ours = ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
            "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:3 urn:example:new\r\na=mid:0\r\n")
    negotiated = {"0": {"urn:ietf:params:rtp-hdrext:ssrc-audio-level": 1, "urn:ietf:params:rtp-hdrext:sdes:mid": 3}}
    out = keep_extension_ids(ours, negotiated)
    assert "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid" in out
    assert "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level" in out
    assert "a=extmap:2 urn:example:new" in out  # its old id 3 is taken now: the first free one
    assert keep_extension_ids(ours, {}) == ours


async def test_a_peer_rebuilt_while_the_call_ends_is_not_left_open(make_cpaas) -> None:
    # Found by the 10-minute soak: one RTCPeerConnection per few hundred calls outlived its client.
    # A rebuild gives up the old peer, then awaits its close; a teardown in that await finds no peer.
    client = await make_cpaas(services=["call"])
    call_id = client.call.make("echo@example.com", {"audio": True})
    await client.recorder.wait("call:stateChange", lambda p: client.call.getById(call_id)["state"] == "Connected")
    engine = client.call.engine
    call = engine.get(call_id)
    rebuild = asyncio.ensure_future(engine.rebuild_peer(call))
    await asyncio.sleep(0)  # the rebuild has taken the old peer and awaits its close
    assert call.peer is None
    await client.call.end(call_id)
    with pytest.raises(BasicError, match="has ended"):
        await rebuild
    assert call.peer is None  # no new RTCPeerConnection for an ended call
