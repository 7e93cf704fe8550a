"""An independent oracle for the platform's checks of client media: bytes captured from Chromium.

``make record-interop`` keeps, from the interop suite's calls of the official SDKs:

* ``media/*-rfc4733.json``: the RFC 4733 telephone-event packets Chromium sent the IVR for
  ``sendDTMF`` (raw RTP, as the IVR's transport received them), with the digits the SDK was
  asked to send;
* ``media/*.sdp``: offers and answers Chromium made (as it sent them, not sanitised).

Our encoder (kandy_media.dtmf) and our decoder (fake_platform/calls/dtmf.py) could share a bug and
still agree with each other; they cannot both agree with Chromium's bytes. The SDP facts below
are read from the captured text with plain regular expressions, independently of kandy_media.sdp.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from fake_platform.calls.dtmf import Rfc4733Receiver
from kandy_media.dtmf import telephone_event_pt
from kandy_media.sdp import Sdp

MEDIA = Path(__file__).parent / "media"
CAPTURES = sorted(MEDIA.glob("*-rfc4733.json"))
SDPS = sorted(MEDIA.glob("*.sdp"))


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
