"""Render targets: what ``media.renderTracks(trackIds, cssSelector)`` renders into.

There is no DOM here, so a CSS selector names a :class:`Container` that consumes the frames of the
tracks rendered into it and records what it got: frame counts, and for audio the level (RMS) and
the dominant frequency over the last half second, for video the size and the mean colour. A test
can then assert "Bob hears Alice's 440 Hz tone in #remote". Audio rendered with a ``speakerId``
records that speaker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np

WINDOW_SECONDS = 0.5


@dataclass
class TrackRender:
    """One track rendered in one container, with what it has received so far."""

    track_id: str
    kind: str
    speaker_id: str | None = None
    frames: int = 0
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    sample_rate: int = 0
    width: int = 0
    height: int = 0
    _samples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _colour: tuple[float, float, float] = (0.0, 0.0, 0.0)
    on_frame: Callable[[], None] | None = None

    def consume(self, frame: av.AudioFrame | av.VideoFrame, *, silent: bool = False) -> None:
        if self.on_frame is not None:
            self.on_frame()
        now = time.monotonic()
        self.frames += 1
        self.first_frame_at = self.first_frame_at or now
        self.last_frame_at = now
        if isinstance(frame, av.AudioFrame):
            self._consume_audio(frame, silent)
        else:
            self._consume_video(frame, silent)

    def _consume_audio(self, frame: av.AudioFrame, silent: bool) -> None:
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        if frame.format.is_planar:
            mono = data[0]
        else:
            mono = data.reshape(-1)[::channels]
        samples = mono.astype(np.float32)
        if frame.format.name.startswith("s16"):
            samples /= 32768.0
        if silent:
            samples = np.zeros_like(samples)
        self.sample_rate = frame.sample_rate
        keep = int(self.sample_rate * WINDOW_SECONDS)
        self._samples = np.concatenate([self._samples, samples])[-keep:]

    def _consume_video(self, frame: av.VideoFrame, silent: bool) -> None:
        self.width, self.height = frame.width, frame.height
        if silent:
            self._colour = (0.0, 0.0, 0.0)
            return
        image = frame.to_ndarray(format="rgb24")
        h, w = image.shape[:2]
        centre = image[h // 4: 3 * h // 4, w // 4: w // 4 + max(1, w // 8)]
        self._colour = tuple(float(x) for x in centre.reshape(-1, 3).mean(axis=0))  # type: ignore[assignment]

    # -- what was heard / seen -----------------------------------------------------------------
    def rms(self) -> float:
        """Root mean square level of the last half second, 0..1 of full scale."""
        if self._samples.size == 0:
            return 0.0
        return float(np.sqrt(np.mean(self._samples ** 2)))

    def dominant_frequency(self) -> float:
        """The strongest frequency (Hz) of the last half second (0 for silence)."""
        if self._samples.size < 64 or self.rms() < 1e-4:
            return 0.0
        window = self._samples * np.hanning(self._samples.size)
        spectrum = np.abs(np.fft.rfft(window))
        spectrum[0] = 0.0
        peak = int(np.argmax(spectrum))
        return float(peak * self.sample_rate / self._samples.size)

    def colour(self) -> tuple[float, float, float]:
        return self._colour

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {"trackId": self.track_id, "kind": self.kind, "frames": self.frames}
        if self.kind == "audio":
            data.update(rms=round(self.rms(), 4), frequency=round(self.dominant_frequency(), 1),
                        sampleRate=self.sample_rate, speakerId=self.speaker_id)
        else:
            data.update(width=self.width, height=self.height, colour=[round(c) for c in self._colour])
        return data


@dataclass
class Container:
    """The element a CSS selector names: the tracks rendered into it."""

    selector: str
    renders: dict[str, TrackRender] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, render: TrackRender) -> None:
        render.on_frame = self._changed.set
        self.renders[render.track_id] = render

    @property
    def frames(self) -> int:
        return sum(r.frames for r in self.renders.values())

    async def wait_until(self, condition: Callable[[Container], bool], timeout: float = 10.0) -> None:
        """Wait, frame by frame, until ``condition(self)`` holds (TimeoutError with a summary)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{self.selector}: condition not met within {timeout} s; {self.summary()}")
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                continue

    async def frames_during(self, seconds: float) -> int:
        """How many frames arrive in the next ``seconds`` (an observation window, e.g. on hold)."""
        before = self.frames
        await asyncio.sleep(seconds)
        return self.frames - before

    def audio(self) -> list[TrackRender]:
        return [r for r in self.renders.values() if r.kind == "audio"]

    def video(self) -> list[TrackRender]:
        return [r for r in self.renders.values() if r.kind == "video"]

    def summary(self) -> dict[str, Any]:
        return {"selector": self.selector, "tracks": [r.summary() for r in self.renders.values()]}
