"""One RTCPeerConnection per call, with the SDP pipeline and loopback-friendly ICE.

ICE: aiortc gathers host candidates from ``aioice.ice.get_host_addresses``, which leaves out
127.0.0.1 (RFC 8445 forbids loopback candidates), and with no ICE servers configured it would ask
a public STUN server (seconds of timeouts offline). Callers therefore pass an explicit ICE server
list (the SDK's ``call.iceServers``, ``[]`` when none) and, with ``host_addresses``, offer exactly
those addresses (:func:`kandy_media.compat.host_addresses`), so each peer's choice holds only for
its own gathering. Errors are :class:`~kandy_media.errors.MediaError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from . import compat
from .errors import MediaError
from .ice import CURRENT as ICE_GATHERING
from .ice import Gathering, IceSettings
from .sdp import Sdp

CLOSE_TIMEOUT = 5.0
#: Every peer connection made here, while it lives: leak checks count the open ones from this set,
#: since a heap scan (gc.get_objects) misses what a standalone server has frozen (core/heap.py).
_LIVE: weakref.WeakSet[RTCPeerConnection] = weakref.WeakSet()


def open_peer_connections() -> int:
    """How many peer connections made by :class:`Peer` in this process are not closed."""
    return sum(pc.connectionState != "closed" for pc in list(_LIVE))


def ice_servers(servers: Iterable[Mapping[str, Any]] | None, turn: Mapping[str, Any] | None) -> list[RTCIceServer]:
    """RTCIceServers from ``call.iceServers``; server-provided TURN credentials go on every entry."""
    result = []
    for server in servers or []:
        urls: str | list[str] = server.get("urls") or []
        username = server.get("username")
        credential = server.get("credential")
        if turn:
            username, credential = turn.get("username"), turn.get("password") or turn.get("credential")
        result.append(RTCIceServer(urls=urls, username=username, credential=credential))
    return result


def capabilities(kind: str) -> list[dict[str, Any]]:
    """What this runtime can send, as RTCRtpCodecCapability dicts (``call.getAvailableCodecs``)."""
    return [{"mimeType": c.mimeType, "clockRate": c.clockRate, "channels": c.channels,
             "sdpFmtpLine": ";".join(f"{k}={v}" for k, v in (c.parameters or {}).items()) or None}
            for c in RTCRtpSender.getCapabilities(kind).codecs]


class Peer:
    """The RTCPeerConnection of one call."""

    def __init__(self, *, servers: list[RTCIceServer], host_addresses: list[str] | None,
                 preferred_codecs: list[str] | None, on_track: Callable[[Any, RTCRtpTransceiver], None],
                 ice_transport_policy: str = "all") -> None:
        """``ice_transport_policy`` 'relay' offers TURN relay candidates only (RTCIceTransportPolicy)."""
        compat.install()
        policy = RTCIceTransportPolicy.RELAY if ice_transport_policy == "relay" else RTCIceTransportPolicy.ALL
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=servers, iceTransportPolicy=policy))
        _LIVE.add(self.pc)
        self.servers = servers
        self._host_addresses = host_addresses
        self.last_gathering: dict[str, Any] = {}  # how the last candidate collection ended (kandy_media.ice)
        self._preferred = [c.lower() for c in preferred_codecs] if preferred_codecs else None
        self._on_track = on_track
        self._origin: tuple[str, int] | None = None  # (sess-id, last sess-version) of our o= line
        self.pc.on("track", self._track)

    def _track(self, track: Any) -> None:
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        self._on_track(track, transceiver)

    # -- tracks --------------------------------------------------------------------------------
    def add_track(self, track: Any) -> RTCRtpTransceiver:
        """Send ``track``: reuse an idle transceiver of its kind, else add one (sendrecv). A track that
        follows what its transceiver negotiated (dense media's shared tone) is told which one."""
        transceiver = self._reuse(track)
        if transceiver is None:
            self.pc.addTrack(track)
            transceiver = next(t for t in self.pc.getTransceivers() if t.sender.track is track)
            self._prefer(transceiver)
        _bind(track, transceiver)
        return transceiver

    @staticmethod
    def replace_track(transceiver: RTCRtpTransceiver, track: Any) -> None:
        """Send ``track`` instead on the same RTP stream (seamless for the remote)."""
        transceiver.sender.replaceTrack(track)
        _bind(track, transceiver)

    def _reuse(self, track: Any) -> RTCRtpTransceiver | None:
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == track.kind and transceiver.sender.track is None and not transceiver.stopped \
                    and transceiver.currentDirection in (None, "recvonly", "inactive"):
                transceiver.sender.replaceTrack(track)
                transceiver.direction = "sendrecv"
                return transceiver
        return None

    def _prefer(self, transceiver: RTCRtpTransceiver) -> None:
        if not self._preferred:
            return
        caps = RTCRtpSender.getCapabilities(transceiver.kind).codecs
        preferred = [c for name in self._preferred for c in caps if c.mimeType.split("/")[1].lower() == name]
        rest = [c for c in caps if c not in preferred and c.mimeType.lower().endswith("/rtx")]
        if preferred:
            transceiver.setCodecPreferences(preferred + rest)

    def transceivers(self) -> list[RTCRtpTransceiver]:
        return self.pc.getTransceivers()

    # -- descriptions --------------------------------------------------------------------------
    async def create_offer(self, pipeline: Callable[[str], str], *, ice: IceSettings | None = None) -> str:
        """Offer -> SDP pipeline (step 'set') -> setLocalDescription (ICE gathering, bounded by ``ice``)."""
        negotiated = self._negotiated_extensions()  # createOffer resets them to aiortc's defaults
        offer = await self.pc.createOffer()
        sdp = pipeline(keep_extension_ids(offer.sdp, negotiated))
        await self._set_local(RTCSessionDescription(self._keep_origin(sdp), "offer"), ice)
        return self.pc.localDescription.sdp

    async def create_answer(self, pipeline: Callable[[str], str], *, ice: IceSettings | None = None) -> str:
        answer = await self.pc.createAnswer()
        final = pipeline(answer.sdp)
        if self._narrow_codecs(final):  # handlers removed codecs: answer again with what is left
            answer = await self.pc.createAnswer()
            final = pipeline(answer.sdp)
        remote = self.pc.remoteDescription
        if remote is not None and "a=group:BUNDLE" not in remote.sdp:
            # RFC 8843: no BUNDLE group in an answer to an offer without one (aiortc adds it anyway;
            # browsers refuse it, and the official SDKs remove bundling from their offers).
            final = "\r\n".join(line for line in final.split("\r\n") if not line.startswith("a=group:BUNDLE"))
        await self._set_local(RTCSessionDescription(self._keep_origin(final), "answer"), ice)
        return self.pc.localDescription.sdp

    def _negotiated_extensions(self) -> dict[str, dict[str, int]]:
        """``{mid: {uri: id}}`` of the RTP header extensions each negotiated m-section uses."""
        return {t.mid: compat.header_extension_ids(t) for t in self.pc.getTransceivers()
                if t.mid is not None and t.currentDirection is not None}

    def _keep_origin(self, sdp: str) -> str:
        """One session id for the life of the peer, its version one higher each time (RFC 3264
        section 8). aiortc stamps a fresh id on every description; browsers take a new id for a new
        session and rebuild their peer connection (new ICE and DTLS), which would break the call."""
        lines = sdp.split("\r\n")
        for index, line in enumerate(lines):
            if line.startswith("o="):
                fields = line[2:].split(" ")
                if len(fields) == 6:
                    session_id, version = self._origin or (fields[1], int(fields[2]) - 1)
                    self._origin = (session_id, version + 1)
                    fields[1:3] = [session_id, str(version + 1)]
                    lines[index] = "o=" + " ".join(fields)
                break
        return "\r\n".join(lines)

    async def set_remote(self, sdp: str, kind: str) -> None:
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp, kind))
        except (ValueError, AttributeError) as exc:
            raise MediaError(f"The remote {kind} could not be applied: {exc}") from exc
        if kind == "offer" and self._preferred:
            for transceiver in self.pc.getTransceivers():
                kept = [c for c in compat.negotiated_codecs(transceiver)
                        if c.mimeType.split("/")[1].lower() in self._preferred or c.mimeType.endswith("/rtx")]
                if any(not c.mimeType.endswith("/rtx") for c in kept):
                    compat.set_negotiated_codecs(transceiver, kept)

    async def _set_local(self, description: RTCSessionDescription, settings: IceSettings | None = None) -> None:
        gathering = Gathering(settings) if settings is not None else None
        ice_token = ICE_GATHERING.set(gathering)
        try:
            with compat.host_addresses(self._host_addresses):
                await self.pc.setLocalDescription(description)
        except (ValueError, AttributeError) as exc:
            raise MediaError(f"The local {description.type} could not be applied: {exc}") from exc
        finally:
            ICE_GATHERING.reset(ice_token)
        if gathering is not None and gathering.outcome:
            self.last_gathering = gathering.outcome

    def _narrow_codecs(self, answer_sdp: str) -> bool:
        """Make aiortc send only codecs the final answer still lists.

        aiortc fixes a transceiver's codecs when the remote offer is applied and offers no public
        way to narrow them afterwards, so an SDP handler that removes a codec from our answer would
        leave aiortc sending it. Narrow the negotiated list to what the answer kept.
        """
        parsed = Sdp.parse(answer_sdp)
        changed = False
        for transceiver in self.pc.getTransceivers():
            section = next((m for m in parsed.media if m.mid == transceiver.mid), None)
            if section is None:
                continue
            kept_pts = {c.payload for c in section.codecs()}
            codecs = compat.negotiated_codecs(transceiver)
            narrowed = [c for c in codecs if c.payloadType in kept_pts]
            if narrowed and len(narrowed) != len(codecs):
                compat.set_negotiated_codecs(transceiver, narrowed)
                changed = True
        return changed

    async def stats(self) -> dict[str, Any]:
        """aiortc's report in the units and shape of the W3C statistics a browser reports:
        ``jitter`` in seconds (aiortc gives RTP timestamp units), ``fractionLost`` as a fraction
        (aiortc gives the RTCP byte, in 256ths), a ``codec`` entry per negotiated codec and
        ``codecId`` on each RTP stream, and the candidate-pair / local-candidate /
        remote-candidate entries of each selected pair (aiortc has none)."""
        report = await self.pc.getStats()
        result = {key: _stat_dict(value) for key, value in report.items()}
        timestamp = next((v["timestamp"] for v in result.values() if "timestamp" in v), None)
        owners = compat.stats_transceivers(self.pc)
        for key, stat in list(result.items()):
            transceiver = owners.get(key)
            codec = _sending_codec(transceiver) if transceiver is not None else None
            if transceiver is None or codec is None:
                continue
            codec_id = f"RTCCodec_{transceiver.mid}_{codec.payloadType}"
            result[codec_id] = {"id": codec_id, "type": "codec", "timestamp": timestamp,
                                "payloadType": codec.payloadType, "mimeType": codec.mimeType,
                                "clockRate": codec.clockRate, "channels": codec.channels,
                                "sdpFmtpLine": ";".join(f"{k}={v}" for k, v in (codec.parameters or {}).items())}
            stat["codecId"] = codec_id
            if isinstance(stat.get("jitter"), int | float):
                stat["jitter"] = stat["jitter"] / codec.clockRate
            if isinstance(stat.get("fractionLost"), int | float):
                stat["fractionLost"] = stat["fractionLost"] / 256.0
        for index, (local, remote) in enumerate(compat.selected_pairs(self.pc)):
            ids = {"local": f"RTCIceCandidate_L{index}", "remote": f"RTCIceCandidate_R{index}"}
            for side, candidate in (("local", local), ("remote", remote)):
                result[ids[side]] = {"id": ids[side], "type": f"{side}-candidate", "timestamp": timestamp,
                                     "address": candidate.host, "port": candidate.port,
                                     "protocol": candidate.transport, "candidateType": candidate.type,
                                     "priority": candidate.priority}
            pair_id = f"RTCIceCandidatePair_{index}"
            result[pair_id] = {"id": pair_id, "type": "candidate-pair", "timestamp": timestamp,
                               "localCandidateId": ids["local"], "remoteCandidateId": ids["remote"],
                               "state": "succeeded", "nominated": True}
        return result

    async def close(self) -> None:
        """Close the connection but keep the local sources alive: an aiortc sender stops its track
        when its RTP loop ends, and the same sources go on in the next peer after a rebuild."""
        for transceiver in self.pc.getTransceivers():
            transceiver.sender.replaceTrack(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pc.close(), CLOSE_TIMEOUT)


def _sending_codec(transceiver: RTCRtpTransceiver) -> Any:
    """The codec a transceiver negotiated first (what it sends), leaving retransmission out."""
    return next((c for c in compat.negotiated_codecs(transceiver) if not c.mimeType.lower().endswith("/rtx")), None)


def _stat_dict(stat: Any) -> dict[str, Any]:
    data = {k: v for k, v in vars(stat).items() if not k.startswith("_")}
    if "timestamp" in data and hasattr(data["timestamp"], "timestamp"):
        data["timestamp"] = data["timestamp"].timestamp() * 1000
    return data


def keep_extension_ids(sdp: str, negotiated: dict[str, dict[str, int]]) -> str:
    """Give each header extension of a re-offer the id it was negotiated with (RFC 8285 section 6).

    aiortc numbers its extensions afresh in every offer; after answering a browser's offer (its
    numbering), our re-offer would move them, and Chrome refuses that ("RTP extension ID
    reassignment not supported"). An extension the section did not negotiate keeps its id unless
    that id is taken, then gets a free one.
    """
    if not negotiated:
        return sdp
    lines = sdp.split("\r\n")
    sections: list[list[int]] = []  # line indexes of each m-section
    for index, line in enumerate(lines):
        if line.startswith("m="):
            sections.append([])
        if sections:
            sections[-1].append(index)
    for section in sections:
        mid = next((lines[i][6:] for i in section if lines[i].startswith("a=mid:")), None)
        wanted = negotiated.get(mid) if mid is not None else None
        if not wanted:
            continue
        extmaps = [i for i in section if lines[i].startswith("a=extmap:")]
        used = {wanted[lines[i].split(" ", 1)[1]] for i in extmaps if lines[i].split(" ", 1)[1] in wanted}
        free = (n for n in range(1, 15) if n not in used)
        for i in extmaps:
            head, uri = lines[i].split(" ", 1)
            old_id, _, direction = head[len("a=extmap:"):].partition("/")
            new_id = wanted.get(uri)
            if new_id is None:
                new_id = int(old_id) if int(old_id) not in used else next(free)
                used.add(new_id)
            lines[i] = f"a=extmap:{new_id}{'/' + direction if direction else ''} {uri}"
    return "\r\n".join(lines)


def _bind(track: Any, transceiver: RTCRtpTransceiver) -> None:
    """Tell a track that follows its transceiver's negotiation (kandy_media.dense) which one sends it."""
    bind = getattr(track, "bind", None)
    if bind is not None:
        bind(transceiver)
