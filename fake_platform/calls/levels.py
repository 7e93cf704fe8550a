"""How loud the audio a scripted endpoint receives is (the dashboard shows it beside the RTP figures)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SMOOTHING = 0.8  # weight of the level so far: about a fifth of a second of 20 ms frames
SILENCE_DBFS = -100.0
FULL_SCALE = 32768.0  # aiortc's decoders give signed 16-bit samples


class LevelMeter:
    """The RMS level, in dBFS, of a received audio track's latest frames (exponentially smoothed)."""

    def __init__(self) -> None:
        self.frames = 0
        self._power = 0.0

    def feed(self, frame: Any) -> None:
        samples = frame.to_ndarray()
        power = float(np.mean(np.square(samples, dtype=np.float64))) if samples.size else 0.0
        if samples.dtype.kind == "i":
            power /= FULL_SCALE * FULL_SCALE
        self._power = power if not self.frames else SMOOTHING * self._power + (1.0 - SMOOTHING) * power
        self.frames += 1

    @property
    def dbfs(self) -> float | None:
        if not self.frames:
            return None
        return max(SILENCE_DBFS, 10.0 * math.log10(self._power)) if self._power > 0 else SILENCE_DBFS
