"""``client.media``: devices, tracks, rendering into containers, muting (both products).

Python additions (not in the documents, no DOM here): ``getContainer(cssSelector)`` returns what a
container received, and ``setEmulatedDevices(devices)`` plugs or unplugs emulated devices
(``devices:change``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, api
from .render import Container
from .store import MediaStore

if TYPE_CHECKING:
    from ..client import Client


def _ids(track_ids: Any) -> list[str]:
    if isinstance(track_ids, str):
        return [track_ids]
    if not isinstance(track_ids, list | tuple) or not all(isinstance(t, str) for t in track_ids):
        raise BasicError(Codes.MEDIA_INVALID_PARAM, "trackIds must be a list of track IDs")
    return list(track_ids)


class Media(Namespace):
    """The documented ``media`` namespace."""

    api_path = "media"

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self.store = MediaStore(client.product, client.config.get("runtime", {}))

    @api
    def getDevices(self) -> dict[str, list[dict[str, str]]]:
        """The lists of camera, microphone and speaker devices (DevicesObject)."""
        return self.store.device_infos()

    @api
    def getById(self, mediaId: str) -> dict[str, Any] | None:
        """The MediaObject with that ID, or None."""
        media = self.store.media.get(mediaId)
        if media is None:
            return None
        return {"id": media.id, "local": media.local,
                "tracks": [self.store.tracks[t].to_object(self._client.product)
                           for t in media.track_ids if t in self.store.tracks]}

    @api
    def getTrackById(self, trackId: str) -> dict[str, Any] | None:
        """The TrackObject with that ID, or None."""
        track = self.store.tracks.get(trackId)
        return None if track is None else track.to_object(self._client.product)

    @api
    def renderTracks(self, trackIds: list[str], cssSelector: str, options: Mapping[str, Any] | None = None) -> None:
        """Render tracks into the container named by ``cssSelector``."""
        if not isinstance(cssSelector, str) or not cssSelector:
            raise BasicError(Codes.MEDIA_INVALID_PARAM, "cssSelector must be a non-empty string")
        speaker = (options or {}).get("speakerId")
        self.store.render(_ids(trackIds), cssSelector, speaker)

    @api
    def removeTracks(self, trackIds: list[str], cssSelector: str) -> None:
        """Stop rendering tracks in a container."""
        self.store.unrender(_ids(trackIds), cssSelector)

    @api
    def muteTracks(self, trackIds: list[str]) -> None:
        """Mute tracks at their source: silence / black frames; emits ``media:muted``."""
        ids = self._set_muted(_ids(trackIds), True)
        self._client.emit("media:muted", {"trackIds": ids, "tracks": ids})

    @api
    def unmuteTracks(self, trackIds: list[str]) -> None:
        """Unmute tracks; emits ``media:unmuted``."""
        ids = self._set_muted(_ids(trackIds), False)
        self._client.emit("media:unmuted", {"trackIds": ids, "tracks": ids})

    def _set_muted(self, track_ids: list[str], muted: bool) -> list[str]:
        tracks = [self.store.get(t) for t in track_ids]
        for track in tracks:
            track.muted = muted
            if track.local and hasattr(track.source, "muted"):
                track.source.muted = muted
        return [t.id for t in tracks]

    # -- Python additions ----------------------------------------------------------------------
    def getContainer(self, cssSelector: str) -> Container:
        """What the container named ``cssSelector`` has received (frames, level, frequency, colour)."""
        container = self.store.containers.get(cssSelector)
        if container is None:
            raise BasicError(Codes.MEDIA_NOT_FOUND, f"Nothing was rendered into '{cssSelector}'")
        return container

    def setEmulatedDevices(self, devices: Mapping[str, list[dict[str, Any]]]) -> None:
        """Replace the emulated devices (as if plugged or unplugged); emits ``devices:change``."""
        for kind, entries in devices.items():
            if kind not in self.store.devices:
                raise BasicError(Codes.MEDIA_INVALID_PARAM, f"Unknown device kind '{kind}'")
            self.store.devices[kind] = [dict(e) for e in entries]
        self._client.emit("devices:change", {"devices": self.store.device_infos()})

    def snapshot(self) -> Any:
        return {"tracks": {t.id: t.to_object(self._client.product) for t in self.store.tracks.values()},
                "containers": sorted(self.store.containers)}

    async def aclose(self) -> None:
        await self.store.stop_tracks(list(self.store.tracks))


class LinkMedia(Media):
    """Link adds ``initializeDevices``."""

    @api
    def initializeDevices(self, constraints: Mapping[str, Any] | None = None) -> None:
        """Ask for device permissions; emits ``devices:change`` or ``devices:error``."""
        constraints = {"audio": True, "video": True, **(constraints or {})}
        if not self.store.permission:
            error = BasicError(Codes.MEDIA_PERMISSION_DENIED, "Permission to use media devices was denied")
            self._client.emit("devices:error", {"error": error})
            return
        missing = [kind for kind, device in (("audio", "microphone"), ("video", "camera"))
                   if constraints.get(kind) and not self.store.devices.get(device)]
        if missing:
            error = BasicError(Codes.MEDIA_NOT_FOUND, f"No device for {', '.join(missing)}")
            self._client.emit("devices:error", {"error": error})
            return
        self.store.initialized = True
        self._client.emit("devices:change", {"devices": self.store.device_infos()})
