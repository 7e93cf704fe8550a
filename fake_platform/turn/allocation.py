"""One TURN allocation (RFC 8656 section 2.2): a relayed UDP address that one client owns.

The client reaches the relay over UDP or TCP (its :class:`ClientLink`); what it sends to a peer
(Send indications or ChannelData) leaves from the relayed socket, and what a peer sends to the
relayed address comes back as a Data indication, or as ChannelData once a channel is bound.
Permissions (per peer IP, 300 s) and channels (600 s) expire unless refreshed; a peer without a
permission is ignored both ways (section 9).

Each direction goes through a :class:`~fake_platform.network.paths.Path`, which applies the
network impairment that matches the allocation's user and call, or sends at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import messages

if TYPE_CHECKING:
    from ..network.paths import Path
    from .models import Authenticated, TurnService

PERMISSION_LIFETIME = 300.0
CHANNEL_LIFETIME = 600.0
DEFAULT_LIFETIME = 600
MAX_LIFETIME = 3600
MAX_PERMISSIONS = 64  # per allocation: one call needs one or two
MAX_CHANNELS = 64


class ClientLink:
    """How the relay answers one client: a UDP address on the listening socket, or a TCP stream."""

    transport_name = "udp"

    def __init__(self, address: tuple[str, int], send: Callable[[bytes], None]) -> None:
        self.address = address
        self.send = send
        self.closed = False

    @property
    def key(self) -> tuple[str, tuple[str, int]]:
        """The 5-tuple of an allocation, less the server address that is the same for all."""
        return (self.transport_name, self.address)


class TcpClientLink(ClientLink):
    transport_name = "tcp"


@dataclass
class Counters:
    packets_in: int = 0  # from the client, to peers
    bytes_in: int = 0
    packets_out: int = 0  # from peers, to the client
    bytes_out: int = 0
    refused: int = 0  # peer packets without a permission

    def to_dict(self) -> dict[str, int]:
        return {"packets_in": self.packets_in, "bytes_in": self.bytes_in, "packets_out": self.packets_out,
                "bytes_out": self.bytes_out, "refused": self.refused}


@dataclass
class Allocation:
    client: ClientLink
    auth: Authenticated
    turn: TurnService  # the service that authenticated it: a platform reset makes it stale
    transaction_id: bytes  # of the Allocate request (a retransmission gets the same answer)
    expires_at: float
    relayed: asyncio.DatagramTransport | None = None
    relayed_address: tuple[str, int] = ("", 0)
    mapped_address: tuple[str, int] = ("", 0)
    response: bytes = b""
    permissions: dict[str, float] = field(default_factory=dict)  # peer IP -> expiry
    channels: dict[int, tuple[tuple[str, int], float]] = field(default_factory=dict)  # number -> (peer, expiry)
    channel_of: dict[tuple[str, int], int] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    to_peers: Path | None = None  # the user's sending direction
    to_client: Path | None = None  # the user's receiving direction

    @property
    def user(self) -> str:
        return self.auth.user

    # -- permissions and channels --------------------------------------------------------------
    def permit(self, ip: str, now: float) -> None:
        if ip not in self.permissions and len(self.permissions) >= MAX_PERMISSIONS:
            raise messages.TurnError(508, "too many permissions")
        self.permissions[ip] = now + PERMISSION_LIFETIME

    def permitted(self, ip: str, now: float) -> bool:
        expiry = self.permissions.get(ip)
        return expiry is not None and expiry > now

    def bind(self, number: int, peer: tuple[str, int], now: float) -> None:
        """Bind (or refresh) a channel to a peer, which also refreshes its permission (section 12)."""
        if not messages.CHANNEL_MIN <= number <= messages.CHANNEL_MAX:
            raise messages.TurnError(400, f"channel number {number:#x} out of range")
        bound = self.channels.get(number)
        if bound is not None and bound[0] != peer:
            raise messages.TurnError(400, f"channel {number:#x} is bound to another peer")
        if self.channel_of.get(peer, number) != number:
            raise messages.TurnError(400, "the peer is bound to another channel")
        if bound is None and len(self.channels) >= MAX_CHANNELS:
            raise messages.TurnError(508, "too many channels")
        self.permit(peer[0], now)
        self.channels[number] = (peer, now + CHANNEL_LIFETIME)
        self.channel_of[peer] = number

    def expire(self, now: float) -> None:
        self.permissions = {ip: at for ip, at in self.permissions.items() if at > now}
        for number, (peer, at) in list(self.channels.items()):
            if at <= now:
                del self.channels[number]
                self.channel_of.pop(peer, None)

    # -- data ----------------------------------------------------------------------------------
    def from_client(self, peer: tuple[str, int], payload: bytes, now: float) -> None:
        """A Send indication or ChannelData: relay it to the peer if a permission allows."""
        if not self.permitted(peer[0], now) or self.relayed is None:
            return
        self.counters.packets_in += 1
        self.counters.bytes_in += len(payload)
        if self.to_peers is None:
            self.relayed.sendto(payload, peer)
        else:
            self.to_peers.send(payload, peer)

    def from_peer(self, payload: bytes, peer: tuple[str, int], now: float) -> None:
        if not self.permitted(peer[0], now):
            self.counters.refused += 1
            return
        self.counters.packets_out += 1
        self.counters.bytes_out += len(payload)
        if self.to_client is None:
            self.deliver(payload, peer)
        else:
            self.to_client.send(payload, peer)

    def send_to_peer(self, payload: bytes, peer: tuple[str, int]) -> None:
        if self.relayed is not None and not self.relayed.is_closing():
            self.relayed.sendto(payload, peer)

    def deliver(self, payload: bytes, peer: tuple[str, int]) -> None:
        """Hand a peer's packet to the client (ChannelData when a channel is bound to the peer)."""
        if self.client.closed:
            return
        number = self.channel_of.get(peer)
        if number is not None:
            self.client.send(messages.channel_data(number, payload, pad=self.client.transport_name == "tcp"))
        else:
            self.client.send(messages.data_indication(peer, payload))

    def close(self) -> None:
        for path in (self.to_peers, self.to_client):
            if path is not None:
                path.close()
        if self.relayed is not None:
            with contextlib.suppress(Exception):
                self.relayed.close()
            self.relayed = None

    def to_dict(self, now: float) -> dict[str, Any]:
        return {"user": self.user, "transport": self.client.transport_name,
                "client": list(self.client.address), "relayed": list(self.relayed_address),
                "expiresIn": round(max(0.0, self.expires_at - now), 1),
                "permissions": sorted(ip for ip, at in self.permissions.items() if at > now),
                "channels": {f"{n:#x}": list(peer) for n, (peer, at) in self.channels.items() if at > now},
                **self.counters.to_dict()}


class RelayedProtocol(asyncio.DatagramProtocol):
    """The relayed socket of one allocation: what peers send to the relayed address."""

    def __init__(self, allocation: Allocation, clock: Callable[[], float]) -> None:
        self._allocation = allocation
        self._clock = clock

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._allocation.from_peer(data, (addr[0], addr[1]), self._clock())

    def error_received(self, exc: Exception) -> None:
        """ICMP errors from peers (a peer gone): nothing to do, the client's ICE notices."""
