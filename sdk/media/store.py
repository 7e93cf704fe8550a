"""Media state of one client: emulated devices, tracks, media objects and render containers.

Devices come from ``runtime.devices`` (defaults below): every microphone has its own tone
frequency and every camera its own colour, so whoever receives the media can tell which device it
came from. ``runtime.grantMediaPermissions: false`` behaves like a user who denies the browser's
prompt: getting media fails with a BasicError.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from kandy_media.dense import PacketCount, SharedToneSource
from kandy_media.sources import PatternSource, ToneSource

from ..errors import BasicError, Codes
from .render import Container, TrackRender

DEFAULT_DEVICES: dict[str, list[dict[str, Any]]] = {
    "microphone": [{"deviceId": "mic-1", "label": "Emulated microphone 1 (440 Hz)", "frequency": 440},
                   {"deviceId": "mic-2", "label": "Emulated microphone 2 (660 Hz)", "frequency": 660}],
    "camera": [{"deviceId": "cam-1", "label": "Emulated camera 1 (red)", "color": [200, 30, 30]},
               {"deviceId": "cam-2", "label": "Emulated camera 2 (blue)", "color": [30, 30, 200]}],
    "speaker": [{"deviceId": "spk-1", "label": "Emulated speaker 1"},
                {"deviceId": "spk-2", "label": "Emulated speaker 2"}],
}
SCREEN = {"deviceId": "screen-1", "label": "Emulated screen", "color": [30, 200, 30]}
KINDS = {"microphone": "audioinput", "camera": "videoinput", "speaker": "audiooutput"}


def constraint_value(constraint: Any) -> tuple[Any, bool]:
    """``(value, exact)`` from a MediaConstraint ``{exact, ideal}`` (or a bare value, taken as ideal)."""
    if isinstance(constraint, Mapping):
        if "exact" in constraint:
            return constraint["exact"], True
        return constraint.get("ideal"), False
    return constraint, False


@dataclass
class Track:
    """A track and its TrackObject state."""

    id: str
    kind: str
    label: str
    local: bool
    stream_id: str
    source: MediaStreamTrack
    device_id: str | None = None
    is_screen: bool = False
    muted: bool = False
    source_muted: bool = False
    state: str = "live"
    disabled: bool = False
    containers: list[str] = field(default_factory=list)
    renders: list[TrackRender] = field(default_factory=list)
    frames_received: int = 0
    mid: str | None = None
    pump: asyncio.Task[None] | None = None
    on_ended: list[Callable[[Track], None]] = field(default_factory=list)
    counted: PacketCount | None = None  # dense media: packets counted instead of decoded

    @property
    def verified(self) -> bool:
        """False when this remote track's packets are only counted (dense media, unsampled call)."""
        return self.counted is None

    def to_object(self, product: str) -> dict[str, Any]:
        obj = {"containers": list(self.containers), "disabled": self.disabled, "id": self.id, "kind": self.kind,
               "label": self.label, "muted": self.muted, "state": self.state, "streamId": self.stream_id}
        if product == "link":
            obj["sourceMuted"] = self.source_muted
        return obj

    def attach_render(self, render: TrackRender) -> None:
        self.renders.append(render)
        if self.local:
            tap = getattr(self.source, "taps", None)
            if tap is not None:
                tap.append(render.consume)
        if self.counted is not None:
            self.counted.listeners.append(render.count_packet)

    def detach_render(self, render: TrackRender) -> None:
        if render in self.renders:
            self.renders.remove(render)
        tap = getattr(self.source, "taps", None)
        if tap is not None and render.consume in tap:
            tap.remove(render.consume)
        if self.counted is not None and render.count_packet in self.counted.listeners:
            self.counted.listeners.remove(render.count_packet)

    async def run_pump(self) -> None:
        """Consume a remote track continuously (aiortc queues frames until they are read)."""
        try:
            while True:
                frame = await self.source.recv()
                self.frames_received += 1
                self.source_muted = False
                if not isinstance(frame, av.AudioFrame | av.VideoFrame):
                    continue
                for render in list(self.renders):
                    render.consume(frame, silent=self.muted)
        except MediaStreamError:
            pass
        finally:
            if self.state != "ended":
                self.state = "ended"
                self.source_muted = True
                for callback in list(self.on_ended):
                    callback(self)


@dataclass
class MediaObject:
    id: str
    local: bool
    track_ids: list[str]


class MediaStore:
    def __init__(self, product: str, runtime: Mapping[str, Any]) -> None:
        self.product = product
        self.devices = {k: [dict(d) for d in v] for k, v in (runtime.get("devices") or DEFAULT_DEVICES).items()}
        for kind in KINDS:
            self.devices.setdefault(kind, [])
        self.permission = bool(runtime.get("grantMediaPermissions", True))
        self.initialized = False
        self.tracks: dict[str, Track] = {}
        self.media: dict[str, MediaObject] = {}
        self.containers: dict[str, Container] = {}

    # -- devices -------------------------------------------------------------------------------
    def device_infos(self) -> dict[str, list[dict[str, str]]]:
        result: dict[str, list[dict[str, str]]] = {}
        for kind, devices in self.devices.items():
            result[kind] = [{"deviceId": d["deviceId"], "groupId": str(d.get("groupId", d["deviceId"])),
                             "kind": KINDS[kind], "label": d.get("label", "") if self.permission else ""}
                            for d in devices]
        return result

    def _pick(self, kind: str, constraint: Any) -> dict[str, Any]:
        devices = self.devices.get(kind) or []
        wanted, exact = constraint_value(constraint)
        if wanted is not None:
            for device in devices:
                if device["deviceId"] == wanted:
                    return device
            if exact:
                raise BasicError(Codes.MEDIA_NOT_FOUND, f"No {kind} with deviceId '{wanted}' (exact constraint)")
        if not devices:
            raise BasicError(Codes.MEDIA_NOT_FOUND, f"No {kind} available")
        return devices[0]

    # -- getting media -------------------------------------------------------------------------
    def get_user_media(self, media: Mapping[str, Any], *, dense: bool = False) -> list[Track]:
        """Tracks for ``{audio, audioOptions, video, videoOptions, screen, screenOptions}``; ``dense``:
        the microphone sends the process's shared encoding of its tone (kandy_media.dense)."""
        if not self.permission:
            raise BasicError(Codes.MEDIA_PERMISSION_DENIED, "Permission to use media devices was denied")
        self.initialized = True
        stream_id = str(uuid.uuid4())
        tracks: list[Track] = []
        if media.get("audio"):
            options = media.get("audioOptions") or {}
            device = self._pick("microphone", options.get("deviceId"))
            tone = (SharedToneSource if dense else ToneSource)(device.get("frequency", 440),
                                                               label=device.get("label", ""))
            tracks.append(self._local(tone, "audio", device, stream_id))
        if media.get("video"):
            options = media.get("videoOptions") or {}
            device = self._pick("camera", options.get("deviceId"))
            tracks.append(self._local(self._pattern(device, options), "video", device, stream_id))
        if media.get("screen"):
            source = self._pattern(SCREEN, media.get("screenOptions") or {})
            tracks.append(self._local(source, "video", SCREEN, stream_id, screen=True))
        if not tracks:
            raise BasicError(Codes.CALL_INVALID_PARAM, "No media requested: audio, video or screen must be true")
        self.media[stream_id] = MediaObject(stream_id, True, [t.id for t in tracks])
        return tracks

    @staticmethod
    def _pattern(device: Mapping[str, Any], options: Mapping[str, Any]) -> PatternSource:
        sizes: dict[str, float] = {}
        for key, default, low, high in (("width", 320, 16, 1920), ("height", 240, 16, 1080),
                                         ("frameRate", 15, 1, 60)):
            value, exact = constraint_value(options.get(key))
            if value is None:
                sizes[key] = default
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise BasicError(Codes.CALL_INVALID_PARAM, f"videoOptions.{key} must be a number") from None
            if not low <= number <= high:
                if exact:
                    raise BasicError(Codes.CALL_INVALID_PARAM, f"{key} {number} cannot be satisfied ({low}-{high})")
                number = min(max(number, low), high)
            sizes[key] = number
        return PatternSource(tuple(device.get("color", (128, 128, 128))), width=int(sizes["width"]),
                             height=int(sizes["height"]), frame_rate=sizes["frameRate"],
                             label=device.get("label", ""))

    def _local(self, source: MediaStreamTrack, kind: str, device: Mapping[str, Any], stream_id: str,
               *, screen: bool = False) -> Track:
        track = Track(id=str(uuid.uuid4()), kind=kind, label=device.get("label", ""), local=True,
                      stream_id=stream_id, source=source, device_id=device.get("deviceId"), is_screen=screen)
        self.tracks[track.id] = track
        return track

    def add_remote(self, source: MediaStreamTrack, stream_id: str, on_ended: Callable[[Track], None],
                   mid: str | None = None, counted: PacketCount | None = None) -> Track:
        track = Track(id=str(uuid.uuid4()), kind=source.kind, label=f"remote {source.kind}", local=False,
                      stream_id=stream_id, source=source, on_ended=[on_ended], mid=mid, counted=counted)
        self.tracks[track.id] = track
        media = self.media.setdefault(stream_id, MediaObject(stream_id, False, []))
        media.track_ids.append(track.id)
        track.pump = asyncio.get_running_loop().create_task(track.run_pump(), name=f"pump-{track.id[:8]}")
        return track

    def get(self, track_id: str) -> Track:
        track = self.tracks.get(track_id)
        if track is None:
            raise BasicError(Codes.MEDIA_NOT_FOUND, f"No track with id '{track_id}'")
        return track

    # -- rendering -----------------------------------------------------------------------------
    def render(self, track_ids: Iterable[str], selector: str, speaker_id: str | None = None) -> None:
        if speaker_id is not None and not any(d["deviceId"] == speaker_id for d in self.devices["speaker"]):
            raise BasicError(Codes.MEDIA_NOT_FOUND, f"No speaker with deviceId '{speaker_id}'")
        container = self.containers.setdefault(selector, Container(selector))
        for track_id in track_ids:
            track = self.get(track_id)
            if track_id in container.renders:
                continue
            render = TrackRender(track_id, track.kind, speaker_id if track.kind == "audio" else None,
                                 verified=track.verified)
            container.add(render)
            track.attach_render(render)
            track.containers.append(selector)

    def unrender(self, track_ids: Iterable[str], selector: str) -> None:
        container = self.containers.get(selector)
        if container is None:
            return
        for track_id in track_ids:
            render = container.renders.pop(track_id, None)
            track = self.tracks.get(track_id)
            if render is not None and track is not None:
                track.detach_render(render)
                if selector in track.containers:
                    track.containers.remove(selector)

    # -- teardown ------------------------------------------------------------------------------
    async def stop_tracks(self, track_ids: Iterable[str]) -> None:
        """Stop tracks: sources first (so senders stop), then pumps; bounded in time."""
        tracks = [self.tracks[t] for t in track_ids if t in self.tracks]
        pumps = []
        for track in tracks:
            track.state = "ended"
            track.source.stop()
            if track.pump is not None:
                track.pump.cancel()
                pumps.append(track.pump)
        if pumps:
            with contextlib.suppress(Exception):
                await asyncio.wait(pumps, timeout=2)

    def forget(self, track_ids: Iterable[str]) -> None:
        for track_id in list(track_ids):
            track = self.tracks.pop(track_id, None)
            if track is None:
                continue
            for render in list(track.renders):  # containers keep what they recorded
                track.detach_render(render)
            for media in self.media.values():
                if track_id in media.track_ids:
                    media.track_ids.remove(track_id)
