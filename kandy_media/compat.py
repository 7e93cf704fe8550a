"""Every use of aiortc's and aioice's private internals, in one place, for the versions we know.

Neither library offers public hooks for what an emulator needs: offering 127.0.0.1 as a host
candidate (RFC 8445 leaves loopback out, :mod:`kandy_media.peer`), bounding candidate gathering
the way the Kandy documents describe (:mod:`kandy_media.ice`), sending and reading RFC 4733
telephone-event packets (aiortc has no DTMF), seeing received RTP as it arrived (the media
oracle's captures), decoding G.711 on the loop rather than in a thread per receiver (dense
media's verified calls), narrowing a transceiver's negotiated codecs, keeping
RTP header extension ids across re-offers, reaching the ICE sockets (DSCP), filtering an ICE
connection's datagrams (network impairment at the platform's media edge) and teaching aioice's STUN
codec the TURN attributes a server needs. Each is a small function here, so that an upgrade of
either library is checked in one module.

:func:`install` wraps four aioice functions once (idempotent) and refuses library versions
it was not written against: pyproject.toml pins the same ranges, so a new release is adopted by
changing both, after the tests pass on it.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
from collections.abc import Awaitable, Callable, Iterator
from importlib.metadata import version
from typing import Any

import aioice.ice
import aioice.stun
import aiortc.codecs
import aiortc.jitterbuffer
import aiortc.rtcrtpreceiver
import av
from aioice.candidate import Candidate

from . import ice, jitter

#: Library versions these adaptations were written and tested against (major.minor).
SUPPORTED = {"aiortc": ("1.16",), "aioice": ("0.13",)}

_HOST_ADDRESSES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("host_addresses", default=None)
_installed = False


class UnsupportedLibrary(RuntimeError):
    """An aiortc or aioice release these adaptations were not checked against."""


def check_versions() -> dict[str, str]:
    """The installed versions; raise :class:`UnsupportedLibrary` for one we do not know."""
    found = {name: version(name) for name in SUPPORTED}
    for name, installed in found.items():
        if ".".join(installed.split(".")[:2]) not in SUPPORTED[name]:
            raise UnsupportedLibrary(
                f"{name} {installed} is not a version kandy_media supports ({', '.join(SUPPORTED[name])}); "
                "check kandy_media/compat.py against it, then widen SUPPORTED and the pin in pyproject.toml")
    return found


def install() -> None:
    """Wrap aioice's host address lookup and candidate gathering, and give aiortc's audio
    receivers a jitter buffer that plays on after a loss (once per process)."""
    global _installed
    if _installed:
        return
    check_versions()
    original_hosts = aioice.ice.get_host_addresses
    original_component = aioice.ice.Connection.get_component_candidates
    original_srflx = aioice.ice.server_reflexive_candidate
    original_relay = aioice.ice.relayed_candidate
    original_consent = aioice.ice.Connection.query_consent

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        override = _HOST_ADDRESSES.get()
        if override is not None:
            return [a for a in override if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
        return original_hosts(use_ipv4=use_ipv4, use_ipv6=use_ipv6)

    async def component_candidates(self: aioice.ice.Connection, component: int, addresses: list[str],
                                   timeout: int = 5) -> list[Candidate]:
        return await ice.bounded_candidates(original_component, self, component, addresses, timeout,
                                            lambda: local_candidates(self))

    async def srflx(*args: Any, **kwargs: Any) -> Any:
        return await ice.abortable(original_srflx, *args, **kwargs)

    async def relay(*args: Any, **kwargs: Any) -> Any:
        return await ice.abortable(original_relay, *args, **kwargs)

    async def query_consent(self: aioice.ice.Connection) -> None:
        # A connection closed while connect() was finishing (a call ended as it connected) gets its
        # consent task after close() looked for it: that task would outlive the connection by the
        # half minute its checks take to fail (found by load/soak.py). Closed: no consent checks.
        if getattr(self, "_closing", False):
            return
        await original_consent(self)

    aioice.ice.get_host_addresses = get_host_addresses
    setattr(aioice.ice.Connection, "get_component_candidates", component_candidates)  # noqa: B010
    aioice.ice.server_reflexive_candidate = srflx
    aioice.ice.relayed_candidate = relay
    setattr(aioice.ice.Connection, "query_consent", query_consent)  # noqa: B010
    # Audio receivers play on after a lost packet instead of dropping good ones (kandy_media.jitter).
    setattr(aiortc.rtcrtpreceiver, "JitterBuffer", jitter.jitter_buffer)  # noqa: B010
    _installed = True


@contextlib.contextmanager
def aiortc_audio_jitter_buffer() -> Iterator[None]:
    """Receivers made in this block use aiortc's own audio jitter buffer (benchmarks compare)."""
    install()
    ours = aiortc.rtcrtpreceiver.__dict__["JitterBuffer"]
    setattr(aiortc.rtcrtpreceiver, "JitterBuffer", aiortc.jitterbuffer.JitterBuffer)  # noqa: B010
    try:
        yield
    finally:
        setattr(aiortc.rtcrtpreceiver, "JitterBuffer", ours)  # noqa: B010


@contextlib.contextmanager
def host_addresses(addresses: list[str] | None) -> Iterator[None]:
    """Gather host candidates on exactly ``addresses`` (None: aioice's own choice) in this context."""
    token = _HOST_ADDRESSES.set(addresses)
    try:
        yield
    finally:
        _HOST_ADDRESSES.reset(token)


# -- aioice ------------------------------------------------------------------------------------
def local_candidates(connection: Any) -> list[Candidate]:
    """The host candidates an aioice Connection has gathered so far."""
    return [p.local_candidate for p in getattr(connection, "_protocols", [])
            if getattr(p, "local_candidate", None) is not None]


def ice_sockets(dtls_transport: Any) -> list[socket.socket]:
    """The IPv4 UDP sockets under an aiortc DTLS transport (to set DSCP marks on)."""
    connection = getattr(getattr(dtls_transport, "transport", None), "_connection", None)
    result = []
    for protocol in getattr(connection, "_protocols", []):
        transport = getattr(protocol, "transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None and sock.family == socket.AF_INET:
            result.append(sock)
    return result


#: STUN attributes of RFC 8656 / RFC 8489 that aioice's codec does not know and a TURN server
#: needs: ``(type, name, pack, unpack)`` in aioice's table format.
EXTRA_STUN_ATTRIBUTES: list[aioice.stun.AttributeEntry] = [
    (0x000A, "UNKNOWN-ATTRIBUTES",
     lambda types: b"".join(t.to_bytes(2, "big") for t in types),
     lambda data: [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]),
    (0x0017, "REQUESTED-ADDRESS-FAMILY", lambda family: bytes([family, 0, 0, 0]), lambda data: data[0] if data else 0),
    (0x001A, "DONT-FRAGMENT", aioice.stun.pack_none, aioice.stun.unpack_none),
]


def install_stun_attributes() -> None:
    """Add :data:`EXTRA_STUN_ATTRIBUTES` to aioice's STUN codec (idempotent)."""
    for entry in EXTRA_STUN_ATTRIBUTES:
        aioice.stun.ATTRIBUTES_BY_TYPE.setdefault(entry[0], entry)
        aioice.stun.ATTRIBUTES_BY_NAME.setdefault(entry[1], entry)


def stun_attribute_known(attribute_type: int) -> bool:
    """Whether aioice's codec (with :data:`EXTRA_STUN_ATTRIBUTES`) understands an attribute type."""
    return attribute_type in aioice.stun.ATTRIBUTES_BY_TYPE


def ice_connections(pc: Any) -> list[Any]:
    """The aioice Connections of an aiortc RTCPeerConnection (one per ICE transport; one with BUNDLE)."""
    found: list[Any] = []
    for transceiver in pc.getTransceivers():
        for dtls in (transceiver.sender.transport, transceiver.receiver.transport):
            connection = getattr(getattr(dtls, "transport", None), "_connection", None)
            if connection is not None and all(connection is not c for c in found):
                found.append(connection)
    return found


def selected_pairs(pc: Any) -> list[tuple[Any, Any]]:
    """``(local, remote)`` aioice Candidates of each ICE transport's nominated pair (aiortc's
    getStats has no candidate-pair entries; browsers' do)."""
    pairs = []
    for connection in ice_connections(pc):
        for pair in getattr(connection, "_nominated", {}).values():
            pairs.append((pair.local_candidate, pair.remote_candidate))
    return pairs


#: ``filters(deliver, send) -> (inbound, outbound)``: given how a socket delivers what it received
#: and how it sends, two objects whose ``send(data, addr)`` every datagram goes through instead.
DatagramFilters = Callable[[Callable[..., None], Callable[..., None]], tuple[Any, Any]]


def filter_datagrams(pc: Any, filters: DatagramFilters) -> int:
    """Put every datagram of a peer connection's ICE sockets (STUN, DTLS, SRTP) through filters,
    once per socket (the network between the platform's media edge and a client). Call it after
    the local description is set: aioice opens its sockets while gathering. Returns how many
    sockets were filtered."""
    count = 0
    for connection in ice_connections(pc):
        for protocol in getattr(connection, "_protocols", []):
            transport = getattr(protocol, "transport", None)
            if transport is None or getattr(protocol, "_kandy_filtered", False):
                continue
            incoming, outgoing = filters(protocol.datagram_received, transport.sendto)
            protocol.datagram_received = lambda data, addr, _deliver=incoming.send: _deliver(data, addr)
            transport.sendto = lambda data, addr=None, _send=outgoing.send: _send(data, addr)
            protocol._kandy_filtered = True
            count += 1
    return count


# -- aiortc ------------------------------------------------------------------------------------
def negotiated_codecs(transceiver: Any) -> list[Any]:
    """The RTCRtpCodecParameters a transceiver negotiated."""
    return list(transceiver._codecs)


def set_negotiated_codecs(transceiver: Any, codecs: list[Any]) -> None:
    """Narrow what a transceiver sends (aiortc has no public way after the remote offer)."""
    transceiver._codecs = codecs


def stats_transceivers(pc: Any) -> dict[str, Any]:
    """``{stats id: transceiver}`` for the RTP stream entries of aiortc's getStats report, whose
    ids end with the id of the sender or receiver that made them."""
    owners: dict[str, Any] = {}
    for transceiver in pc.getTransceivers():
        for kind in ("outbound-rtp", "remote-inbound-rtp"):
            owners[f"{kind}_{id(transceiver.sender)}"] = transceiver
        for kind in ("inbound-rtp", "remote-outbound-rtp"):
            owners[f"{kind}_{id(transceiver.receiver)}"] = transceiver
    return owners


def header_extension_ids(transceiver: Any) -> dict[str, int]:
    """``{uri: id}`` of the RTP header extensions a transceiver negotiated."""
    return {e.uri: e.id for e in transceiver._headerExtensions}


async def send_rtp(dtls_transport: Any, packet: bytes) -> None:
    """Send a serialised RTP packet on a transport (telephone-event: aiortc has no DTMF sender)."""
    await dtls_transport._send_rtp(packet)


def intercept_rtp(dtls_transport: Any, payload_type: int, handler: Callable[[bytes], None]) -> None:
    """Hand packets of ``payload_type`` to ``handler`` before aiortc routes RTP by the payload
    types it knows (it drops telephone-event); every other packet goes on as before."""
    original: Callable[[bytes, int], Awaitable[None]] = dtls_transport._handle_rtp_data

    async def handle(data: bytes, arrival_time_ms: int) -> None:
        if len(data) >= 12 and (data[1] & 0x7F) == payload_type:
            handler(data)
            return
        await original(data, arrival_time_ms)

    dtls_transport._handle_rtp_data = handle


#: Codecs cheap enough to decode on the loop: a table lookup per sample.
LOOP_DECODED = ("audio/PCMU", "audio/PCMA")


class _LoopDecoding:
    """Stands in for a receiver's decoder queue: G.711 frames are decoded at once, on the loop, by
    aiortc's own decoder and handed to the track; anything else (another codec, the end marker)
    goes on to aiortc's decoder thread as before."""

    def __init__(self, threaded: Any, track_queue: Any) -> None:
        self._threaded = threaded
        self._track_queue = track_queue
        self._decoders: dict[str, Any] = {}

    def put(self, task: Any) -> None:
        if task is None or task[0].mimeType not in LOOP_DECODED:
            self._threaded.put(task)
            return
        codec, encoded_frame = task
        decoder = self._decoders.get(codec.name)
        if decoder is None:
            decoder = self._decoders[codec.name] = aiortc.codecs.get_decoder(codec)
        try:
            frames = decoder.decode(encoded_frame)
        except av.FFmpegError:  # as aiortc's thread does: skip the frame, keep the decoder
            return
        for frame in frames:
            self._track_queue.put_nowait(frame)

    def get(self) -> Any:  # aiortc's thread reads the queue it was given (this one, if started after)
        return self._threaded.get()


def decode_on_loop(receiver: Any) -> None:
    """Decode ``receiver``'s G.711 audio on the event loop. aiortc decodes every frame in a thread
    of the receiver's own and hands each back with ``run_coroutine_threadsafe``: two thread
    hand-offs per 20 ms frame, which cost far more than a G.711 decode (dense media's verified
    calls). Call before or after the receiver started; idempotent."""
    attribute = "_RTCRtpReceiver__decoder_queue"
    current = getattr(receiver, attribute)
    if not isinstance(current, _LoopDecoding):
        setattr(receiver, attribute, _LoopDecoding(current, receiver.track._queue))


def tap_rtp(dtls_transport: Any, handler: Callable[[bytes], None]) -> None:
    """Show every RTP packet to ``handler`` as the transport received it (decrypted, before aiortc
    routes it), then pass it on unchanged."""
    original: Callable[[bytes, int], Awaitable[None]] = dtls_transport._handle_rtp_data

    async def handle(data: bytes, arrival_time_ms: int) -> None:
        handler(data)
        await original(data, arrival_time_ms)

    dtls_transport._handle_rtp_data = handle
