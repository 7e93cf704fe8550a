"""DTMF codecs: in-band tones and RFC 4733 telephone-events (aiortc has neither, so they are ours).

Out of band, when both SDPs list ``telephone-event/8000``: each tone is a series of event packets
sent every 50 ms on the audio transport under their own SSRC (first with the marker bit, the
duration growing), then three end packets. In band otherwise: the call's microphone source plays
the tone's two frequencies (ITU-T Q.23) for ``duration`` ms, then its normal signal for
``intertoneGap`` ms. A ``,`` is a two-second pause, as in WebRTC's RTCDTMFSender.
"""

from __future__ import annotations

import asyncio
import random
import struct
from typing import Any

from aiortc.rtp import RtpPacket

from . import compat
from .errors import MediaError
from .sdp import Sdp
from .sources import AUDIO_RATE, DTMF_FREQUENCIES, ToneSegment, ToneSource

EVENT_CODES = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
CODE_DIGITS = {code: digit for digit, code in EVENT_CODES.items()}
PAUSE_MS = 2000
PACKET_INTERVAL = 0.050
TELEPHONE_EVENT = "telephone-event"
TELEPHONE_EVENT_PT = 101


# -- in band -----------------------------------------------------------------------------------
def inband_segments(tone: str, duration: int, gap: int) -> list[ToneSegment]:
    segments = []
    for char in tone:
        if char == ",":
            segments.append(ToneSegment(None, AUDIO_RATE * PAUSE_MS // 1000))
            continue
        segments.append(ToneSegment(DTMF_FREQUENCIES[char], AUDIO_RATE * duration // 1000))
        segments.append(ToneSegment(None, AUDIO_RATE * gap // 1000))
    return segments


async def play_inband(source: ToneSource, tone: str, duration: int, gap: int) -> None:
    source.play_dtmf(inband_segments(tone, duration, gap))
    seconds = sum(s.samples for s in inband_segments(tone, duration, gap)) / AUDIO_RATE
    await asyncio.wait_for(source.dtmf_idle.wait(), seconds + 5)


# -- out of band (RFC 4733) --------------------------------------------------------------------
def event_payload(code: int, *, end: bool, duration_samples: int, volume: int = 10) -> bytes:
    return struct.pack("!BBH", code, (0x80 if end else 0) | (volume & 0x3F), min(duration_samples, 0xFFFF))


def parse_event(payload: bytes) -> tuple[int, bool, int] | None:
    """``(event code, end bit, duration in samples)`` of an RFC 4733 payload."""
    if len(payload) < 4:
        return None
    code, flags, duration = struct.unpack("!BBH", payload[:4])
    return code, bool(flags & 0x80), duration


def telephone_event_pt(sdp_text: str | None) -> int | None:
    """The payload type of telephone-event/8000 in the audio section of ``sdp_text``."""
    if not sdp_text:
        return None
    for section in Sdp.parse(sdp_text).of_kind("audio"):
        for codec in section.codecs():
            if codec.name.lower() == TELEPHONE_EVENT and codec.rate == 8000 and section.port != 0:
                return codec.payload
    return None


def offer_telephone_event(sdp: Sdp, payload: int = TELEPHONE_EVENT_PT) -> Sdp:
    """Add telephone-event/8000 to every audio section that does not list it (what we send)."""
    for section in sdp.of_kind("audio"):
        if section.port == 0 or any(c.name.lower() == TELEPHONE_EVENT for c in section.codecs()):
            continue
        used = {int(p) for p in section.payloads if p.isdigit()}
        pt = payload if payload not in used else max(used | {95}) + 1
        section.payloads.append(str(pt))
        index = max((i + 1 for i, ln in enumerate(section.lines) if ln.startswith("a=rtpmap:")),
                    default=len(section.lines))
        section.lines[index:index] = [f"a=rtpmap:{pt} {TELEPHONE_EVENT}/8000", f"a=fmtp:{pt} 0-16"]
    return sdp


class Rfc4733Sender:
    """Sends telephone-event packets on a transceiver's transport, under an SSRC of their own."""

    def __init__(self, transceiver: Any, payload_type: int) -> None:
        self._transceiver = transceiver
        self._pt = payload_type
        self._ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._timestamp = random.getrandbits(32)

    async def _send(self, payload: bytes, *, marker: bool, timestamp: int) -> None:
        packet = RtpPacket(payload_type=self._pt, marker=int(marker), sequence_number=self._seq,
                           timestamp=timestamp, ssrc=self._ssrc, payload=payload)
        self._seq = (self._seq + 1) & 0xFFFF
        transport = self._transceiver.sender.transport
        if transport is None:
            raise MediaError("The audio transport is not connected")
        await compat.send_rtp(transport, packet.serialize())

    async def _connected(self, timeout: float = 10.0) -> None:
        """Right after a call connects, ICE and DTLS may still be finishing: wait (bounded)."""
        transport = self._transceiver.sender.transport
        if transport is None or transport.state == "connected":
            return
        ready = asyncio.Event()

        def changed() -> None:
            if transport.state in ("connected", "closed", "failed"):
                ready.set()

        transport.on("statechange", changed)
        try:
            async with asyncio.timeout(timeout):
                await ready.wait()
        finally:
            transport.remove_listener("statechange", changed)

    async def play(self, tone: str, duration: int, gap: int) -> None:
        await self._connected()
        for char in tone:
            if char == ",":
                await asyncio.sleep(PAUSE_MS / 1000)
                continue
            code = EVENT_CODES[char]
            timestamp = self._timestamp
            total = 8000 * duration // 1000
            step = int(8000 * PACKET_INTERVAL)
            sent, first = 0, True
            while sent < total:
                sent = min(sent + step, total)
                await self._send(event_payload(code, end=False, duration_samples=sent), marker=first,
                                 timestamp=timestamp)
                first = False
                await asyncio.sleep(PACKET_INTERVAL if sent < total else 0)
            for _ in range(3):  # the end packet, sent three times for loss
                await self._send(event_payload(code, end=True, duration_samples=total), marker=False,
                                 timestamp=timestamp)
            self._timestamp = (self._timestamp + total + 8000 * gap // 1000) & 0xFFFFFFFF
            await asyncio.sleep(gap / 1000)
