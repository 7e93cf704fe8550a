"""The Link / CallMe ``call`` namespace (document section "call").

``makeAnonymous`` subscribes anonymously (token-less, or token mode with realm tokens), places the
call, and unsubscribes once no anonymous call is left, as the CallMe SDK does. ``make``,
``answer``, ``reject`` and ``ignore`` are not documented in this document (ambiguity LINK-01):
they have the CPaaS signatures and need a Link user connection (``client.connect``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kandy_media.peer import capabilities

from ..call import model
from ..call.model import Call, states
from ..call.namespace import CallNamespace, bandwidth_of, media_options
from ..errors import BasicError, Codes
from ..namespace import api
from .protocol.calls import LinkSignalling, normalize

if TYPE_CHECKING:
    from ..media.namespace import Media
    from . import LinkClient

TOKEN_KEYS = ("realm", "accountToken", "fromToken", "toToken")


def custom_parameters(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(
            isinstance(p, Mapping) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str)
            for p in value):
        raise BasicError(Codes.CALL_INVALID_PARAM, "customParameters must be a list of {name, value} strings")
    return [{"name": p["name"], "value": p["value"]} for p in value]


class LinkCall(CallNamespace):
    states = states
    DTMF_STATES = frozenset({states.CONNECTED, states.RINGING, states.EARLY_MEDIA})

    def __init__(self, client: LinkClient, media: Media) -> None:
        super().__init__(client, media)
        self.signalling = LinkSignalling(client)
        self.engine.signalling = self.signalling
        self.signalling.install(self.engine)
        self.engine.on_call_ended = self._after_call

    # -- CallMe --------------------------------------------------------------------------------
    @api
    def makeAnonymous(self, callee: str, credentials: Mapping[str, Any] | None,
                      callOptions: Mapping[str, Any] | None) -> str:
        """Starts an outgoing call as an anonymous user; returns the call's ID."""
        if not isinstance(callee, str) or not callee.strip():
            raise BasicError(Codes.CALL_INVALID_PARAM, "callee must be the full user ID of the call recipient")
        credentials = dict(credentials or {})
        options = dict(callOptions or {})
        call = self.engine.new_call("outgoing")
        call.anonymous = True
        call.remote_number = callee.strip()
        self.engine.operation(call, model.MAKE, model.START)
        try:
            media = media_options(options)
            call.bandwidth = bandwidth_of(options)
            call.custom_parameters = custom_parameters(options.get("customParameters"))
            self._anonymous_addresses(call, callee, credentials, options)
        except BasicError as error:
            self._client.emit("call:start", {"callId": call.id, "error": error})
            self.engine.operation(call, model.MAKE, model.FINISH, error=error)
            self.engine.set_state(call, states.ENDED, error=error)
            return call.id
        call.media_options = media
        self._client.emit("call:start", {"callId": call.id})
        self._spawn(self._run_anonymous(call, media), "call-make-anonymous")
        return call.id

    def _anonymous_addresses(self, call: Call, callee: str, credentials: dict[str, Any],
                             options: dict[str, Any]) -> None:
        sender = options.get("from")
        if not isinstance(sender, str) or not sender.strip():
            raise BasicError(Codes.CALL_INVALID_PARAM, "callOptions.from (the caller's URI) is required")
        given = [k for k in TOKEN_KEYS if credentials.get(k)]
        if given and len(given) != len(TOKEN_KEYS):
            missing = [k for k in TOKEN_KEYS if not credentials.get(k)]
            raise BasicError(Codes.CALL_INVALID_PARAM, f"Token mode needs realm, accountToken, fromToken and "
                             f"toToken; missing {missing}")
        if given:
            call.realm = str(credentials["realm"])
            call.account = str(credentials["accountToken"])
            call.from_address, call.to_address = str(credentials["fromToken"]), str(credentials["toToken"])
            return
        call.account = callee.strip()
        call.from_address = normalize(sender, callee.partition("@")[2] or None)
        call.to_address = normalize(callee)
        name = options.get("displayName")
        if isinstance(name, str) and name:
            call.from_address = f"{name}<{call.from_address}>"

    async def _run_anonymous(self, call: Call, media: dict[str, Any]) -> None:
        try:
            await self._client.session.start_anonymous(call.account or "", realm=call.realm)
        except BasicError as error:
            self.engine.operation(call, model.MAKE, model.FINISH, error=error)
            await self.engine.finish_end(call, error=error)
            return
        await self.engine.run_make(call, media)

    def _after_call(self, call: Call) -> None:
        session = self._client.session
        if call.anonymous and session.active and session.info is not None and session.info.mode == "anonymous" \
                and not any(c.anonymous and not c.ended for c in self.engine.calls.values()):
            self._spawn(session.stop(reason="CALL_ENDED"), "callme-unsubscribe")

    # -- Link user mode (LINK-01) --------------------------------------------------------------
    def _before_make(self, options: Any) -> None:
        info = self._client.session.info
        if info is None or info.mode != "user":
            raise BasicError(Codes.AUTH_NOT_CONNECTED, "call.make needs a Link user connection: call connect() "
                             "first (or use makeAnonymous)")

    def _configure(self, call: Call, options: Mapping[str, Any]) -> None:
        call.custom_parameters = custom_parameters(options.get("customParameters"))
        info = self._client.session.info
        if call.direction == "outgoing" and info is not None:
            call.from_address = normalize(info.account)

    # -- Link-only call APIs -------------------------------------------------------------------
    @api
    def startVideo(self, callId: str, videoOptions: Mapping[str, Any] | None = None,
                   options: Mapping[str, Any] | None = None) -> asyncio.Task[Any]:
        """Add local video to a call that has none (basic media); ``call:newTrack`` on both sides."""
        call = self._call(callId)
        call.require({states.CONNECTED}, "start video on")
        self._require_idle(call)
        if any(self._client.media.store.tracks[t].kind == "video" for t in call.local_tracks
               if t in self._client.media.store.tracks):
            raise BasicError(Codes.CALL_INVALID_STATE, f"Call {callId} already sends video; use call.addMedia "
                             "for more than one video track")
        media = {"audio": False, "video": True, "videoOptions": dict(videoOptions or {})}
        return self._add_media(call, media, options, model.ADD_BASIC_MEDIA)

    @api
    def stopVideo(self, callId: str) -> asyncio.Task[Any]:
        """Remove the call's one local video track; ``call:trackEnded`` on both sides."""
        call = self._call(callId)
        call.require({states.CONNECTED}, "stop video on")
        self._require_idle(call)
        store = self._client.media.store
        video = [t for t in call.local_tracks if t in store.tracks and store.tracks[t].kind == "video"]
        if len(video) != 1:
            raise BasicError(Codes.CALL_INVALID_STATE, f"stopVideo needs exactly one local video track, call "
                             f"{callId} has {len(video)}; use call.removeMedia")
        return self._remove_media(call, video, model.REMOVE_BASIC_MEDIA)

    @api
    def setCustomParameters(self, callId: str, customParameters: list[dict[str, str]] | None = None) -> None:
        """Set (or, with none, clear) the custom parameters sent with every later call operation."""
        call = self._call(callId)
        call.custom_parameters = custom_parameters(customParameters)

    @api
    def sendCustomParameters(self, callId: str) -> asyncio.Task[Any]:
        """Send the call's custom parameters to the platform now."""
        call = self._call(callId)
        call.require({states.INITIATED, states.RINGING, states.EARLY_MEDIA, states.CONNECTED, states.ON_HOLD},
                     "send custom parameters on")
        self.engine.operation(call, model.SEND_CUSTOM_PARAMETERS, model.START)
        return self._spawn(self._send_custom(call), "call-custom-parameters")

    async def _send_custom(self, call: Call) -> None:
        try:
            await self.signalling.send_custom_parameters(call)
        except BasicError as error:
            self.engine.operation(call, model.SEND_CUSTOM_PARAMETERS, model.FINISH, error=error)
            return
        self.engine.operation(call, model.SEND_CUSTOM_PARAMETERS, model.FINISH)

    @api
    async def getAvailableCodecs(self, kind: str) -> list[dict[str, Any]]:
        """The codecs this runtime can send for ``kind``; also emits ``call:availableCodecs``."""
        if kind not in ("audio", "video"):
            raise BasicError(Codes.CALL_INVALID_PARAM, "kind must be 'audio' or 'video'")
        codecs = capabilities(kind)
        self._client.emit("call:availableCodecs", {"kind": kind, "codecs": codecs})
        return codecs

    @api
    def setSdpHandlers(self, sdpHandlers: list[Any]) -> None:
        """Replace the SDP handlers used for all future SDP of all calls."""
        if not isinstance(sdpHandlers, list | tuple) or not all(callable(h) for h in sdpHandlers):
            raise BasicError(Codes.CALL_INVALID_PARAM, "sdpHandlers must be a list of SdpHandlerFunction")
        self.engine.sdp_handlers = list(sdpHandlers)

    # -- v3.X APIs the document replaces (LINK-08) ----------------------------------------------
    def _replaced(self, name: str, replacement: str) -> None:
        raise BasicError(Codes.CALL_DEPRECATED, f"call.{name} is a v3.X API that this SDK (v4.X) does not implement; "
                         f"use {replacement} instead")

    @api
    def startScreenshare(self, *args: Any, **kwargs: Any) -> None:
        """v3.X: use ``call.addMedia(callId, {screen: true, screenOptions})``."""
        self._replaced("startScreenshare", "call.addMedia(callId, {'screen': True, 'screenOptions': {...}})")

    @api
    def stopScreenshare(self, *args: Any, **kwargs: Any) -> None:
        """v3.X: use ``call.removeMedia(callId, [screenTrackId])``."""
        self._replaced("stopScreenshare", "call.removeMedia(callId, [screenTrackId])")

    @api
    def setDefaultDevices(self, *args: Any, **kwargs: Any) -> None:
        """Deprecated: pick devices in ``call.make``/``call.answer``, speakers in ``media.renderTracks``."""
        self._replaced("setDefaultDevices", "the deviceId options of call.make / call.answer and the speakerId "
                       "option of media.renderTracks")

    @api
    def changeInputDevices(self, *args: Any, **kwargs: Any) -> None:
        """v3.X: use ``call.replaceTrack`` with the new device."""
        self._replaced("changeInputDevices", "call.replaceTrack(callId, trackId, {audio/video options with deviceId})")

    @api
    def changeSpeaker(self, *args: Any, **kwargs: Any) -> None:
        """v3.X: re-render the audio track with ``media.removeTracks`` then ``media.renderTracks(..., {speakerId})``."""
        self._replaced("changeSpeaker",
                       "media.removeTracks then media.renderTracks(trackIds, selector, {'speakerId': ...})")
