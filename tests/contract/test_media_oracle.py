"""An independent oracle for the platform's checks of client media: bytes captured from Chromium.

``make record-interop`` keeps, from the interop suite's calls of the official SDKs:

* ``media/*-rfc4733.json``: the RFC 4733 telephone-event packets Chromium sent the IVR for
  ``sendDTMF`` (raw RTP, as the IVR's transport received them), with the digits the SDK was
  asked to send;
* ``media/*-inband.json``: the audio RTP packets (Opus) Chromium sent the in-band IVR while an
  official SDK mixed DTMF tones into the microphone (telephone-event not negotiated), around the
  digits, with the negotiated codec, the build, the tones the app asked for and the digits the IVR
  heard;
* ``media/*.sdp``: offers and answers Chromium made (as it sent them, not sanitised).

Our encoder (kandy_media.dtmf) and our decoder (fake_platform/calls/dtmf.py) could share a bug and
still agree with each other; they cannot both agree with Chromium's bytes. The in-band packets are
decoded by aiortc's decoder (libopus through PyAV), not by anything of ours, and the tones' pitches
are also read off a plain FFT against the ITU-T Q.23 table written out here. The SDP facts below
are read from the captured text with plain regular expressions, independently of kandy_media.sdp.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiortc.codecs import get_decoder, get_encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from fake_platform.calls.dtmf import GoertzelDetector, Rfc4733Receiver
from kandy_media.dtmf import inband_segments, telephone_event_pt
from kandy_media.sdp import Sdp
from kandy_media.sources import ToneSource

MEDIA = Path(__file__).parent / "media"
CAPTURES = sorted(MEDIA.glob("*-rfc4733.json"))
SDPS = sorted(MEDIA.glob("*.sdp"))
INBAND = sorted(MEDIA.glob("*-inband.json"))
# ITU-T Q.23: row (low) and column (high) frequencies of the keypad, written out independently of
# kandy_media.sources.DTMF_FREQUENCIES.
Q23_ROWS = (697, 770, 852, 941)
Q23_COLUMNS = (1209, 1336, 1477)
Q23_KEYS = ("123", "456", "789", "*0#")
# Official builds whose in-band tone table is not Q.23's (docs/decisions.md): CPaaS 4.9.0 swaps 0 and *.
NOT_Q23 = {"cpaas 4.9.0": str.maketrans("0*", "*0")}


class CapturedTransport:
    """Stands where aiortc's DTLS transport stands: the receiver intercepts its RTP handler."""

    def __init__(self) -> None:
        self.passed_on: list[bytes] = []

    async def _handle_rtp_data(self, data: bytes, arrival_time_ms: int) -> None:
        self.passed_on.append(data)


def test_there_are_captures_from_chromium() -> None:
    assert CAPTURES, "make record-interop captures the official SDKs' DTMF packets"
    assert len(SDPS) >= 2, "make record-interop captures Chromium's offers and answers"


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
async def test_chromium_telephone_events_decode_to_the_digits_the_sdk_sent(path: Path) -> None:
    capture = json.loads(path.read_text())
    transport, heard = CapturedTransport(), []
    Rfc4733Receiver(transport, capture["payloadType"], heard.append)
    packets = [bytes.fromhex(p) for p in capture["packets"]]
    for packet in packets:
        await transport._handle_rtp_data(packet, 0)
    assert "".join(heard) == capture["digits"]
    assert transport.passed_on == []  # every telephone-event packet was the receiver's
    # what Chromium's packets say on their own (RFC 4733 section 2.3), independent of our parser
    events = {int.from_bytes(p[4:8], "big"): p[12 + 4 * (p[0] & 0x0F)] for p in packets}
    assert len(events) == len(capture["digits"])
    assert all((p[1] & 0x7F) == capture["payloadType"] for p in packets)


def _facts(text: str) -> list[dict[str, Any]]:
    """Per m-line: kind, payload types, rtpmap names, mid and direction, read with regexes."""
    facts = []
    for block in re.split(r"\r?\n(?=m=)", text)[1:]:
        mline = re.match(r"m=(\w+) \d+ \S+ ([\d ]+)", block)
        assert mline is not None
        directions = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", block, re.M)
        facts.append({
            "kind": mline.group(1),
            "payloads": [int(p) for p in mline.group(2).split()],
            "rtpmap": {int(pt): name for pt, name in re.findall(r"^a=rtpmap:(\d+) ([^/\r\n]+)", block, re.M)},
            "mid": (re.findall(r"^a=mid:(\S+)", block, re.M) or [None])[0],
            "direction": directions[0] if directions else "sendrecv",
        })
    return facts


@pytest.mark.parametrize("path", SDPS, ids=lambda p: p.stem)
def test_chromium_sdp_parses_to_what_its_text_says(path: Path) -> None:
    text = path.read_text()
    sdp = Sdp.parse(text)
    facts = _facts(text)
    assert [s.kind for s in sdp.media] == [f["kind"] for f in facts]
    for section, fact in zip(sdp.media, facts, strict=True):
        assert [c.payload for c in section.codecs()] == fact["payloads"]
        assert {c.payload: c.name for c in section.codecs() if c.payload in fact["rtpmap"]} == fact["rtpmap"]
        assert section.mid == fact["mid"]
        assert section.direction == fact["direction"]
    fingerprint = re.search(r"^a=fingerprint:\S+ (\S+)", text, re.M)
    assert fingerprint is not None and sdp.fingerprint is not None and fingerprint.group(1) in sdp.fingerprint
    session = re.search(r"^o=\S+ (\d+) ", text, re.M)
    assert session is not None and sdp.session_id == session.group(1)
    event = re.search(r"^a=rtpmap:(\d+) telephone-event/8000", text, re.M)
    assert telephone_event_pt(text) == (int(event.group(1)) if event else None)
    assert Sdp.parse(str(sdp)).media[0].mline == sdp.media[0].mline  # what we send back parses the same


OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2)


def _decode(capture: dict[str, Any]) -> list[Any]:
    """Chromium's packets in sequence order, through aiortc's decoder for the negotiated codec."""
    name, rate, channels = capture["codec"].split("/")
    decoder = get_decoder(RTCRtpCodecParameters(mimeType=f"audio/{name}", clockRate=int(rate), channels=int(channels)))
    packets = [RtpPacket.parse(bytes.fromhex(p)) for p in capture["packets"]]
    assert {p.payload_type for p in packets} == {capture["payloadType"]}
    first = packets[0].sequence_number
    packets.sort(key=lambda p: (p.sequence_number - first) % 65536)
    return [frame for p in packets for frame in decoder.decode(JitterFrame(data=p.payload, timestamp=p.timestamp))]


def _bursts(pcm: np.ndarray, rate: int) -> list[np.ndarray]:
    """The keyed tones: stretches of ``pcm`` whose 10 ms blocks carry over a tenth of the loudest
    block's power in the column band (1150-1550 Hz; the microphone's background stays below it,
    however Chromium's gain control moves it)."""
    step = rate // 100
    blocks = np.abs(np.fft.rfft(pcm[:pcm.size // step * step].reshape(-1, step), axis=1)) ** 2
    hertz = np.fft.rfftfreq(step, 1 / rate)
    column_power = blocks[:, (hertz > 1150) & (hertz < 1550)].sum(axis=1)
    loud = np.concatenate([[False], column_power > column_power.max() / 10, [False]])
    edges = np.flatnonzero(np.diff(loud.astype(int)))
    spans = zip(edges[::2], edges[1::2], strict=True)
    return [pcm[start * step:end * step] for start, end in spans if end - start >= 4]


def _q23_key(burst: np.ndarray, rate: int) -> str:
    """The key whose row and column are nearest the strongest pitch in each band (a plain FFT)."""
    spectrum = np.abs(np.fft.rfft(burst * np.hanning(burst.size), n=1 << 16))
    hertz = np.fft.rfftfreq(1 << 16, 1 / rate)

    def peak(low: float, high: float) -> float:
        band = (hertz > low) & (hertz < high)
        return float(hertz[band][np.argmax(spectrum[band])])

    row, column = peak(650, 1000), peak(1150, 1550)
    nearest_row = min(range(4), key=lambda i: abs(Q23_ROWS[i] - row))
    nearest_column = min(range(3), key=lambda i: abs(Q23_COLUMNS[i] - column))
    assert abs(Q23_ROWS[nearest_row] - row) < 15 and abs(Q23_COLUMNS[nearest_column] - column) < 15, (row, column)
    return Q23_KEYS[nearest_row][nearest_column]


def _q23_keys(frames: list[Any]) -> str:
    rate = frames[0].sample_rate
    pcm = np.concatenate([f.to_ndarray().reshape(-1)[::len(f.layout.channels)] for f in frames]).astype(np.float64)
    return "".join(_q23_key(burst, rate) for burst in _bursts(pcm / 32768.0, rate))


def _detected(frames: list[Any]) -> str:
    heard: list[str] = []
    detector = GoertzelDetector(heard.append)
    for frame in frames:
        detector.feed(frame)
    return "".join(heard)


def test_there_is_an_inband_capture_from_chromium() -> None:
    assert {json.loads(p.read_text())["sdk"].split()[0] for p in INBAND} == {"cpaas", "callme"}, \
        "make record-interop captures both official SDKs' in-band DTMF (tests/interop/test_inband_dtmf.py)"


@pytest.mark.parametrize("path", INBAND, ids=lambda p: p.stem)
def test_the_ivr_detector_hears_chromiums_inband_digits_in_order(path: Path) -> None:
    capture = json.loads(path.read_text())
    assert _detected(_decode(capture)) == capture["digits"]
    # the codec the capture names is the one Chromium's own offer gave that payload type
    offer = path.with_name(path.name.replace("-inband.json", "-1.sdp")).read_text()
    name, rate, channels = capture["codec"].split("/")
    assert re.search(rf"^a=rtpmap:{capture['payloadType']} {name}/{rate}(/{channels})?\r?$", offer, re.M | re.I)


@pytest.mark.parametrize("path", INBAND, ids=lambda p: p.stem)
def test_chromiums_inband_tones_are_the_q23_pairs_of_the_keys(path: Path) -> None:
    """Independent of the detector: the pitches of each tone Chromium sent name the key the IVR
    reported, and those are the keys the app asked for, but where the build's table is not Q.23's."""
    capture = json.loads(path.read_text())
    assert _q23_keys(_decode(capture)) == capture["digits"]
    assert capture["sent"].translate(NOT_Q23.get(capture["sdk"], {})) == capture["digits"]


@pytest.mark.looptime
async def test_our_inband_tones_take_the_same_independent_route() -> None:
    """Our SDK's in-band DTMF (kandy_media's ToneSource) through aiortc's Opus encoder and decoder:
    the FFT reads the Q.23 keys asked for (no swap of ours), and the IVR's detector hears them."""
    tones = "159*0#"
    source, encoder, decoder = ToneSource(660.0), get_encoder(OPUS), get_decoder(OPUS)
    source.play_dtmf(inband_segments(tones, 100, 70))
    frames = []
    while not source.dtmf_idle.is_set():
        packets, timestamp = encoder.encode(await source.recv())
        frames += [f for p in packets for f in decoder.decode(JitterFrame(data=p, timestamp=timestamp))]
    source.stop()
    assert _q23_keys(frames) == tones
    assert _detected(frames) == tones
