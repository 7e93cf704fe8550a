"""Synthetic media sources: each emulated device produces media that can be told apart.

A microphone is a sine tone of its own frequency; a camera is a frame of its own colour with a
moving bar. Frames are paced by the event loop's clock (never the wall clock, so frozen wall time
cannot slow them down). A muted source sends silence or black frames, as the documents say muting
does. Taps let the SDK render a local track without stealing frames from the RTP sender. DTMF tones
(two sines, ITU-T Q.23) can be mixed into a tone source's output.
"""

from __future__ import annotations

import asyncio
import fractions
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

AUDIO_RATE = 48000
AUDIO_PTIME = 0.020
AUDIO_SAMPLES = int(AUDIO_RATE * AUDIO_PTIME)
VIDEO_CLOCK = 90000
DEFAULT_AMPLITUDE = 0.3

Tap = Callable[[av.AudioFrame | av.VideoFrame], None]

# ITU-T Q.23 DTMF frequencies (low, high) per character.
DTMF_FREQUENCIES = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}


@dataclass
class ToneSegment:
    """A DTMF tone (or a pause when ``frequencies`` is None) lasting ``samples`` samples."""

    frequencies: tuple[int, int] | None
    samples: int


class _Paced(MediaStreamTrack):
    """Common pacing: frame n is released at start + n * period on the loop clock."""

    def __init__(self, period: float) -> None:
        super().__init__()
        self._period = period
        self._start: float | None = None
        self._count = 0
        self.muted = False
        self.taps: list[Tap] = []

    async def _next_slot(self) -> int:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        index = self._count
        self._count += 1
        wait = self._start + index * self._period - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        return index

    def _tap(self, frame: av.AudioFrame | av.VideoFrame) -> None:
        for tap in list(self.taps):
            tap(frame)


class ToneSource(_Paced):
    """An emulated microphone: a continuous sine at ``frequency`` Hz, 48 kHz mono s16, 20 ms frames."""

    kind = "audio"

    def __init__(self, frequency: float, amplitude: float = DEFAULT_AMPLITUDE, label: str = "") -> None:
        super().__init__(AUDIO_PTIME)
        self.frequency = float(frequency)
        self.amplitude = amplitude
        self.label = label
        self._phase = 0.0
        self._dtmf: deque[ToneSegment] = deque()
        self._dtmf_pos = 0
        self.dtmf_idle = asyncio.Event()
        self.dtmf_idle.set()

    def play_dtmf(self, segments: list[ToneSegment]) -> None:
        """Queue DTMF tones and gaps to be mixed in place of the tone (in-band DTMF)."""
        self._dtmf.extend(segments)
        if self._dtmf:
            self.dtmf_idle.clear()

    async def recv(self) -> av.AudioFrame:
        index = await self._next_slot()
        if self.muted:
            samples = np.zeros(AUDIO_SAMPLES, dtype=np.int16)
        elif self._dtmf:
            samples = self._dtmf_samples()
        else:
            samples = self._tone_samples()
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = index * AUDIO_SAMPLES
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._tap(frame)
        return frame

    def _tone_samples(self) -> np.ndarray:
        step = 2 * math.pi * self.frequency / AUDIO_RATE
        phases = self._phase + step * np.arange(AUDIO_SAMPLES)
        self._phase = float((self._phase + step * AUDIO_SAMPLES) % (2 * math.pi))
        samples: np.ndarray = (np.sin(phases) * self.amplitude * 32767).astype(np.int16)
        return samples

    def _dtmf_samples(self) -> np.ndarray:
        out = np.zeros(AUDIO_SAMPLES, dtype=np.float64)
        filled = 0
        while filled < AUDIO_SAMPLES and self._dtmf:
            segment = self._dtmf[0]
            take = min(AUDIO_SAMPLES - filled, segment.samples - self._dtmf_pos)
            if segment.frequencies is not None:
                t = (self._dtmf_pos + np.arange(take)) / AUDIO_RATE
                low, high = segment.frequencies
                out[filled:filled + take] = 0.5 * (np.sin(2 * math.pi * low * t) + np.sin(2 * math.pi * high * t))
            filled += take
            self._dtmf_pos += take
            if self._dtmf_pos >= segment.samples:
                self._dtmf.popleft()
                self._dtmf_pos = 0
        if not self._dtmf:
            self.dtmf_idle.set()
        return (out * self.amplitude * 32767).astype(np.int16)


class PatternSource(_Paced):
    """An emulated camera (or screen): frames of ``color`` with a moving bar, rgb24."""

    kind = "video"

    def __init__(self, color: tuple[int, int, int], *, width: int = 320, height: int = 240,
                 frame_rate: float = 15.0, label: str = "") -> None:
        super().__init__(1.0 / frame_rate)
        self.color = tuple(int(c) for c in color)
        self.width, self.height, self.frame_rate = int(width), int(height), float(frame_rate)
        self.label = label

    async def recv(self) -> av.VideoFrame:
        index = await self._next_slot()
        image = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        if not self.muted:
            image[:, :] = self.color
            bar = (index * 4) % self.width
            image[:, bar:bar + 8] = 255 - np.array(self.color, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = int(index * VIDEO_CLOCK / self.frame_rate)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._tap(frame)
        return frame
