"""Mid-call operations: add and remove media, replace a track, DTMF, stats, DSCP marking.

Each is a coroutine the ``call`` namespace runs as a task after validating; each reports its
progress as ``call:operation`` START / UPDATE / FINISH (with the error on failure).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiortc import RTCRtpReceiver, RTCRtpSender

from kandy_media import compat, dtmf
from kandy_media.sources import ToneSource

from ..errors import BasicError, Codes, as_basic_error
from ..media.store import Track
from . import model
from .model import Call

if TYPE_CHECKING:
    from .engine import CallEngine

# RTCPriorityType -> DSCP code point (RFC 8837 section 5), per kind of media.
DSCP = {
    "audio": {"very-low": 8, "low": 0, "medium": 46, "high": 46},
    "video": {"very-low": 8, "low": 0, "medium": 36, "high": 34},
}
PRIORITY_KEYS = {"audioNetworkPriority": "audio", "videoNetworkPriority": "video", "screenNetworkPriority": "screen"}


def check_dscp(controls: Any) -> dict[str, str]:
    if controls is None:
        return {}
    if not isinstance(controls, Mapping):
        raise BasicError(Codes.CALL_INVALID_PARAM, "dscpControls must be a DSCPControls object")
    result = {}
    for key, kind in PRIORITY_KEYS.items():
        value = controls.get(key)
        if value is None:
            continue
        if value not in DSCP["audio"]:
            raise BasicError(Codes.CALL_INVALID_PARAM, f"dscpControls.{key} must be one of {sorted(DSCP['audio'])}")
        result[kind] = value
    return result


class MidCall:
    def __init__(self, engine: CallEngine) -> None:
        self.engine = engine

    # -- add / remove media --------------------------------------------------------------------
    async def add_media(self, call: Call, media: Mapping[str, Any], operation: str) -> None:
        engine = self.engine
        try:
            tracks = engine.add_local_media(call, media)
        except BasicError as error:
            engine.operation(call, operation, model.FINISH, error=error)
            return
        await engine.renegotiate(call, operation, lambda: None, lambda: self._media_added(call, tracks))

    def _media_added(self, call: Call, tracks: list[Track]) -> None:
        self.engine.sync_remote_tracks(call)
        self.apply_dscp(call)
        if tracks:
            self.engine.client.emit_if("call:newMedia", {"callId": call.id, "local": True,
                                                         "mediaId": tracks[0].stream_id,
                                                         "tracks": [t.id for t in tracks]})

    async def remove_media(self, call: Call, track_ids: list[str], operation: str) -> None:
        engine = self.engine
        store = engine.media.store
        peer = engine.ensure_peer(call)

        def detach() -> None:
            for track_id in track_ids:
                track = store.tracks[track_id]
                for transceiver in peer.transceivers():
                    if transceiver.sender.track is track.source:
                        transceiver.sender.replaceTrack(None)
                        transceiver.direction = "recvonly"
                call.local_tracks.remove(track_id)

        def removed() -> None:
            engine.sync_remote_tracks(call)
            engine.client.emit_if("call:removedMedia", {"callId": call.id, "local": True, "tracks": track_ids})

        await engine.renegotiate(call, operation, detach, removed)
        await store.stop_tracks(track_ids)
        for track_id in track_ids:
            engine.client.emit("call:trackEnded", {"callId": call.id, "trackId": track_id, "local": True})
        store.forget(track_ids)

    # -- replace a track -----------------------------------------------------------------------
    async def replace_track(self, call: Call, old_id: str, media: Mapping[str, Any]) -> None:
        engine = self.engine
        store = engine.media.store
        try:
            old = store.get(old_id)
            (new,) = store.get_user_media(media, dense=engine.dense_media is not None)
            if new.kind != old.kind:
                await store.stop_tracks([new.id])
                store.forget([new.id])
                raise BasicError(Codes.CALL_INVALID_PARAM, f"Cannot replace a {old.kind} track with a {new.kind} track")
            peer = engine.ensure_peer(call)
            transceiver = next(t for t in peer.transceivers() if t.sender.track is old.source)
            peer.replace_track(transceiver, new.source)  # same RTP stream: seamless for the remote
            call.local_tracks[call.local_tracks.index(old_id)] = new.id
            old_object = old.to_object(engine.product)
            await store.stop_tracks([old_id])
            store.forget([old_id])
        except Exception as exc:
            engine.operation(call, model.REPLACE_TRACK, model.FINISH, error=as_basic_error(exc, code=Codes.CALL_MEDIA))
            return
        old_object["state"] = "ended"
        engine.client.emit("call:trackReplaced", {"callId": call.id, "newTrackId": new.id, "oldTrack": old_object})
        engine.operation(call, model.REPLACE_TRACK, model.FINISH)

    # -- DTMF ----------------------------------------------------------------------------------
    def dtmf_payload_type(self, call: Call) -> int | None:
        """The telephone-event payload type when both sides listed it, else None (in band)."""
        return dtmf.telephone_event_pt(call.last_remote_sdp)

    async def send_dtmf(self, call: Call, tone: str, duration: int, gap: int) -> None:
        engine = self.engine
        peer = engine.ensure_peer(call)
        audio = next((t for t in peer.transceivers() if t.kind == "audio" and t.sender.track is not None), None)
        try:
            if audio is None:
                raise BasicError(Codes.CALL_MEDIA, "The call sends no audio to carry DTMF")
            pt = self.dtmf_payload_type(call)
            if pt is not None:
                await dtmf.Rfc4733Sender(audio, pt).play(tone, duration, gap)
            else:
                source = audio.sender.track
                if not isinstance(source, ToneSource):
                    raise BasicError(Codes.CALL_MEDIA, "In-band DTMF needs the emulated microphone as the audio source")
                await dtmf.play_inband(source, tone, duration, gap)
        except Exception as exc:
            engine.operation(call, model.SEND_DTMF, model.FINISH, error=as_basic_error(exc, code=Codes.CALL_MEDIA))
            return
        engine.operation(call, model.SEND_DTMF, model.FINISH)

    # -- stats ---------------------------------------------------------------------------------
    async def get_stats(self, call: Call, track_id: str | None) -> dict[str, Any]:
        engine = self.engine
        peer = engine.ensure_peer(call)
        try:
            if track_id is None:
                result = await peer.stats()
            else:
                track = engine.media.store.get(track_id)
                part: RTCRtpSender | RTCRtpReceiver
                if track.local:
                    part = next(t.sender for t in peer.transceivers() if t.sender.track is track.source)
                else:
                    part = next(t.receiver for t in peer.transceivers() if t.receiver.track is track.source)
                report = await part.getStats()
                result = {key: {k: v for k, v in vars(value).items() if not k.startswith("_")}
                          for key, value in report.items()}
        except StopIteration:
            error = BasicError(Codes.MEDIA_NOT_FOUND, f"Track {track_id} is not part of call {call.id}")
            engine.operation(call, model.GET_STATS, model.FINISH, error=error)
            engine.client.emit("call:statsReceived", {"callId": call.id, "trackId": track_id, "error": error})
            raise error from None
        payload: dict[str, Any] = {"callId": call.id, "result": result}
        if track_id is not None:
            payload["trackId"] = track_id
        engine.client.emit("call:statsReceived", payload)
        engine.operation(call, model.GET_STATS, model.FINISH)
        return result

    # -- DSCP ----------------------------------------------------------------------------------
    def apply_dscp(self, call: Call) -> None:
        """Mark the media sockets with the DSCP code points of the requested priorities.

        aiortc bundles all media on one ICE transport by default, so one socket carries every
        kind: it gets the highest code point asked for, and ``call.dscp`` records, per kind, what
        was requested and what the socket carries.
        """
        if not call.dscp.get("requested"):
            return
        requested: dict[str, str] = call.dscp["requested"]
        peer = self.engine.ensure_peer(call)
        applied: dict[str, int] = {}
        for transceiver in peer.transceivers():
            kinds = [k for k in requested if (k == "audio") == (transceiver.kind == "audio")]
            if not kinds:
                continue
            code = max(DSCP["audio" if kind == "audio" else "video"][requested[kind]] for kind in kinds)
            for sock in _sockets(transceiver):
                current = sock.getsockopt(socket.IPPROTO_IP, socket.IP_TOS) >> 2
                code = max(code, current)
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, code << 2)
                applied[transceiver.mid or transceiver.kind] = code
        call.dscp["applied"] = applied


def _sockets(transceiver: Any) -> list[socket.socket]:
    dtls = transceiver.sender.transport
    return [] if dtls is None else compat.ice_sockets(dtls)
