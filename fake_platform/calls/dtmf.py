"""DTMF detection for the IVR endpoint: Goertzel filters on the audio (in band) and RFC 4733
telephone-event packets read off the transport (out of band)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import av
import numpy as np

from kandy_media import compat
from kandy_media.dtmf import CODE_DIGITS, parse_event
from kandy_media.sources import DTMF_FREQUENCIES

LOW = (697, 770, 852, 941)
HIGH = (1209, 1336, 1477, 1633)
DIGITS = {pair: digit for digit, pair in DTMF_FREQUENCIES.items()}
MIN_BLOCKS = 2  # a tone must last two 20 ms blocks (40 ms) to count
KEPT_PACKETS = 200  # raw telephone-event packets kept per call (tests/contract's media oracle)


@functools.cache
def _basis(rate: int, size: int) -> np.ndarray:
    """Complex exponentials at the eight DTMF frequencies (the Goertzel terms, vectorised)."""
    n = np.arange(size)
    basis: np.ndarray = np.exp(-2j * np.pi * np.outer(np.array(LOW + HIGH, dtype=np.float64), n) / rate)
    return basis


def tone_powers(samples: np.ndarray, rate: int) -> np.ndarray:
    """Power of the block at each DTMF frequency, LOW then HIGH (same scale as Goertzel)."""
    powers: np.ndarray = np.abs(_basis(rate, samples.size) @ samples) ** 2
    return powers


class GoertzelDetector:
    """Turns consecutive audio frames into DTMF digits (each reported once, when it starts)."""

    def __init__(self, on_digit: Callable[[str], None]) -> None:
        self._on_digit = on_digit
        self._candidate: str | None = None
        self._count = 0
        self._reported = False

    def feed(self, frame: av.AudioFrame) -> None:
        data = frame.to_ndarray()
        mono = data[0] if frame.format.is_planar else data.reshape(-1)[::len(frame.layout.channels)]
        self._block(mono.astype(np.float64) / 32768.0, frame.sample_rate)

    def _block(self, samples: np.ndarray, rate: int) -> None:
        digit = self.classify(samples, rate)
        if digit is not None and digit == self._candidate:
            self._count += 1
        else:
            self._candidate, self._count, self._reported = digit, 1 if digit else 0, False
        if self._candidate is not None and self._count >= MIN_BLOCKS and not self._reported:
            self._reported = True
            self._on_digit(self._candidate)

    @staticmethod
    def classify(samples: np.ndarray, rate: int) -> str | None:
        if samples.size < 64:
            return None
        energy = float(np.sum(samples ** 2)) * samples.size / 2
        if energy < 1e-3:
            return None
        powers = tone_powers(samples, rate)
        lows, highs = list(powers[:4]), list(powers[4:])
        low_i, high_i = int(np.argmax(lows)), int(np.argmax(highs))
        low, high = lows[low_i], highs[high_i]
        # both tones clearly present, dominant in their group, and most of the block's energy
        if sorted(lows)[-2] * 4 > low or sorted(highs)[-2] * 4 > high:
            return None
        if (low + high) < 0.4 * energy:
            return None
        return DIGITS.get((LOW[low_i], HIGH[high_i]))


class Rfc4733Receiver:
    """Reads telephone-event packets arriving on an aiortc DTLS transport (before aiortc drops them:
    it routes RTP by payload types it knows, and telephone-event is not one of them)."""

    def __init__(self, transport: Any, payload_type: int, on_digit: Callable[[str], None]) -> None:
        self._pt = payload_type
        self.payload_type = payload_type
        self._on_digit = on_digit
        self._seen: set[int] = set()
        self.packets: list[bytes] = []  # as received, for make record-interop (bounded)
        compat.intercept_rtp(transport, payload_type, self._event)

    def _event(self, data: bytes) -> None:
        if len(self.packets) < KEPT_PACKETS:
            self.packets.append(bytes(data))
        timestamp = int.from_bytes(data[4:8], "big")
        header = 12 + 4 * (data[0] & 0x0F)
        if data[0] & 0x10:  # header extension
            length = int.from_bytes(data[header + 2:header + 4], "big")
            header += 4 + 4 * length
        event = parse_event(data[header:])
        if event is None or timestamp in self._seen:
            return
        self._seen.add(timestamp)  # one digit per event timestamp, whichever packet arrives first
        digit = CODE_DIGITS.get(event[0])
        if digit is not None:
            self._on_digit(digit)


async def consume(track: Any, on_frame: Callable[[Any], None] | None = None) -> None:
    """Read a received track to its end (aiortc queues frames until they are read)."""
    while True:
        try:
            frame = await track.recv()
        except Exception:
            return
        if on_frame is not None:
            on_frame(frame)
