"""The platform's TURN relay (RFC 8656): UDP and TCP listeners on one port of 127.0.0.1.

A real relay, so calls with ``iceTransportPolicy: 'relay'`` (ours, and the official SDKs' in
Chromium) send their media through the platform, where it can be measured and impaired.

Supported: Allocate (a UDP relayed address; REQUESTED-ADDRESS-FAMILY IPv4; DONT-FRAGMENT is
accepted, loopback never fragments), Refresh (LIFETIME 0 deletes), CreatePermission (several
peers per request), ChannelBind, Send and Data indications, ChannelData, and Binding requests
(the relay is a STUN server too). Clients reach it over UDP, or TCP (``?transport=tcp``, the
framing of RFC 8656 section 12.5: padded ChannelData); a TCP allocation ends with its
connection. Not supported, answered as RFC 8656 says for a server without them: TLS (``turns:``),
EVEN-PORT / RESERVATION-TOKEN (420 Unknown Attribute), TCP relaying (RFC 6062; 442) and IPv6
relayed addresses (440). Peers must be loopback addresses (403 otherwise): the emulator is not
an open relay.

Credentials are the platform's time-limited ones (:mod:`fake_platform.turn.models`); the
allocation is bound to the username that created it, and a request on it with other valid
credentials gets 441 Wrong Credentials. Quotas: :data:`USER_QUOTA` allocations per user (486),
:data:`MAX_ALLOCATIONS` in all (508). An allocation belongs to the platform state that
authenticated it: after a reset it is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Callable
from typing import Any, Protocol

from aioice import stun
from aioice.turn import TurnStreamMixin

from . import messages
from .allocation import DEFAULT_LIFETIME, MAX_LIFETIME, Allocation, ClientLink, RelayedProtocol, TcpClientLink
from .messages import TurnError
from .models import Authenticated, TurnService

USER_QUOTA = 50
MAX_ALLOCATIONS = 2000
MAX_TCP_CONNECTIONS = 2000
SWEEP_INTERVAL = 2.0
BIND_ATTEMPTS = 20
_log = logging.getLogger("fake_platform.turn")


class RelayState(Protocol):
    """What the relay needs from the platform state (looked up again for every request)."""

    turn: TurnService
    journal: Any
    network: Any  # fake_platform.network.NetworkConditions: the impairment paths


class TurnRelay:
    def __init__(self, state: Callable[[], RelayState], *, host: str = "127.0.0.1", port: int = 0,
                 user_quota: int = USER_QUOTA, max_allocations: int = MAX_ALLOCATIONS) -> None:
        self._state = state
        self.host = host
        self.port = port
        self.user_quota = user_quota
        self.max_allocations = max_allocations
        self.allocations: dict[tuple[str, tuple[str, int]], Allocation] = {}
        self._pending: dict[tuple[str, tuple[str, int]], bytes] = {}  # Allocate requests being served
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._tcp_links: set[TcpConnection] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.refusals: dict[int, int] = {}  # error code -> how many requests got it
        self.challenges = 0  # 401s to requests without credentials (RFC 8489 section 9.2.4)
        self._changed = asyncio.Event()  # set whenever an allocation is made or deleted

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> TurnRelay:
        loop = asyncio.get_running_loop()
        for _attempt in range(BIND_ATTEMPTS):
            udp, _ = await loop.create_datagram_endpoint(lambda: UdpListener(self), local_addr=(self.host, self.port))
            port = udp.get_extra_info("sockname")[1]
            try:
                self._tcp = await loop.create_server(lambda: TcpConnection(self), self.host, port,
                                                     reuse_address=True)
            except OSError:
                udp.close()
                if self.port:
                    raise
                continue  # the TCP port of this ephemeral UDP port is taken: try another
            self._udp, self.port = udp, port
            break
        else:
            raise OSError(f"no port free for both UDP and TCP on {self.host}")
        self._sweeper = loop.create_task(self._sweep())
        return self

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for task in list(self._tasks):
            task.cancel()
        self.drop_all()
        for link in list(self._tcp_links):
            link.transport.close()
        if self._tcp is not None:
            self._tcp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), 2.0)
            self._tcp = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    @property
    def urls(self) -> list[str]:
        return [f"turn:{self.host}:{self.port}?transport=udp", f"turn:{self.host}:{self.port}?transport=tcp"]

    def drop_all(self) -> None:
        for key in list(self.allocations):
            self._delete(key, "closed")

    # -- what the relay received ---------------------------------------------------------------
    def received(self, data: bytes, link: ClientLink) -> None:
        now = _now()
        if len(data) >= 4 and messages.is_channel_data(data):
            allocation = self.allocations.get(link.key)
            split = messages.split_channel_data(data)
            if allocation is None or split is None:
                return
            bound = allocation.channels.get(split[0])
            if bound is not None and bound[1] > now:
                allocation.from_client(bound[0], split[1], now)
            return
        message = messages.parse(data)
        if message is None:
            return
        if message.message_class == stun.Class.REQUEST:
            self._request(message, data, link, now)
        elif message.message_class == stun.Class.INDICATION and message.message_method == stun.Method.SEND:
            allocation = self.allocations.get(link.key)
            peer, payload = message.attributes.get("XOR-PEER-ADDRESS"), message.attributes.get("DATA")
            if allocation is not None and peer is not None and payload is not None:
                allocation.from_client(peer, payload, now)

    def _request(self, message: stun.Message, data: bytes, link: ClientLink, now: float) -> None:
        if message.message_method == stun.Method.BINDING:
            link.send(messages.success_response(message, {"XOR-MAPPED-ADDRESS": link.address}, None))
            return
        state = self._state()
        key: bytes | None = None
        try:
            auth = state.turn.authenticate(message)
            key = auth.key
            unknown = messages.unknown_required(data)
            if unknown:
                raise TurnError(420, "unknown comprehension-required attributes",
                                attributes={"UNKNOWN-ATTRIBUTES": unknown})
            method = message.message_method
            if method == stun.Method.ALLOCATE:
                self._allocate(message, link, auth, state, now)
                return
            allocation = self._owned(link, auth)
            if method == stun.Method.REFRESH:
                attributes = self._refresh(message, allocation, link, now)
            elif method == stun.Method.CREATE_PERMISSION:
                attributes = self._create_permission(message, data, allocation, now)
            elif method == stun.Method.CHANNEL_BIND:
                attributes = self._channel_bind(message, allocation, now)
            else:
                raise TurnError(400, f"unsupported method {method.name}")
            link.send(messages.success_response(message, attributes, key))
        except TurnError as error:
            challenge = "MESSAGE-INTEGRITY" not in message.attributes and error.code == 401
            if challenge:
                self.challenges += 1  # the first step of every long-term credential exchange
            else:
                self.refusals[error.code] = self.refusals.get(error.code, 0) + 1
            state.journal.record("turn", user=_user_of(message), status=error.code,
                                 detail={"method": message.message_method.name, "transport": link.transport_name,
                                         "client": list(link.address),
                                         "challenge" if challenge else "error": str(error)})
            link.send(messages.error_response(message, error, key))

    def _owned(self, link: ClientLink, auth: Authenticated) -> Allocation:
        allocation = self.allocations.get(link.key)
        if allocation is None:
            raise TurnError(437, "no allocation on this 5-tuple")
        if allocation.auth.username != auth.username:
            raise TurnError(441, "the allocation was created with other credentials")
        return allocation

    # -- Allocate ------------------------------------------------------------------------------
    def _allocate(self, message: stun.Message, link: ClientLink, auth: Authenticated, state: RelayState,
                  now: float) -> None:
        existing = self.allocations.get(link.key)
        if existing is not None:
            if existing.transaction_id != message.transaction_id:
                raise TurnError(437, "the 5-tuple already has an allocation")
            link.send(existing.response)  # a retransmission: the same answer (RFC 8656 section 7.2)
            return
        if link.key in self._pending:
            return  # being allocated: the answer is on its way
        transport = message.attributes.get("REQUESTED-TRANSPORT")
        if transport is None:
            raise TurnError(400, "REQUESTED-TRANSPORT missing")
        if transport >> 24 != messages.UDP:
            raise TurnError(442, "only UDP relaying is supported")
        if message.attributes.get("REQUESTED-ADDRESS-FAMILY", messages.IPV4) != messages.IPV4:
            raise TurnError(440, "only IPv4 relayed addresses are supported")
        if sum(1 for a in self.allocations.values() if a.user == auth.user) >= self.user_quota:
            raise TurnError(486, f"{auth.user} has {self.user_quota} allocations")
        if len(self.allocations) + len(self._pending) >= self.max_allocations:
            raise TurnError(508, "the relay is full")
        lifetime = _lifetime(message)
        allocation = Allocation(client=link, auth=auth, turn=state.turn, transaction_id=message.transaction_id,
                                expires_at=now + lifetime, mapped_address=link.address)
        self._pending[link.key] = message.transaction_id
        task = asyncio.get_running_loop().create_task(self._open(allocation, message, lifetime, state))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, allocation: Allocation, message: stun.Message, lifetime: int, state: RelayState) -> None:
        link = allocation.client
        try:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(lambda: RelayedProtocol(allocation, _now),
                                                               local_addr=(self.host, 0))
        except OSError as exc:
            self._pending.pop(link.key, None)
            link.send(messages.error_response(message, TurnError(508, str(exc)), allocation.auth.key))
            return
        self._pending.pop(link.key, None)
        if link.closed:
            transport.close()
            return
        allocation.relayed = transport
        allocation.relayed_address = transport.get_extra_info("sockname")[:2]
        network = getattr(state, "network", None)
        if network is not None:
            allocation.to_peers = network.path(user=allocation.user, direction="send",
                                               relayed=allocation.relayed_address, send=allocation.send_to_peer)
            allocation.to_client = network.path(user=allocation.user, direction="receive",
                                                relayed=allocation.relayed_address, send=allocation.deliver)
        allocation.response = messages.success_response(message, {
            "XOR-RELAYED-ADDRESS": allocation.relayed_address, "LIFETIME": lifetime,
            "XOR-MAPPED-ADDRESS": allocation.mapped_address}, allocation.auth.key)
        self.allocations[link.key] = allocation
        self._changed.set()
        state.journal.record("turn", user=allocation.user, status=200,
                             detail={"method": "ALLOCATE", "transport": link.transport_name,
                                     "relayed": list(allocation.relayed_address)})
        link.send(allocation.response)

    # -- Refresh, CreatePermission, ChannelBind ------------------------------------------------
    def _refresh(self, message: stun.Message, allocation: Allocation, link: ClientLink, now: float) -> dict[str, Any]:
        requested = message.attributes.get("LIFETIME", DEFAULT_LIFETIME)
        if requested == 0:
            self._delete(link.key, "refresh 0")
            return {"LIFETIME": 0}
        lifetime = _lifetime(message)
        allocation.expires_at = now + lifetime
        return {"LIFETIME": lifetime}

    def _create_permission(self, message: stun.Message, data: bytes, allocation: Allocation,
                           now: float) -> dict[str, Any]:
        peers = messages.peer_addresses(data, message)
        if not peers:
            raise TurnError(400, "XOR-PEER-ADDRESS missing")
        for peer in peers:
            self._check_peer(peer)
        for peer in peers:
            allocation.permit(peer[0], now)
        return {}

    def _channel_bind(self, message: stun.Message, allocation: Allocation, now: float) -> dict[str, Any]:
        number, peer = message.attributes.get("CHANNEL-NUMBER"), message.attributes.get("XOR-PEER-ADDRESS")
        if number is None or peer is None:
            raise TurnError(400, "CHANNEL-NUMBER and XOR-PEER-ADDRESS are required")
        self._check_peer(peer)
        allocation.bind(number, peer, now)
        return {}

    def _check_peer(self, peer: tuple[str, int]) -> None:
        try:
            address = ipaddress.ip_address(peer[0])
        except ValueError:
            raise TurnError(400, f"bad peer address {peer[0]!r}") from None
        if not (address.is_loopback or peer[0] == self.host):
            raise TurnError(403, f"peer {peer[0]} is not a loopback address")

    # -- housekeeping --------------------------------------------------------------------------
    def _delete(self, key: tuple[str, tuple[str, int]], why: str) -> None:
        allocation = self.allocations.pop(key, None)
        if allocation is None:
            return
        allocation.close()
        self._changed.set()
        with contextlib.suppress(Exception):
            self._state().journal.record("turn", user=allocation.user,
                                         detail={"method": "DELETE", "why": why,
                                                 "relayed": list(allocation.relayed_address),
                                                 **allocation.counters.to_dict()})

    def record(self, method: str, link: ClientLink, **detail: Any) -> None:
        """A journal entry about a client connection (what a failing test shows)."""
        with contextlib.suppress(Exception):
            self._state().journal.record("turn", detail={"method": method, "transport": link.transport_name,
                                                         "client": list(link.address),
                                                         **{k: v for k, v in detail.items() if v}})

    def link_closed(self, link: ClientLink) -> None:
        link.closed = True
        self._delete(link.key, "connection closed")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            self.sweep(_now())

    def sweep(self, now: float) -> None:
        """Drop expired allocations and those of a platform state that was reset."""
        turn = self._state().turn
        for key, allocation in list(self.allocations.items()):
            if allocation.expires_at <= now:
                self._delete(key, "expired")
            elif allocation.turn is not turn:
                self._delete(key, "platform reset")
            else:
                allocation.expire(now)

    async def wait_until(self, condition: Callable[[TurnRelay], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition(relay)`` holds, re-checking as allocations come and go."""
        async with asyncio.timeout(timeout):
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

    def dump(self) -> dict[str, Any]:
        now = _now()
        return {"urls": self.urls, "allocations": [a.to_dict(now) for a in self.allocations.values()],
                "challenges": self.challenges,
                "refusals": {str(code): n for code, n in sorted(self.refusals.items())}}


def _now() -> float:
    return asyncio.get_running_loop().time()


def _lifetime(message: stun.Message) -> int:
    """RFC 8656 section 7.2: the requested lifetime, at least the default, at most our maximum."""
    requested = message.attributes.get("LIFETIME", DEFAULT_LIFETIME)
    return max(DEFAULT_LIFETIME, min(int(requested), MAX_LIFETIME))


def _user_of(message: stun.Message) -> str | None:
    username = message.attributes.get("USERNAME")
    return username.partition(":")[2] or username if isinstance(username, str) else None


class UdpListener(asyncio.DatagramProtocol):
    def __init__(self, relay: TurnRelay) -> None:
        self._relay = relay
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        key = ("udp", (addr[0], addr[1]))
        allocation = self._relay.allocations.get(key)
        link = allocation.client if allocation is not None else self._link(addr)
        self._relay.received(data, link)

    def _link(self, addr: tuple[str, int]) -> ClientLink:
        transport = self._transport
        return ClientLink((addr[0], addr[1]), lambda data: transport.sendto(data, addr) if transport else None)

    def error_received(self, exc: Exception) -> None:
        """A client went away (ICMP port unreachable): its allocation expires or is deleted."""


class TcpConnection(TurnStreamMixin, asyncio.Protocol):
    """One client's TCP connection: STUN messages and padded ChannelData, framed by aioice."""

    transport: asyncio.Transport

    def __init__(self, relay: TurnRelay) -> None:
        self._relay = relay
        self.link: TcpClientLink | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if len(self._relay._tcp_links) >= MAX_TCP_CONNECTIONS:
            transport.close()
            return
        peer = transport.get_extra_info("peername")
        self.link = TcpClientLink((peer[0], peer[1]), self.transport.write)
        self._relay._tcp_links.add(self)
        self._relay.record("TCP OPEN", self.link)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.link is not None:
            self._relay.received(data, self.link)

    def connection_lost(self, exc: Exception | None) -> None:
        self._relay._tcp_links.discard(self)
        if self.link is not None:
            self._relay.record("TCP CLOSE", self.link, error=str(exc) if exc else None)
            self._relay.link_closed(self.link)
