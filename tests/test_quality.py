"""Call quality: the E-model (ITU-T G.107, simplified), MOS from getStats reports, playout gaps and
video freezes, the audio jitter buffer that plays on after a loss, and getStats in W3C units."""

from __future__ import annotations

import random
from typing import Any

import av
import pytest
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from kandy_media.jitter import PlayOnJitterBuffer
from kandy_media.quality import (
    PlayedFrame,
    audio_gaps,
    call_quality,
    delay_impairment,
    loss_impairment,
    mos,
    r_factor,
    video_freezes,
)
from sdk.media import render


def test_the_e_model_matches_its_published_anchor_points() -> None:
    assert mos(93.2) == pytest.approx(4.41, abs=0.01)  # the best narrowband call
    assert mos(50) == pytest.approx(2.58, abs=0.01)
    assert (mos(-5), mos(120)) == (1.0, 4.5)
    assert delay_impairment(150) == pytest.approx(3.6)  # below 177.3 ms: 0.024 per ms only
    assert delay_impairment(300) == pytest.approx(0.024 * 300 + 0.11 * (300 - 177.3))
    # G.107 eq. 7-29 with G.711 + PLC (Ie 0, Bpl 25.1): 5 % random loss costs 15.8 R
    assert loss_impairment(5, "audio/PCMU") == pytest.approx(95 * 5 / (5 + 25.1))
    assert loss_impairment(5, "PCMU", burst_ratio=2) > loss_impairment(5, "PCMU")  # bursts hurt more
    assert r_factor(20, 0) == pytest.approx(93.2 - 0.48)
    assert mos(r_factor(60, 5)) == pytest.approx(3.86, abs=0.01)


def _report(*, received: int, lost: int, jitter: float, sent: int = 0, remote_lost: int = 0,
            remote_received: int = 0, rtt: float = 0.04) -> dict[str, Any]:
    return {
        "in": {"id": "in", "type": "inbound-rtp", "kind": "audio", "packetsReceived": received, "packetsLost": lost,
               "jitter": jitter, "codecId": "c"},
        "ri": {"id": "ri", "type": "remote-inbound-rtp", "kind": "audio", "packetsReceived": remote_received,
               "packetsLost": remote_lost, "jitter": 0.002, "roundTripTime": rtt, "codecId": "c"},
        "out": {"id": "out", "type": "outbound-rtp", "kind": "audio", "packetsSent": sent, "codecId": "c"},
        "c": {"id": "c", "type": "codec", "mimeType": "audio/opus", "clockRate": 48000},
    }


def test_call_quality_covers_the_interval_between_two_reports_in_each_direction() -> None:
    before = _report(received=1000, lost=100, jitter=0.01, remote_received=900, remote_lost=0)
    after = _report(received=1190, lost=110, jitter=0.01, remote_received=1000, remote_lost=0)
    quality = call_quality(after, before)
    inbound, outbound = quality["inbound"], quality["outbound"]
    assert (inbound.packets, inbound.lost, inbound.loss) == (200, 10, 5.0)  # not the 9 % since the start
    assert inbound.codec == "audio/opus" and inbound.rtt_ms == pytest.approx(40)
    assert inbound.jitter_ms == pytest.approx(10)
    assert inbound.delay_ms == pytest.approx(20 + 2 * 10 + 20)
    assert inbound.mos == pytest.approx(mos(r_factor(60, 5, "opus")))
    assert (outbound.packets, outbound.loss) == (100, 0.0) and outbound.mos > inbound.mos


def test_a_browser_report_without_packetsReceived_uses_the_loss_fraction() -> None:
    stats = [{"id": "r", "type": "remote-inbound-rtp", "kind": "audio", "packetsLost": 12, "fractionLost": 0.1,
              "jitter": 0.003, "roundTripTime": 0.1}]
    assert call_quality(stats)["outbound"].loss == pytest.approx(10.0)


def test_audio_gaps_count_missing_and_silent_media_time() -> None:
    frames = [PlayedFrame(i * 0.02, 0.02, audible=i % 10 != 3) for i in range(100) if i % 20 != 7]
    assert audio_gaps(frames) == pytest.approx(0.15)  # 5 missing + 10 silent of 100
    assert audio_gaps([]) == 1.0


def test_video_freezes_follow_the_w3c_definition() -> None:
    arrivals = [i / 30 for i in range(30)] + [1.0 + 0.5 + i / 30 for i in range(30)]  # one 0.5 s stall
    count, seconds = video_freezes(arrivals)
    assert count == 1 and seconds == pytest.approx(0.5 + 1 / 30, abs=0.01)
    assert video_freezes([i / 30 for i in range(60)]) == (0, 0.0)


def test_a_rendered_video_track_counts_its_freezes(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(render.time, "monotonic", lambda: now[0])
    track = render.TrackRender("t", "video")
    frame = av.VideoFrame(32, 24, "rgb24")
    for step in [1 / 30] * 20 + [0.6] + [1 / 30] * 20:  # 30 frames/s with one 0.6 s stall
        now[0] += step
        track.consume(frame)
    count, seconds = track.freezes()
    assert count == 1 and seconds == pytest.approx(0.6)
    assert track.freezes(since=now[0] - 0.3) == (0, 0.0)


def _play(buffer: JitterBuffer, loss: float, packets: int = 4000) -> int:
    """Frames a buffer gives out for ``packets`` audio packets with ``loss`` random loss."""
    rng = random.Random(5)
    played = 0
    for seq in range(packets):
        if rng.random() < loss:
            continue
        packet = RtpPacket(payload_type=0, sequence_number=seq & 0xFFFF, timestamp=seq * 160, payload=b"x")
        packet._data = b"x"  # type: ignore[attr-defined]  # what aiortc's receiver sets before add()
        _, frame = buffer.add(packet)
        played += frame is not None
    return played


@pytest.mark.parametrize("loss", [0.05, 0.2])
def test_audio_plays_on_after_a_loss_where_aiortc_drops_good_packets(loss: float) -> None:
    buffer = PlayOnJitterBuffer(capacity=16, prefetch=4)
    ours = _play(buffer, loss) / 4000
    theirs = _play(JitterBuffer(capacity=16, prefetch=4), loss) / 4000
    assert ours == pytest.approx(1 - loss, abs=0.02)
    assert buffer.skipped == pytest.approx(4000 * loss, rel=0.15)  # the lost ones, given up
    assert theirs < ours - 0.1  # aiortc's own buffer: the reason for ours


async def test_our_stats_are_in_w3c_units_with_codec_entries(make_cpaas: Any) -> None:
    alice = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]})
    call_id = alice.call.make("echo@example.com", {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Connected")
    alice.media.renderTracks(alice.call.getById(call_id)["remoteTracks"], "#echo")
    heard = alice.media.getContainer("#echo")
    await heard.wait_until(lambda c: c.frames >= 25)
    stats = await alice.call.getStats(call_id)
    inbound = next(s for s in stats.values() if s["type"] == "inbound-rtp")
    assert stats[inbound["codecId"]]["mimeType"] == "audio/PCMU" and stats[inbound["codecId"]]["clockRate"] == 8000
    assert 0 <= inbound["jitter"] < 0.1  # seconds, not RTP timestamp units
    quality = call_quality(stats)["inbound"]
    assert quality.loss == 0 and quality.mos > 4.3
    [render] = heard.audio()
    assert render.audio_gaps() < 0.05 and render.media_seconds() > 0.4
    await alice.call.end(call_id)
