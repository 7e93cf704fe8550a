"""Every use of aiortc's and aioice's private internals, in one place, for the versions we know.

Neither library offers public hooks for what an emulator needs: offering 127.0.0.1 as a host
candidate (RFC 8445 leaves loopback out, :mod:`kandy_media.peer`), bounding candidate gathering
the way the Kandy documents describe (:mod:`kandy_media.ice`), sending and reading RFC 4733
telephone-event packets (aiortc has no DTMF), narrowing a transceiver's negotiated codecs, keeping
RTP header extension ids across re-offers and reaching the ICE sockets (DSCP). Each is a small
function here, so that an upgrade of either library is checked in one module.

:func:`install` wraps the three aioice functions once (idempotent) and refuses library versions
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
from aioice.candidate import Candidate

from . import ice

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
    """Wrap aioice's host address lookup and candidate gathering (once per process)."""
    global _installed
    if _installed:
        return
    check_versions()
    original_hosts = aioice.ice.get_host_addresses
    original_component = aioice.ice.Connection.get_component_candidates
    original_srflx = aioice.ice.server_reflexive_candidate
    original_relay = aioice.ice.relayed_candidate

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

    aioice.ice.get_host_addresses = get_host_addresses
    setattr(aioice.ice.Connection, "get_component_candidates", component_candidates)  # noqa: B010
    aioice.ice.server_reflexive_candidate = srflx
    aioice.ice.relayed_candidate = relay
    _installed = True


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


# -- aiortc ------------------------------------------------------------------------------------
def negotiated_codecs(transceiver: Any) -> list[Any]:
    """The RTCRtpCodecParameters a transceiver negotiated."""
    return list(transceiver._codecs)


def set_negotiated_codecs(transceiver: Any, codecs: list[Any]) -> None:
    """Narrow what a transceiver sends (aiortc has no public way after the remote offer)."""
    transceiver._codecs = codecs


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
