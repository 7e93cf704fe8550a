"""``client.call``: the documented call APIs of both products.

Each method validates synchronously (an unknown call id, a call in the wrong state or a bad
parameter raises a BasicError at once: ``call:2``, ``call:6``, ``call:7``), returns what the
documents say, and runs its network and media work as a task of the client (returned where the
document returns nothing, so Python callers may await it). Progress and results arrive as the
documented events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import BasicError, Codes
from ..media.dtmf import validate as dtmf_validate
from ..namespace import Namespace, api
from . import model
from .engine import CallEngine
from .midcall import MidCall, check_dscp
from .model import ESTABLISHED, Call
from .model import states as call_states

if TYPE_CHECKING:
    from ..client import Client
    from ..media.namespace import Media


def media_options(media: Any, *, default_audio: bool = True) -> dict[str, Any]:
    """Normalise documented media options; ``audio`` defaults to true (ambiguity CPAAS-12)."""
    if media is None:
        media = {}
    if not isinstance(media, Mapping):
        raise BasicError(Codes.CALL_INVALID_PARAM, "media options must be an object")
    options = dict(media)
    options.setdefault("audio", default_audio)
    for key in ("audio", "video", "screen"):
        if key in options and not isinstance(options[key], bool):
            raise BasicError(Codes.CALL_INVALID_PARAM, f"media.{key} must be a boolean")
    return options


def bandwidth_of(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise BasicError(Codes.CALL_INVALID_PARAM, "options must be an object")
    bandwidth = options.get("bandwidth") or {}
    if not isinstance(bandwidth, Mapping):
        raise BasicError(Codes.CALL_INVALID_PARAM, "options.bandwidth must be a BandwidthControls object")
    result = {}
    for key in ("audio", "video", "call"):
        value = bandwidth.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise BasicError(Codes.CALL_INVALID_PARAM, f"bandwidth.{key} must be a positive number (kbps)")
            result[key] = int(value)
    return result


class CallNamespace(Namespace):
    """What both products' ``call`` namespaces share."""

    api_path = "call"
    states: ClassVar[type] = call_states  # the documented call.states constants (per product)

    def __init__(self, client: Client, media: Media) -> None:
        super().__init__(client)
        self.engine = CallEngine(client, media)
        self.midcall = MidCall(self.engine)

    def _call(self, call_id: Any) -> Call:
        if not isinstance(call_id, str):
            raise BasicError(Codes.CALL_INVALID_PARAM, "callId must be a string")
        return self.engine.get(call_id)

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        return self._client.spawn(coro, name)

    # -- documented ----------------------------------------------------------------------------
    @api
    def make(self, destination: str, media: Mapping[str, Any] | None = None,
             options: Mapping[str, Any] | None = None) -> str:
        """Starts an outgoing call to a UserID or a PhoneNumber (Link: as the connected user);
        returns the call's ID."""
        return self._make(destination, media, options)

    @api
    def answer(self, callId: str, media: Mapping[str, Any] | None = None,
               options: Mapping[str, Any] | None = None) -> asyncio.Task[Any]:
        """Answers an incoming call in the Ringing state."""
        return self._answer(callId, media, options)

    @api
    def reject(self, callId: str) -> asyncio.Task[Any]:
        """Rejects an incoming call in the Ringing state; the caller is told."""
        return self._reject(callId)

    @api
    def ignore(self, callId: str) -> asyncio.Task[Any]:
        """Ignores an incoming call in the Ringing state; the caller is not told."""
        return self._ignore(callId)

    @api
    def getAll(self) -> list[dict[str, Any]]:
        """The CallObjects of every call of this session."""
        return [call.to_object() for call in self.engine.calls.values()]

    @api
    def getById(self, callId: str) -> dict[str, Any] | None:
        """The CallObject of one call (None when unknown)."""
        call = self.engine.calls.get(callId)
        return None if call is None else call.to_object()

    @api
    def end(self, callId: str) -> asyncio.Task[Any]:
        """Ends a call (any state but Ended/Cancelled): local tracks stop, the remote is told."""
        call = self._call(callId)
        if call.ended:
            raise BasicError(Codes.CALL_INVALID_STATE, f"Call {callId} has already ended")
        self.engine.operation(call, model.END, model.START)
        return self._spawn(self.engine.run_end(call, model.END), "call-end")

    @api
    def hold(self, callId: str) -> asyncio.Task[Any]:
        """Puts a call on hold (media stops both ways); emits ``call:stateChange``."""
        call = self._call(callId)
        call.require(ESTABLISHED, "hold")
        if call.local_hold:
            raise BasicError(Codes.CALL_INVALID_STATE, f"Call {callId} is already held locally")
        self._require_idle(call)
        self.engine.operation(call, model.HOLD, model.START)
        return self._spawn(self.engine.renegotiate(
            call, model.HOLD, lambda: self.engine.set_direction(call, "inactive"),
            lambda: self.engine.set_hold(call, local=True)), "call-hold")

    @api
    def unhold(self, callId: str) -> asyncio.Task[Any]:
        """Takes a call off hold; media resumes unless the remote holds it."""
        call = self._call(callId)
        if not call.local_hold:
            raise BasicError(Codes.CALL_INVALID_STATE, f"Call {callId} is not held locally")
        self._require_idle(call)
        self.engine.operation(call, model.UNHOLD, model.START)
        return self._spawn(self.engine.renegotiate(
            call, model.UNHOLD, lambda: self.engine.set_direction(call, "sendrecv"),
            lambda: self.engine.set_hold(call, local=False)), "call-unhold")

    @staticmethod
    def _require_idle(call: Call) -> None:
        if call.operation is not None:
            raise BasicError(Codes.CALL_INVALID_STATE,
                             f"Call {call.id} is busy with {call.operation[0]}; try again when it finishes")

    # -- incoming calls and making calls (CPaaS; Link user mode) -------------------------------
    def _make(self, destination: Any, media: Any, options: Any) -> str:
        if not isinstance(destination, str) or not destination.strip():
            raise BasicError(Codes.CALL_INVALID_PARAM, "destination must be a UserID or a PhoneNumber")
        media = media_options(media)
        bandwidth = bandwidth_of(options)
        self._before_make(options)
        call = self.engine.new_call("outgoing")
        signalling = self.engine.signalling
        assert signalling is not None
        call.to_address = signalling.normalize(destination)
        call.remote_number = destination.strip()
        call.bandwidth = bandwidth
        call.media_options = media
        self._configure(call, options or {})
        self.engine.operation(call, model.MAKE, model.START)
        self._client.emit("call:start", {"callId": call.id})
        self._spawn(self.engine.run_make(call, media), "call-make")
        return call.id

    def _before_make(self, options: Any) -> None:
        """Products refuse to make calls they cannot place (no subscription, ...)."""

    def _configure(self, call: Call, options: Mapping[str, Any]) -> None:
        """Products copy their extra options onto the call."""

    def _incoming_ringing(self, call_id: Any, what: str) -> Call:
        call = self._call(call_id)
        if call.direction != "incoming" or call.state != call_states.RINGING:
            raise BasicError(Codes.CALL_INVALID_STATE,
                             f"Cannot {what} call {call.id}: it must be an incoming call in state 'Ringing' "
                             f"(it is {call.direction}, '{call.state}')")
        return call

    def _answer(self, callId: str, media: Any, options: Any) -> asyncio.Task[Any]:
        call = self._incoming_ringing(callId, "answer")
        self._require_idle(call)
        media = media_options(media)
        call.bandwidth = bandwidth_of(options)
        self._configure(call, options or {})
        self.engine.operation(call, model.ANSWER, model.START)
        return self._spawn(self.engine.run_answer(call, media), "call-answer")

    def _reject(self, callId: str) -> asyncio.Task[Any]:
        call = self._incoming_ringing(callId, "reject")
        self.engine.operation(call, model.REJECT, model.START)
        return self._spawn(self.engine.run_end(call, model.REJECT), "call-reject")

    def _ignore(self, callId: str) -> asyncio.Task[Any]:
        call = self._incoming_ringing(callId, "ignore")
        self.engine.operation(call, model.IGNORE, model.START)
        return self._spawn(self.engine.run_end(call, model.IGNORE, notify=False), "call-ignore")

    # -- mid-call APIs both products document ---------------------------------------------------
    DTMF_STATES: frozenset[str] = frozenset({call_states.CONNECTED, call_states.RINGING})

    @api
    def addMedia(self, callId: str, media: Mapping[str, Any] | None = None,
                 options: Mapping[str, Any] | None = None) -> asyncio.Task[Any]:
        """Add tracks to a Connected call (renegotiates); ``call:newTrack`` on both sides."""
        call = self._call(callId)
        call.require({call_states.CONNECTED}, "add media to")
        self._require_idle(call)
        media = media_options(media, default_audio=False)
        if not any(media.get(k) for k in ("audio", "video", "screen")):
            raise BasicError(Codes.CALL_INVALID_PARAM, "addMedia needs audio, video or screen set to true")
        return self._add_media(call, media, options, model.ADD_MEDIA)

    def _add_media(self, call: Call, media: dict[str, Any], options: Any, operation: str) -> asyncio.Task[Any]:
        bandwidth = bandwidth_of(options)
        controls = check_dscp((options or {}).get("dscpControls"))
        call.bandwidth.update(bandwidth)
        if controls:
            call.dscp.setdefault("requested", {}).update(controls)
        self.engine.operation(call, operation, model.START)
        return self._spawn(self.midcall.add_media(call, media, operation), "call-add-media")

    @api
    def removeMedia(self, callId: str, tracks: list[str],
                    options: Mapping[str, Any] | None = None) -> asyncio.Task[Any]:
        """Remove local tracks from a Connected call; ``call:trackEnded`` on both sides."""
        call = self._call(callId)
        call.require({call_states.CONNECTED}, "remove media from")
        self._require_idle(call)
        if not isinstance(tracks, list | tuple) or not tracks:
            raise BasicError(Codes.CALL_INVALID_PARAM, "tracks must be a non-empty list of local track IDs")
        unknown = [t for t in tracks if t not in call.local_tracks]
        if unknown:
            raise BasicError(Codes.CALL_INVALID_PARAM, f"Not local tracks of call {callId}: {unknown}")
        call.bandwidth.update(bandwidth_of(options))
        return self._remove_media(call, list(tracks), model.REMOVE_MEDIA)

    def _remove_media(self, call: Call, tracks: list[str], operation: str) -> asyncio.Task[Any]:
        self.engine.operation(call, operation, model.START)
        return self._spawn(self.midcall.remove_media(call, tracks, operation), "call-remove-media")

    @api
    def replaceTrack(self, callId: str, trackId: str, media: Mapping[str, Any] | None = None) -> asyncio.Task[Any]:
        """Replace a local track with a new one of the same kind; seamless for the remote."""
        call = self._call(callId)
        if trackId not in call.local_tracks:
            raise BasicError(Codes.CALL_INVALID_PARAM, f"{trackId} is not a local track of call {callId}")
        call.require(ESTABLISHED, "replace a track of")
        media = media_options(media, default_audio=False)
        if sum(bool(media.get(k)) for k in ("audio", "video", "screen")) != 1:
            raise BasicError(Codes.CALL_INVALID_PARAM, "replaceTrack needs exactly one of audio, video or screen")
        self.engine.operation(call, model.REPLACE_TRACK, model.START)
        return self._spawn(self.midcall.replace_track(call, trackId, media), "call-replace-track")

    @api
    def sendDTMF(self, callId: str, tone: str, duration: int = 100,
                 intertoneGap: int = 70) -> asyncio.Task[Any]:
        """Send DTMF tones: out of band (RFC 4733) when negotiated, in band otherwise. A call in
        another state than the documents allow is left untouched and the call refused (call:6)."""
        call = self._call(callId)
        tone, duration, gap = dtmf_validate(tone, duration, intertoneGap)
        call.require(set(self.DTMF_STATES), "send DTMF on")
        self.engine.operation(call, model.SEND_DTMF, model.START)
        return self._spawn(self.midcall.send_dtmf(call, tone, duration, gap), "call-dtmf")

    @api
    def getStats(self, callId: str, trackId: str | None = None) -> asyncio.Task[Any]:
        """Low-level statistics for the call (or one of its tracks); ``call:statsReceived``."""
        call = self._call(callId)
        if call.peer is None:
            raise BasicError(Codes.CALL_INVALID_STATE, f"Call {callId} has no media session yet")
        self.engine.operation(call, model.GET_STATS, model.START)
        return self._spawn(self.midcall.get_stats(call, trackId), "call-stats")

    def snapshot(self) -> Any:
        return {call.id: {"state": call.state, "session": call.session_id} for call in self.engine.calls.values()}

    async def aclose(self) -> None:
        await self.engine.aclose()

