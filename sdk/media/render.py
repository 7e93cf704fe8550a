"""Render targets: what ``media.renderTracks(trackIds, cssSelector)`` renders into.

There is no DOM here, so a CSS selector names a :class:`Container` that consumes the frames of the
tracks rendered into it and records what it got: frame counts, and for audio the level (RMS) and
the dominant frequency over the last half second, for video the size and the mean colour. A test
can then assert "Bob hears Alice's 440 Hz tone in #remote". Audio rendered with a ``speakerId``
records that speaker.

For call quality, each render also keeps the last :data:`TIMELINE_SECONDS` of its playout: per
audio frame its media time, duration and whether it was audible, per video frame when it came, so
that audio gaps and video freezes can be measured over any recent interval
(:mod:`kandy_media.quality`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np

from kandy_media.quality import PlayedFrame, audio_gaps, video_freezes

WINDOW_SECONDS = 0.5
TIMELINE_SECONDS = 30.0
SILENT_RMS = 1e-3  # an audio frame quieter than this (of full scale) is not heard


@dataclass
class TrackRender:
    """One track rendered in one container, with what it has received so far.

    Consuming a frame only keeps a reference to it (the last half second of audio, the last video
    frame); levels, frequencies and colours are computed when asked for, so rendering costs the
    media path next to nothing. A track whose packets are only counted (dense media, a call that
    is not sampled: ``verified`` False) counts each packet as a frame and has no audio to analyse.
    """

    track_id: str
    kind: str
    speaker_id: str | None = None
    verified: bool = True
    frames: int = 0
    packets: int = 0
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    sample_rate: int = 0
    width: int = 0
    height: int = 0
    on_frame: Callable[[], None] | None = None
    _audio: deque[tuple[av.AudioFrame, bool]] = field(default_factory=lambda: deque(maxlen=64))
    _video: tuple[av.VideoFrame, bool] | None = None
    _played: deque[tuple[float, PlayedFrame]] = field(default_factory=lambda: deque(maxlen=3000))  # audio
    _shown: deque[float] = field(default_factory=lambda: deque(maxlen=3000))  # video frame arrivals

    def consume(self, frame: av.AudioFrame | av.VideoFrame, *, silent: bool = False) -> None:
        now = time.monotonic()
        self.frames += 1
        self.first_frame_at = self.first_frame_at or now
        self.last_frame_at = now
        if isinstance(frame, av.AudioFrame):
            self.sample_rate = frame.sample_rate
            self._audio.append((frame, silent))
            self._play(now, frame, silent)
        else:
            self.width, self.height = frame.width, frame.height
            self._video = (frame, silent)
            self._shown.append(now)
            _trim(self._shown, now)
        if self.on_frame is not None:
            self.on_frame()

    def count_packet(self) -> None:
        """One packet of a counted track arrived (it stands for a 20 ms frame)."""
        now = time.monotonic()
        self.frames += 1
        self.packets += 1
        self.first_frame_at = self.first_frame_at or now
        self.last_frame_at = now
        if self.on_frame is not None:
            self.on_frame()

    def _play(self, now: float, frame: av.AudioFrame, silent: bool) -> None:
        duration = frame.samples / frame.sample_rate if frame.sample_rate else 0.0
        if frame.pts is not None and frame.time_base is not None:
            pts = float(frame.pts * frame.time_base)
        else:  # a source without timestamps: assume it is continuous
            pts = self._played[-1][1].pts + self._played[-1][1].duration if self._played else 0.0
        audible = not silent and float(np.sqrt(np.mean(_mono(frame) ** 2))) >= SILENT_RMS
        self._played.append((now, PlayedFrame(pts, duration, audible)))
        while self._played and now - self._played[0][0] > TIMELINE_SECONDS:
            self._played.popleft()

    # -- playout over an interval (call quality) -----------------------------------------------
    def audio_gaps(self, since: float = 0.0) -> float:
        """Share (0..1) of the media time played since ``since`` (``time.monotonic()``) that was
        not heard: frames that never came and silent ones."""
        return audio_gaps([f for at, f in self._played if at >= since])

    def media_seconds(self, since: float = 0.0) -> float:
        """Media time the audio frames since ``since`` span (heard or not)."""
        frames = [f for at, f in self._played if at >= since]
        return 0.0 if not frames else max(f.pts + f.duration for f in frames) - min(f.pts for f in frames)

    def freezes(self, since: float = 0.0) -> tuple[int, float]:
        """``(count, seconds)`` of the video freezes since ``since`` (W3C freeze definition)."""
        return video_freezes([at for at in self._shown if at >= since])

    def _window(self) -> np.ndarray:
        """The most recent half second of audio as mono float samples in -1..1."""
        if not self._audio:
            return np.zeros(0, dtype=np.float32)
        keep = int(self.sample_rate * WINDOW_SECONDS)
        chunks: list[np.ndarray] = []
        total = 0
        for frame, silent in reversed(self._audio):
            samples = _mono(frame)
            chunks.append(np.zeros_like(samples) if silent else samples)
            total += samples.size
            if total >= keep:
                break
        return np.concatenate(list(reversed(chunks)))[-keep:]

    # -- what was heard / seen -----------------------------------------------------------------
    def rms(self) -> float:
        """Root mean square level of the last half second, 0..1 of full scale."""
        samples = self._window()
        if samples.size == 0:
            return 0.0
        return float(np.sqrt(np.mean(samples ** 2)))

    def dominant_frequency(self) -> float:
        """The strongest frequency (Hz) of the last half second (0 for silence)."""
        samples = self._window()
        if samples.size < 64 or float(np.sqrt(np.mean(samples ** 2))) < 1e-4:
            return 0.0
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
        spectrum[0] = 0.0
        return float(int(np.argmax(spectrum)) * self.sample_rate / samples.size)

    def level_at(self, frequency: float, tolerance: float = 15.0) -> float:
        """Share of the last half second's spectral energy within ``tolerance`` Hz of ``frequency``
        (0..1): tells whether a tone is present in a mix, e.g. in a conference."""
        samples = self._window()
        if samples.size < 64:
            return 0.0
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
        spectrum[0] = 0.0
        total = float(spectrum.sum())
        if total <= 0:
            return 0.0
        freqs = np.fft.rfftfreq(samples.size, 1.0 / self.sample_rate)
        return float(spectrum[np.abs(freqs - frequency) <= tolerance].sum() / total)

    def colour(self) -> tuple[float, float, float]:
        """Mean colour of a strip left of centre in the last video frame (black when muted)."""
        if self._video is None or self._video[1]:
            return (0.0, 0.0, 0.0)
        image = self._video[0].to_ndarray(format="rgb24")
        h, w = image.shape[:2]
        strip = image[h // 4: 3 * h // 4, w // 4: w // 4 + max(1, w // 8)]
        mean = strip.reshape(-1, 3).mean(axis=0)
        return (float(mean[0]), float(mean[1]), float(mean[2]))

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {"trackId": self.track_id, "kind": self.kind, "frames": self.frames}
        if not self.verified:
            data.update(verified=False, packets=self.packets)
        elif self.kind == "audio":
            data.update(rms=round(self.rms(), 4), frequency=round(self.dominant_frequency(), 1),
                        sampleRate=self.sample_rate, speakerId=self.speaker_id)
        else:
            data.update(width=self.width, height=self.height, colour=[round(c) for c in self.colour()])
        return data


def _trim(arrivals: deque[float], now: float) -> None:
    while arrivals and now - arrivals[0] > TIMELINE_SECONDS:
        arrivals.popleft()


def _mono(frame: av.AudioFrame) -> np.ndarray:
    data = frame.to_ndarray()
    if frame.format.is_planar:
        mono = data[0]
    else:
        mono = data.reshape(-1)[::len(frame.layout.channels)]
    samples: np.ndarray = mono.astype(np.float32)
    if frame.format.name.startswith("s16"):
        samples /= 32768.0
    return samples


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

    @property
    def verified(self) -> bool:
        """False when a track rendered here is only counted (dense media): no tone to check."""
        return all(r.verified for r in self.renders.values())

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
