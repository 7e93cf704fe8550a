"""Dense media: many calls with media per core, for load tests.

Normally each call's microphone synthesises its tone and aiortc resamples and encodes every 20 ms
frame for that call, and the far end decodes every packet back: a core carries about a dozen
calls (bench/calls.py). Load tools of the SIPp kind replay pre-encoded RTP instead. Dense mode does
the same on top of aiortc:

* sending (:class:`SharedToneSource`): a tone is encoded to G.711 once per process, frequency and
  codec (:func:`encoded_tone`: one second, which loops seamlessly for a whole-hertz tone), and each
  call's track hands aiortc those shared payloads as encoded packets, which aiortc packetises per
  call (RTP header, SRTP). While the call has not negotiated PCMU or PCMA, or while in-band DTMF
  plays, or for a local render, the source synthesises frames as a plain ToneSource does;
* receiving (:class:`Sampling`, :func:`count_packets`): 1 call in N is verified in full (decoded
  by aiortc, on the loop rather than in a thread of its own (:func:`decode_verified`), and checked
  as any call: level, frequency); on the others each audio packet is counted
  where it arrives, after SRTP, and goes no further (no jitter buffer, no decoder thread).

What a counted call proves is that the far end's packets arrive at the expected rate, not what
they sound like: that is what the verified calls are for.
"""

from __future__ import annotations

import fractions
import functools
import itertools
import math
import time
from collections.abc import Callable
from typing import Any, Literal

import av
import numpy as np

from . import compat
from .sources import AUDIO_RATE, AUDIO_SAMPLES, DEFAULT_AMPLITUDE, ToneSource

G711_RATE = 8000
G711_SAMPLES = 160  # 20 ms at 8 kHz
G711_TIME_BASE = fractions.Fraction(1, G711_RATE)
#: The codecs dense sending covers (aiortc mime type -> libav encoder).
G711: dict[str, Literal["pcm_mulaw", "pcm_alaw"]] = {"audio/PCMU": "pcm_mulaw", "audio/PCMA": "pcm_alaw"}
LOOP_SECONDS = 1.0


@functools.lru_cache(maxsize=256)
def encoded_tone(frequency: float, mime_type: str, amplitude: float = DEFAULT_AMPLITUDE) -> tuple[bytes, ...]:
    """One second of a ``frequency`` Hz tone as G.711 payloads of 20 ms, encoded once per process."""
    return tuple(_encode(_tone(frequency, amplitude, int(G711_RATE * LOOP_SECONDS)), mime_type))


@functools.lru_cache(maxsize=4)
def encoded_silence(mime_type: str) -> bytes:
    """20 ms of silence in ``mime_type`` (a muted dense source sends it)."""
    return _encode(np.zeros(G711_SAMPLES, dtype=np.int16), mime_type)[0]


def _tone(frequency: float, amplitude: float, samples: int) -> np.ndarray:
    phases = 2 * math.pi * float(frequency) * np.arange(samples) / G711_RATE
    return (np.sin(phases) * amplitude * 32767).astype(np.int16)


def _encode(samples: np.ndarray, mime_type: str) -> list[bytes]:
    codec = av.CodecContext.create(G711[mime_type], "w")
    codec.format = "s16"
    codec.layout = "mono"
    codec.sample_rate = G711_RATE
    codec.time_base = G711_TIME_BASE
    payloads: list[bytes] = []
    for start in range(0, samples.size, G711_SAMPLES):
        frame = av.AudioFrame.from_ndarray(samples[start:start + G711_SAMPLES].reshape(1, -1), format="s16",
                                           layout="mono")
        frame.sample_rate = G711_RATE
        frame.pts = start
        frame.time_base = G711_TIME_BASE
        payloads.extend(bytes(packet) for packet in codec.encode(frame))
    payloads.extend(bytes(packet) for packet in codec.encode(None))
    return payloads


class SharedToneSource(ToneSource):
    """A microphone whose tone is the process's shared G.711 encoding once the call negotiated it.

    Give it the transceiver that sends it (:meth:`bind`, done by :class:`kandy_media.peer.Peer`);
    it reads the negotiated codec at every frame, so a renegotiation to another codec is followed.
    """

    def __init__(self, frequency: float, amplitude: float = DEFAULT_AMPLITUDE, label: str = "") -> None:
        super().__init__(frequency, amplitude, label)
        self._transceiver: Any = None
        self.packets_sent = 0  # shared payloads handed to aiortc (frames synthesised are not counted)

    def bind(self, transceiver: Any) -> None:
        self._transceiver = transceiver

    def _shared_codec(self) -> str | None:
        """The negotiated G.711 mime type, when this source may send the shared encoding now."""
        if self._transceiver is None or self._dtmf or self.taps:
            return None
        codecs = compat.negotiated_codecs(self._transceiver)
        mime = codecs[0].mimeType if codecs else None
        return mime if mime in G711 else None

    async def recv(self) -> av.AudioFrame | av.Packet[Any]:  # type: ignore[override]
        mime = self._shared_codec()
        if mime is None:
            return await super().recv()
        index = await self._next_slot()
        if self.muted:
            payload = encoded_silence(mime)
        else:
            payloads = encoded_tone(self.frequency, mime, self.amplitude)
            payload = payloads[index % len(payloads)]
        # Keep the synthesised tone's phase in step, should the source go back to frames.
        self._phase = float((self._phase + 2 * math.pi * self.frequency * AUDIO_SAMPLES / AUDIO_RATE) % (2 * math.pi))
        packet = av.Packet(payload)
        packet.pts = index * G711_SAMPLES
        packet.time_base = G711_TIME_BASE
        self.packets_sent += 1
        return packet


class PacketCount:
    """One call's received audio packets, counted as they arrive (instead of being decoded)."""

    def __init__(self) -> None:
        self.packets = 0
        self.bytes = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.listeners: list[Callable[[], None]] = []

    def __call__(self, data: bytes) -> None:
        now = time.monotonic()
        self.packets += 1
        self.bytes += len(data)
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        for listener in self.listeners:
            listener()

    def rate(self) -> float:
        """Packets per second between the first and the last one (0 before two arrived)."""
        if self.first_at is None or self.last_at is None or self.last_at <= self.first_at:
            return 0.0
        return (self.packets - 1) / (self.last_at - self.first_at)

    def summary(self) -> dict[str, Any]:
        return {"packets": self.packets, "bytes": self.bytes, "packetsPerSecond": round(self.rate(), 1)}


def count_packets(transceiver: Any) -> PacketCount:
    """From now on, count the audio packets ``transceiver`` receives instead of letting aiortc decode
    them (every payload type it negotiated; other media on the same transport is untouched)."""
    count = PacketCount()
    payload_types = {codec.payloadType for codec in compat.negotiated_codecs(transceiver)}
    transport = transceiver.receiver.transport
    for payload_type in sorted(payload_types):
        compat.intercept_rtp(transport, payload_type, count)
    return count


def decode_verified(transceiver: Any) -> None:
    """A verified call's audio is decoded in full by aiortc, as any call's, but on the event loop
    rather than in a decoder thread per call: G.711 decodes by table lookup, and the two thread
    hand-offs aiortc makes per 20 ms frame cost several times the decode (bench/media_density.py)."""
    compat.decode_on_loop(transceiver.receiver)


class Sampling:
    """Which calls are verified in full: the first, then every ``every``-th (1: all of them).

    Outgoing and incoming call ends are counted apart: when both ends of the calls live in one
    process (a Locust worker whose users call each other), call k's caller is the k-th outgoing end
    and its callee the k-th incoming one, so both ends of 1 call in N are verified.
    """

    def __init__(self, every: int) -> None:
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"verify every N calls needs an integer N >= 1, got {every!r}")
        self.every = every
        self._ends: dict[str, itertools.count[int]] = {}

    def verify_next(self, direction: str = "outgoing") -> bool:
        counter = self._ends.setdefault(direction, itertools.count())
        return next(counter) % self.every == 0


_SAMPLINGS: dict[int, Sampling] = {}


def sampling(every: int) -> Sampling:
    """The process's sampling for "1 call in ``every``": shared by every client of the process, so
    that one Locust worker with many users verifies 1 in N of all its calls."""
    if every not in _SAMPLINGS:
        _SAMPLINGS[every] = Sampling(every)
    return _SAMPLINGS[every]
