"""The call engine: call state machines, their peer connections and media, for both products.

Each documented call operation is a method that validates, emits ``call:operation`` START, does the
media and signalling work, and finishes with the documented ``call:stateChange`` (or the error).
Signalling goes through a product adapter (:mod:`sdk.call.signalling`); inbound notifications
come back as ``on_*`` calls. Notifications that arrive for a session id the engine has not learnt
yet (the platform's answer to our request is still in flight) are held and replayed once it is
known, so ordering between REST answers and websocket frames never loses an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from kandy_media import dense, dtmf
from kandy_media import sdp as sdp_tools
from kandy_media.ice import IceSettings
from kandy_media.peer import Peer, ice_servers

from ..errors import BasicError, Codes, as_basic_error
from ..media.handlers import run_pipeline
from ..media.store import Track
from . import model
from .model import ESTABLISHED, TERMINAL, Call, states

if TYPE_CHECKING:
    from ..client import Client
    from ..media.namespace import Media
    from .signalling import Signalling

AUDIT_INTERVAL = 25.0
AUDIT_RETRY = 5.0
ANSWER_TIMEOUT = 30.0
ORPHAN_LIMIT = 200
ORPHAN_TTL = 30.0


class CallEngine:
    def __init__(self, client: Client, media: Media) -> None:
        self.client = client
        self.media = media
        self.signalling: Signalling | None = None
        self.calls: dict[str, Call] = {}
        self.by_session: dict[str, Call] = {}
        self.sdp_handlers: list[Callable[..., Any]] = list(client.config["call"].get("sdpHandlers") or [])
        self._orphans: dict[str, list[tuple[float, Callable[[], Awaitable[None]]]]] = {}
        self.log = client.log_for("Call")
        # Products hook in here (CallMe unsubscribes after an anonymous call ends).
        self.on_call_ended: Callable[[Call], None] = lambda call: None

    # -- helpers -------------------------------------------------------------------------------
    @property
    def product(self) -> str:
        return self.client.product

    def call_of(self, session_id: str) -> Call | None:
        return self.by_session.get(session_id)

    def get(self, call_id: str) -> Call:
        call = self.calls.get(call_id)
        if call is None:
            raise BasicError(Codes.CALL_NOT_FOUND, f"No call with id '{call_id}'")
        return call

    def new_call(self, direction: str) -> Call:
        call = Call(id=str(uuid.uuid4()), direction=direction, product=self.product,
                    start_time=self.client.clock.wall_ms())
        self.calls[call.id] = call
        return call

    def bind_session(self, call: Call, session_id: str) -> None:
        call.session_id = session_id
        self.by_session[session_id] = call
        for _at, replay in self._orphans.pop(session_id, []):
            self.client.spawn(replay(), "call-replay")

    def _session(self, session_id: str, replay: Callable[[], Awaitable[None]]) -> Call | None:
        """The call of ``session_id``; None (and the notification held) when not known yet."""
        call = self.by_session.get(session_id)
        if call is not None:
            return call
        now = self.client.clock.monotonic()
        held = [(at, fn) for at, fn in self._orphans.get(session_id, []) if now - at < ORPHAN_TTL]
        if sum(len(v) for v in self._orphans.values()) < ORPHAN_LIMIT:
            held.append((now, replay))
        self._orphans[session_id] = held
        self.log.debug(f"notification for unknown session {session_id} held")
        return None

    def emit_state(self, call: Call, previous: Mapping[str, Any], *, transition: Mapping[str, Any] | None = None,
                   error: BasicError | None = None) -> None:
        payload: dict[str, Any] = {"callId": call.id, "previous": dict(previous)}
        if transition:
            payload["transition"] = dict(transition)
        if error is not None:
            payload["error"] = error
        self.client.emit("call:stateChange", payload)
        self.client._action("CALL_STATE_CHANGE", {"callId": call.id, "state": call.state})

    def set_state(self, call: Call, new_state: str, *, transition: Mapping[str, Any] | None = None,
                  error: BasicError | None = None) -> None:
        previous = call.previous()
        if new_state in TERMINAL and call.end_time is None:
            call.end_time = self.client.clock.wall_ms()
        if call.transition(new_state) or error is not None:
            self.emit_state(call, previous, transition=transition, error=error)

    def set_hold(self, call: Call, *, local: bool | None = None, remote: bool | None = None) -> None:
        previous = call.previous()
        if local is not None:
            call.local_hold = local
        if remote is not None:
            call.remote_hold = remote
        target = states.ON_HOLD if (call.local_hold or call.remote_hold) else states.CONNECTED
        call.transition(target)
        if call.previous() != previous:
            self.emit_state(call, previous)

    def operation(self, call: Call, name: str, transition: str, *, error: BasicError | None = None,
                  local: bool = True) -> None:
        previous = {"operation": call.operation[0], "status": call.operation[1]} if call.operation else None
        if transition == model.START:
            call.operation = (name, model.ONGOING)
        elif transition == model.UPDATE:
            call.operation = (name, model.PENDING)
        else:
            call.operation = None
        payload: dict[str, Any] = {"callId": call.id, "operation": name, "transition": transition,
                                   "isLocal": local, "previous": previous}
        if error is not None:
            payload["error"] = error
        self.client.emit("call:operation", payload)

    # -- SDP and media -------------------------------------------------------------------------
    def pipeline(self, call: Call, sdp_type: str, endpoint: str, step: str) -> Callable[[str], str]:
        config = self.client.config["call"]

        def transform(sdp_text: str) -> str:
            parsed = sdp_tools.Sdp.parse(sdp_text)
            if config.get("removeH264Codecs", True):
                sdp_tools.remove_codecs(parsed, [("H264", ())])
            if config.get("removeBundling"):
                sdp_tools.remove_bundling(parsed)
            if endpoint == "local" and call.bandwidth:
                sdp_tools.set_bandwidth(parsed, audio=call.bandwidth.get("audio"), video=call.bandwidth.get("video"),
                                        call=call.bandwidth.get("call"))
            if endpoint == "local" and step == "send" and (sdp_type == "offer" or dtmf.telephone_event_pt(
                    call.last_remote_sdp) is not None):
                dtmf.offer_telephone_event(parsed)  # like browsers: RFC 4733 DTMF when the far end agrees
            info = {"type": sdp_type, "endpoint": endpoint, "callId": call.id, "step": step}
            return run_pipeline(str(parsed), info, self.sdp_handlers)

        return transform

    def ensure_peer(self, call: Call) -> Peer:
        if call.media_closed:
            raise BasicError(Codes.CALL_INVALID_STATE, f"Call {call.id} has ended: it has no media any more.")
        if call.peer is None:
            config = self.client.config
            turn = self.client.turn_credentials if config["call"].get("serverTurnCredentials") else None
            servers = ice_servers(config["call"].get("iceServers"), turn)
            runtime = config.get("runtime", {})
            call.peer = Peer(servers=servers, host_addresses=runtime.get("hostAddresses"),
                             preferred_codecs=runtime.get("codecs"),
                             ice_transport_policy=config["call"].get("iceTransportPolicy") or "all",
                             on_track=lambda track, transceiver: self._remote_track(call, track, transceiver))
        return call.peer

    @property
    def dense_media(self) -> Mapping[str, Any] | None:
        """``runtime.denseMedia`` (load tests: shared encoded tones, 1 call in N decoded), or None."""
        value = self.client.config.get("runtime", {}).get("denseMedia")
        return value if isinstance(value, Mapping) else None

    def add_local_media(self, call: Call, media: Mapping[str, Any]) -> list[Track]:
        tracks = self.media.store.get_user_media(media, dense=self.dense_media is not None)
        peer = self.ensure_peer(call)
        for track in tracks:
            peer.add_track(track.source)
            call.local_tracks.append(track.id)
        for track in tracks:
            self.client.emit("call:newTrack", {"callId": call.id, "trackId": track.id, "local": True})
        return tracks

    def _remote_track(self, call: Call, source: Any, transceiver: Any = None) -> None:
        if call.ended:
            return
        counted = None
        dense_media = self.dense_media
        if dense_media is not None and source.kind == "audio" and transceiver is not None:
            if call.media_verified is None:
                call.media_verified = dense.sampling(dense_media.get("verifyEvery", 1)).verify_next(call.direction)
            if not call.media_verified:
                counted = dense.count_packets(transceiver)
            else:
                dense.decode_verified(transceiver)
        track = self.media.store.add_remote(source, f"{call.id}-remote",
                                            on_ended=lambda t: self._remote_track_ended(call, t),
                                            mid=getattr(transceiver, "mid", None), counted=counted)
        call.remote_tracks.append(track.id)
        self.client.emit("call:newTrack", {"callId": call.id, "trackId": track.id, "local": False})

    def sync_remote_tracks(self, call: Call) -> None:
        """After a renegotiation (not a hold): end remote tracks the remote stopped sending, and
        bring back those it sends again (aiortc keeps the receiver, so the SDK follows it by mid)."""
        if call.ended or call.local_hold or call.remote_hold:
            return
        store = self.media.store
        for transceiver in self.ensure_peer(call).transceivers():
            source = transceiver.receiver.track
            receiving = transceiver.currentDirection in ("sendrecv", "recvonly")
            live = [store.tracks[t] for t in call.remote_tracks
                    if t in store.tracks and store.tracks[t].source is source]
            if not receiving and live:
                call.ended_mids.add(transceiver.mid)
                for track in live:
                    call.remote_tracks.remove(track.id)
                    track.state = "ended"
                    if track.pump is not None:
                        track.pump.cancel()
                    self.client.emit("call:trackEnded", {"callId": call.id, "trackId": track.id, "local": False})
                    store.forget([track.id])
            elif receiving and not live and transceiver.mid in call.ended_mids:
                call.ended_mids.discard(transceiver.mid)
                self._remote_track(call, source, transceiver)

    def _remote_track_ended(self, call: Call, track: Track) -> None:
        if call.ended or track.id not in call.remote_tracks:
            return
        call.remote_tracks.remove(track.id)
        self.client.emit("call:trackEnded", {"callId": call.id, "trackId": track.id, "local": False})

    async def apply_remote(self, call: Call, sdp: str, sdp_type: str) -> None:
        final = self.pipeline(call, sdp_type, "remote", "set")(sdp)
        await self.ensure_peer(call).set_remote(final, sdp_type)
        call.last_remote_sdp = final

    async def local_offer(self, call: Call) -> str:
        peer = self.ensure_peer(call)
        await peer.create_offer(self.pipeline(call, "offer", "local", "set"), ice=self.ice_settings)
        return self.pipeline(call, "offer", "local", "send")(peer.pc.localDescription.sdp)

    async def local_answer(self, call: Call) -> str:
        peer = self.ensure_peer(call)
        await peer.create_answer(self.pipeline(call, "answer", "local", "set"), ice=self.ice_settings)
        return self.pipeline(call, "answer", "local", "send")(peer.pc.localDescription.sdp)

    @property
    def ice_settings(self) -> IceSettings | None:
        """How long candidate collection may take (Link ``call.maxIceTimeout`` & co, read each time)."""
        return IceSettings.from_config(self.client.config["call"])

    async def teardown(self, call: Call) -> None:
        """Stop tracks first, then close the peer connection (bounded), then forget the media."""
        call.media_closed = True
        if call.audit_task is not None:
            call.audit_task.cancel()
            call.audit_task = None
        if call.pending_answer is not None and not call.pending_answer.done():
            call.pending_answer.cancel()
        ids = list(call.local_tracks) + list(call.remote_tracks)
        await self.media.store.stop_tracks(ids)
        for track_id in list(call.local_tracks):
            self.client.emit("call:trackEnded", {"callId": call.id, "trackId": track_id, "local": True})
        for track_id in list(call.remote_tracks):
            self.client.emit("call:trackEnded", {"callId": call.id, "trackId": track_id, "local": False})
        call.remote_tracks.clear()
        if call.peer is not None:
            await call.peer.close()
        self.media.store.forget(ids)

    async def finish_end(self, call: Call, new_state: str = states.ENDED, *,
                         transition: Mapping[str, Any] | None = None, error: BasicError | None = None) -> None:
        if call.ended:
            return
        await self.teardown(call)
        self.set_state(call, new_state, transition=transition, error=error)
        self.on_call_ended(call)

    # -- operations ----------------------------------------------------------------------------
    async def run_make(self, call: Call, media: Mapping[str, Any]) -> None:
        try:
            assert self.signalling is not None
            self.add_local_media(call, media)
            offer = await self.local_offer(call)
            session_id = await self.signalling.start(call, offer)
        except Exception as exc:
            error = as_basic_error(exc, code=Codes.CALL_SIGNALLING)
            self.log.warn(f"call {call.id} could not be made: {error.message}")
            self.operation(call, model.MAKE, model.FINISH, error=error)
            await self.finish_end(call, error=error)
            return
        self.bind_session(call, session_id)
        if not call.ended and call.state == states.INITIATING:
            self.set_state(call, states.INITIATED)
            self.operation(call, model.MAKE, model.UPDATE)

    async def run_answer(self, call: Call, media: Mapping[str, Any]) -> None:
        assert self.signalling is not None
        try:
            self.add_local_media(call, media)
            if call.slow_start:
                sdp = await self.local_offer(call)
            else:
                sdp = await self.local_answer(call)
            self.start_audit(call)
            await self.signalling.answer(call, sdp)
        except Exception as exc:
            error = as_basic_error(exc, code=Codes.CALL_SIGNALLING)
            self.operation(call, model.ANSWER, model.FINISH, error=error)
            await self.finish_end(call, error=error)
            return
        if call.slow_start:  # connected when the answer to our offer arrives
            self.operation(call, model.ANSWER, model.UPDATE)
            return
        self.set_state(call, states.CONNECTED)
        self.operation(call, model.ANSWER, model.FINISH)

    async def run_end(self, call: Call, operation: str, *, notify: bool = True) -> None:
        assert self.signalling is not None
        await self.teardown(call)
        error = None
        if notify and call.session_id is not None:
            try:
                if operation == model.REJECT:
                    await self.signalling.reject(call)
                else:
                    await self.signalling.end(call)
            except BasicError as exc:
                error = exc
        self.set_state(call, states.ENDED, error=error)
        self.operation(call, operation, model.FINISH, error=error)
        self.on_call_ended(call)

    async def renegotiate(self, call: Call, operation: str, prepare: Callable[[], None],
                          apply: Callable[[], None]) -> None:
        """Re-offer after ``prepare()``, wait for the remote answer, then ``apply()`` the result."""
        assert self.signalling is not None
        loop = asyncio.get_running_loop()
        call.pending_answer = loop.create_future()
        try:
            prepare()
            offer = await self.local_offer(call)
            await self.signalling.update(call, offer)
            self.operation(call, operation, model.UPDATE)
            async with asyncio.timeout(ANSWER_TIMEOUT):
                answer = await call.pending_answer
            await self.apply_remote(call, answer, "answer")
        except Exception as exc:
            error = as_basic_error(exc, code=Codes.CALL_SIGNALLING)
            if isinstance(exc, TimeoutError):
                error = BasicError(Codes.CALL_TIMEOUT,
                                   f"No answer to the {operation} re-offer within {ANSWER_TIMEOUT} s")
            self.operation(call, operation, model.FINISH, error=error)
            return
        finally:
            call.pending_answer = None
        apply()
        self.operation(call, operation, model.FINISH)

    async def rebuild_peer(self, call: Call) -> None:
        """A fresh RTCPeerConnection with the same local sources (the far end has changed)."""
        store = self.media.store
        for track_id in list(call.remote_tracks):
            track = store.tracks.get(track_id)
            if track is not None:
                track.state = "ended"
                if track.pump is not None:
                    track.pump.cancel()
            self.client.emit("call:trackEnded", {"callId": call.id, "trackId": track_id, "local": False})
            store.forget([track_id])
        call.remote_tracks.clear()
        call.ended_mids.clear()
        old, call.peer = call.peer, None
        if old is not None:
            await old.close()  # stops the senders, not our sources
        peer = self.ensure_peer(call)
        for track_id in call.local_tracks:
            if track_id in store.tracks:
                peer.add_track(store.tracks[track_id].source)
        if call.local_hold:
            self.set_direction(call, "inactive")
        call.last_remote_sdp = None

    async def offer_to_new_party(self, call: Call) -> None:
        """Answer a slow-start re-offer: rebuild, send our offer as the answer, apply their answer."""
        assert self.signalling is not None
        loop = asyncio.get_running_loop()
        try:
            if not self.client.config["call"].get("mediaBrokerOnly"):
                # Peer to peer, the new far end brings its own DTLS certificate; behind a media broker
                # the media address never changes, so the PeerConnection is kept.
                await self.rebuild_peer(call)
            call.pending_answer = loop.create_future()
            offer = await self.local_offer(call)
            await self.signalling.respond(call, offer)
            async with asyncio.timeout(ANSWER_TIMEOUT):
                answer = await call.pending_answer
            await self.apply_remote(call, answer, "answer")
        except Exception as exc:
            error = as_basic_error(exc, code=Codes.CALL_SIGNALLING)
            self.log.warn(f"renegotiation with the new party of call {call.id} failed: {error.message}")
            return
        finally:
            call.pending_answer = None
        held = all(m.direction in ("inactive", "recvonly") for m in sdp_tools.Sdp.parse(answer).media)
        if call.state in ESTABLISHED:
            self.set_hold(call, remote=held and not call.local_hold)

    def set_direction(self, call: Call, direction: str) -> None:
        for transceiver in self.ensure_peer(call).transceivers():
            if not transceiver.stopped:
                transceiver.direction = direction

    # -- audits --------------------------------------------------------------------------------
    def start_audit(self, call: Call) -> None:
        if call.audit_task is None and self.signalling is not None:
            call.audit_task = self.client.spawn(self._audit_loop(call), f"audit-{call.id[:8]}")

    @property
    def audit_interval(self) -> float:
        """25 s as the platform SDKs do; ``runtime.callAuditInterval`` shortens it for tests."""
        return float(self.client.config.get("runtime", {}).get("callAuditInterval") or AUDIT_INTERVAL)

    async def _audit_loop(self, call: Call) -> None:
        assert self.signalling is not None
        wait = self.audit_interval
        while not call.ended:
            await self.client.clock.sleep(wait)
            if call.ended:
                return
            try:
                alive = await self.signalling.audit(call)
            except BasicError as error:
                self.log.info(f"audit of call {call.id} failed ({error.message}); retrying")
                wait = AUDIT_RETRY
                continue
            wait = self.audit_interval
            if not alive:
                call.audit_task = None
                await self.finish_end(call, transition=model.AUDIT_FAILURE)
                return

    # -- inbound (SignallingEvents) ------------------------------------------------------------
    async def on_incoming(self, session_id: str, offer: str | None, *, remote_number: str | None,
                          remote_name: str | None, to_address: str | None,
                          custom_parameters: list[dict[str, str]] | None = None) -> None:
        if session_id in self.by_session:
            return
        call = self.new_call("incoming")
        call.remote_number, call.remote_name = remote_number, remote_name
        call.from_address, call.to_address = remote_number, to_address
        call.custom_parameters = list(custom_parameters or [])
        self.bind_session(call, session_id)
        self.client.emit("call:receive", {"callId": call.id})
        if custom_parameters:
            self.client.emit_if("call:customParameters", {"callId": call.id, "customParameters": custom_parameters})
        try:
            if offer:
                await self.apply_remote(call, offer, "offer")
            else:
                call.slow_start = True
            assert self.signalling is not None
            await self.signalling.ringing(call)
        except Exception as exc:
            error = as_basic_error(exc, code=Codes.CALL_SIGNALLING)
            self.log.warn(f"incoming call {call.id} failed: {error.message}")
            await self.finish_end(call, error=error)
            return
        if not call.ended:
            self.set_state(call, states.RINGING)

    async def on_ringing(self, session_id: str, **remote: Any) -> None:
        call = self._session(session_id, lambda: self.on_ringing(session_id, **remote))
        if call is None or call.state != states.INITIATED:
            return
        if remote.get("remote_number"):
            call.remote_number = remote["remote_number"]
        if remote.get("remote_name"):
            call.remote_name = remote["remote_name"]
        self.set_state(call, states.RINGING)

    async def on_early_media(self, session_id: str, sdp: str) -> None:
        call = self._session(session_id, lambda: self.on_early_media(session_id, sdp))
        if call is None or call.state not in (states.INITIATED, states.RINGING):
            return
        try:
            await self.apply_remote(call, sdp, "answer")
        except BasicError as error:
            self.log.warn(f"early media of call {call.id} could not be applied: {error.message}")
            return
        call.early_sdp = sdp
        self.set_state(call, states.EARLY_MEDIA)

    async def on_accepted(self, session_id: str, answer: str) -> None:
        call = self._session(session_id, lambda: self.on_accepted(session_id, answer))
        if call is None or call.ended:
            return
        if call.direction == "incoming":  # the answer to our slow-start offer
            await self.on_remote_answer(session_id, answer)
            return
        try:
            if answer != call.early_sdp:  # early media may have applied this very answer already
                await self.apply_remote(call, answer, "answer")
        except BasicError as error:
            self.operation(call, model.MAKE, model.FINISH, error=error)
            await self.run_end(call, model.END)
            return
        self.set_state(call, states.CONNECTED)
        self.operation(call, model.MAKE, model.FINISH)
        self.start_audit(call)

    async def on_remote_offer(self, session_id: str, offer: str | None) -> None:
        call = self._session(session_id, lambda: self.on_remote_offer(session_id, offer))
        if call is None or call.ended:
            return
        assert self.signalling is not None
        if not offer:  # slow-start re-INVITE (a transfer or a join): a new far end wants our offer
            # Its answer comes as a later notification: never wait for it inside this handler.
            self.client.spawn(self.offer_to_new_party(call), "call-offer-to-new-party")
            return
        parsed = sdp_tools.Sdp.parse(offer)
        previous = sdp_tools.Sdp.parse(call.last_remote_sdp) if call.last_remote_sdp else None
        closed = call.peer is not None and call.peer.pc.signalingState == "closed"
        if closed or (previous is not None and previous.fingerprint != parsed.fingerprint):
            await self.rebuild_peer(call)  # another party answers now (new DTLS certificate): start afresh
        held = bool(parsed.media) and all(m.direction in ("inactive", "sendonly") or m.port == 0
                                          for m in parsed.media)
        try:
            await self.apply_remote(call, offer, "offer")
            if call.local_hold:
                self.set_direction(call, "inactive")
            answer = await self.local_answer(call)
            await self.signalling.respond(call, answer)
        except Exception as exc:
            error = as_basic_error(exc, code=Codes.CALL_SIGNALLING)
            self.log.warn(f"remote re-offer on call {call.id} failed: {error.message}")
            return
        if held != call.remote_hold and call.state in ESTABLISHED:
            self.set_hold(call, remote=held)
            self.operation(call, model.HOLD if held else model.UNHOLD, model.FINISH, local=False)
        else:
            self.sync_remote_tracks(call)

    async def on_remote_answer(self, session_id: str, answer: str) -> None:
        call = self._session(session_id, lambda: self.on_remote_answer(session_id, answer))
        if call is None or call.ended:
            return
        if call.pending_answer is not None and not call.pending_answer.done():
            call.pending_answer.set_result(answer)
        elif call.slow_start and call.state == states.RINGING:
            await self.apply_remote(call, answer, "answer")
            call.slow_start = False
            self.set_state(call, states.CONNECTED)
            self.operation(call, model.ANSWER, model.FINISH)

    async def on_ended(self, session_id: str, *, cancelled: bool = False, status_code: int | None = None,
                       reason: str | None = None) -> None:
        call = self._session(session_id, lambda: self.on_ended(session_id, cancelled=cancelled,
                                                               status_code=status_code, reason=reason))
        if call is None or call.ended:
            return
        transition: dict[str, Any] = {"prevState": call.state}
        if status_code is not None:
            transition["statusCode"] = status_code
        if reason:
            transition["reasonText"] = reason
        final = states.CANCELLED if cancelled and call.state not in ESTABLISHED else states.ENDED
        if call.operation is not None and call.operation[0] == model.MAKE:
            self.operation(call, model.MAKE, model.FINISH)
        await self.finish_end(call, final, transition=transition)
        self.operation(call, model.END, model.FINISH, local=False)

    async def on_custom_parameters(self, session_id: str, parameters: list[dict[str, str]]) -> None:
        call = self.by_session.get(session_id)
        if call is not None and parameters:
            self.client.emit_if("call:customParameters", {"callId": call.id, "customParameters": parameters})

    # -- lifecycle -----------------------------------------------------------------------------
    async def aclose(self) -> None:
        live = [c for c in self.calls.values() if not c.ended]
        for call in live:
            for track_id in call.local_tracks:
                track = self.media.store.tracks.get(track_id)
                if track is not None:
                    track.source.stop()
        with contextlib.suppress(Exception):
            await asyncio.gather(*(self.teardown(c) for c in live), return_exceptions=True)

