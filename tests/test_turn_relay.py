"""The platform's TURN relay (RFC 8656): allocations over UDP and TCP, the platform's time-limited
credentials and their refusals, and calls of both products relaying their media through it."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol, create_turn_endpoint, make_integrity_key

from fake_platform import Platform
from fake_platform.turn.models import TurnService


class Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queue.put_nowait((data, addr))

    async def next(self) -> tuple[bytes, tuple[str, int]]:
        return await asyncio.wait_for(self.queue.get(), 3)


async def udp_socket() -> tuple[asyncio.DatagramTransport, Inbox]:
    return await asyncio.get_running_loop().create_datagram_endpoint(Inbox, local_addr=("127.0.0.1", 0))


class RawClient:
    """Hand-made STUN requests from one UDP 5-tuple, to reach the refusals aioice's client avoids."""

    def __init__(self, platform: Platform, transport: asyncio.DatagramTransport, inbox: Inbox) -> None:
        self.server = ("127.0.0.1", platform.relay.port)
        self.transport, self.inbox = transport, inbox
        self.realm, self.nonce = platform.state.turn.realm, platform.state.turn.nonce()

    async def request(self, method: stun.Method, attributes: dict[str, Any], *, username: str | None = None,
                      password: str | None = None, nonce: bytes | None = None, raw_extra: bytes = b"") -> stun.Message:
        """Send a request (signed when given credentials; ``raw_extra``: an attribute aioice's codec
        cannot write) and parse the answer."""
        message = stun.Message(method, stun.Class.REQUEST, attributes=dict(attributes))
        if username is not None:
            message.attributes.update(USERNAME=username, REALM=self.realm, NONCE=nonce or self.nonce)
        data = bytes(message) + raw_extra
        data = stun.set_body_length(data, len(data) - stun.HEADER_LENGTH)
        if username is not None and password is not None:
            integrity = stun.message_integrity(data, make_integrity_key(username, self.realm, password))
            data = stun.set_body_length(data, len(data) - stun.HEADER_LENGTH + stun.INTEGRITY_LENGTH)
            data += struct.pack("!HH", 0x0008, len(integrity)) + integrity
        self.transport.sendto(data, self.server)
        response, _ = await self.inbox.next()
        return stun.parse_message(response)


@pytest.fixture
async def raw(platform: Platform) -> Any:
    transport, inbox = await udp_socket()
    yield RawClient(platform, transport, inbox)
    transport.close()


UDP_TRANSPORT = {"REQUESTED-TRANSPORT": 0x11000000}


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_platform_credentials_allocate_and_relay_both_ways(platform: Platform, transport: str) -> None:
    creds = platform.state.turn.credentials("alice@example.com")
    relay, inbox = await create_turn_endpoint(Inbox, ("127.0.0.1", platform.relay.port), creds["username"],
                                              creds["password"], transport=transport)
    peer, peer_inbox = await udp_socket()
    relayed = relay.get_extra_info("sockname")
    relay.sendto(b"to the peer", peer.get_extra_info("sockname"))
    assert await peer_inbox.next() == (b"to the peer", relayed)
    peer.sendto(b"to the client", relayed)
    assert (await inbox.next())[0] == b"to the client"
    [allocation] = platform.relay.dump()["allocations"]
    assert allocation["user"] == "alice@example.com" and allocation["transport"] == transport
    assert (allocation["packets_in"], allocation["packets_out"]) == (1, 1)
    relay.close()  # aioice deletes the allocation (Refresh with LIFETIME 0)
    peer.close()
    await platform.relay.wait_until(lambda relay: not relay.allocations)


async def test_the_credentials_the_platform_hands_out_name_the_relay(make_cpaas: Any, make_link: Any,
                                                                      platform: Platform) -> None:
    assert platform.relay.urls == [f"turn:127.0.0.1:{platform.relay.port}?transport=udp",
                                   f"turn:127.0.0.1:{platform.relay.port}?transport=tcp"]
    alice = await make_cpaas(services=["call"], call={"iceServers": [{"urls": platform.turn_url()}]})
    assert alice.turn_credentials["urls"] == platform.relay.urls  # CPaaS POST .../turn
    bob = await make_link(await platform.users.create(), connect=True)
    assert bob.turn_credentials["urls"] == platform.relay.urls  # Link subscription response
    for creds in (alice.turn_credentials, bob.turn_credentials):
        assert platform.state.turn.valid(creds["username"], creds["password"])


def _tamper(creds: dict[str, Any], case: str, platform: Platform) -> tuple[str, str]:
    username, password = creds["username"], creds["password"]
    if case == "expired":
        old = platform.state.turn.credentials("alice@example.com", ttl=-60)
        return old["username"], old["password"]
    if case == "tampered password":
        return username, password[:-2] + ("A=" if password[-2] != "A" else "B=")
    if case == "tampered username":  # a later expiry, the same password: the HMAC no longer matches
        expiry, _, user = username.partition(":")
        return f"{int(expiry) + 3600}:{user}", password
    foreign = TurnService("another platform's secret", platform.state.clock).credentials("alice@example.com")
    return foreign["username"], foreign["password"]


@pytest.mark.parametrize("case", ["expired", "tampered password", "tampered username", "foreign"])
async def test_credentials_the_platform_did_not_mint_are_refused_with_401(platform: Platform, raw: RawClient,
                                                                        case: str) -> None:
    username, password = _tamper(platform.state.turn.credentials("alice@example.com"), case, platform)
    response = await raw.request(stun.Method.ALLOCATE, UDP_TRANSPORT, username=username, password=password)
    assert response.message_class == stun.Class.ERROR and response.error_code == 401
    assert response.attributes["REALM"] == platform.state.turn.realm and "NONCE" in response.attributes
    assert "MESSAGE-INTEGRITY" not in response.attributes  # nothing to sign it with
    assert not platform.relay.allocations
    with pytest.raises(stun.TransactionFailed, match="401"):  # aioice's client gives up the same way
        await create_turn_endpoint(Inbox, raw.server, username, password)
    assert platform.relay.refusals[401] >= 2


async def test_a_stale_nonce_gets_438_then_a_fresh_nonce_works(platform: Platform, raw: RawClient) -> None:
    creds = platform.state.turn.credentials("alice@example.com")
    platform.state.turn.nonce_lifetime = -1  # mint one that has already expired
    stale = platform.state.turn.nonce()
    platform.state.turn.nonce_lifetime = 600
    response = await raw.request(stun.Method.ALLOCATE, UDP_TRANSPORT, username=creds["username"],
                                 password=creds["password"], nonce=stale)
    assert response.error_code == 438 and response.attributes["NONCE"] != stale
    fresh = response.attributes["NONCE"]
    response = await raw.request(stun.Method.ALLOCATE, UDP_TRANSPORT, username=creds["username"],
                                 password=creds["password"], nonce=fresh)
    assert response.message_class == stun.Class.RESPONSE
    assert response.check_message_integrity(make_integrity_key(creds["username"], raw.realm, creds["password"]))
    assert response.attributes["XOR-RELAYED-ADDRESS"][0] == "127.0.0.1" and response.attributes["LIFETIME"] == 600


async def test_other_valid_credentials_on_an_allocation_get_441(platform: Platform) -> None:
    alice = platform.state.turn.credentials("alice@example.com")
    bob = platform.state.turn.credentials("bob@example.com")
    server = ("127.0.0.1", platform.relay.port)
    transport, client = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(server, alice["username"], alice["password"], 600, 500), remote_addr=server)
    try:
        await client.connect()
        client.username, client.password = bob["username"], bob["password"]
        client.integrity_key = make_integrity_key(bob["username"], client.realm, bob["password"])
        refresh = stun.Message(stun.Method.REFRESH, stun.Class.REQUEST, attributes={"LIFETIME": 600})
        with pytest.raises(stun.TransactionFailed) as failed:
            await client.request(refresh)
        assert failed.value.response.error_code == 441
        [allocation] = platform.relay.allocations.values()
        assert allocation.user == "alice@example.com"  # untouched
    finally:
        if client.refresh_task:
            client.refresh_task.cancel()
        transport.close()


async def test_requests_the_relay_cannot_serve_get_their_rfc_error_codes(platform: Platform, raw: RawClient) -> None:
    creds = platform.state.turn.credentials("alice@example.com")
    auth = {"username": creds["username"], "password": creds["password"]}
    permission = {"XOR-PEER-ADDRESS": ("127.0.0.1", 9)}
    assert (await raw.request(stun.Method.REFRESH, {}, **auth)).error_code == 437  # no allocation yet
    assert (await raw.request(stun.Method.CREATE_PERMISSION, permission, **auth)).error_code == 437
    assert (await raw.request(stun.Method.ALLOCATE, {}, **auth)).error_code == 400  # no REQUESTED-TRANSPORT
    assert (await raw.request(stun.Method.ALLOCATE, {"REQUESTED-TRANSPORT": 0x06000000}, **auth)).error_code == 442
    even_port = struct.pack("!HHB3x", 0x0018, 1, 0x80)  # EVEN-PORT: a reservation we do not make
    unknown = await raw.request(stun.Method.ALLOCATE, UDP_TRANSPORT, raw_extra=even_port, **auth)
    assert unknown.error_code == 420 and unknown.attributes["UNKNOWN-ATTRIBUTES"] == [0x0018]
    ipv6 = await raw.request(stun.Method.ALLOCATE, {**UDP_TRANSPORT, "REQUESTED-ADDRESS-FAMILY": 0x02}, **auth)
    assert ipv6.error_code == 440
    assert (await raw.request(stun.Method.ALLOCATE, UDP_TRANSPORT, **auth)).message_class == stun.Class.RESPONSE
    again = await raw.request(stun.Method.ALLOCATE, UDP_TRANSPORT, **auth)  # a new transaction, same 5-tuple
    assert again.error_code == 437
    outside = await raw.request(stun.Method.CREATE_PERMISSION, {"XOR-PEER-ADDRESS": ("192.0.2.7", 5000)}, **auth)
    assert outside.error_code == 403  # the emulator is not an open relay
    bad_channel = await raw.request(stun.Method.CHANNEL_BIND, {"CHANNEL-NUMBER": 0x1234, **permission}, **auth)
    assert bad_channel.error_code == 400
    assert (await raw.request(stun.Method.CREATE_PERMISSION, permission, **auth)).message_class == stun.Class.RESPONSE
    assert (await raw.request(stun.Method.REFRESH, {"LIFETIME": 0}, **auth)).attributes["LIFETIME"] == 0
    assert not platform.relay.allocations
    assert {code: platform.relay.refusals[code] for code in (400, 403, 420, 437, 440, 442)} == \
        {400: 2, 403: 1, 420: 1, 437: 3, 440: 1, 442: 1}


async def test_garbage_is_ignored_and_binding_requests_are_answered(platform: Platform, raw: RawClient) -> None:
    for junk in (b"", b"\x00", b"\x40\x00\xff\xff", b"\x00\x01\x00\x08" + bytes(16), bytes(range(256)) * 3):
        raw.transport.sendto(junk, raw.server)
    response = await raw.request(stun.Method.BINDING, {})
    assert response.attributes["XOR-MAPPED-ADDRESS"] == raw.transport.get_extra_info("sockname")


async def test_a_platform_reset_drops_the_allocations(platform: Platform) -> None:
    creds = platform.state.turn.credentials("alice@example.com")
    relay, _ = await create_turn_endpoint(Inbox, ("127.0.0.1", platform.relay.port), creds["username"],
                                          creds["password"])
    assert len(platform.relay.allocations) == 1
    await platform.reset()
    platform.relay.sweep(asyncio.get_running_loop().time())
    assert not platform.relay.allocations
    assert not platform.state.turn.valid(creds["username"], creds["password"])  # a new secret
    relay.close()


async def test_calls_of_both_products_relay_their_media_through_the_platform(make_cpaas: Any, make_link: Any,
                                                                           platform: Platform) -> None:
    codecs = {"codecs": ["PCMU"]}
    alice = await make_cpaas(services=["call"], relay="udp", runtime=codecs)
    bob_user = await platform.users.create()
    bob = await make_link(bob_user, connect=True, relay="tcp", runtime=codecs)
    call_id = alice.call.make(bob_user.user_id, {"audio": True})
    incoming = await bob.recorder.wait("call:receive")
    await bob.recorder.wait("call:stateChange", lambda p: bob.call.getById(incoming["callId"])["state"] == "Ringing")
    bob.call.answer(incoming["callId"], {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Connected")
    for client, cid in ((alice, call_id), (bob, incoming["callId"])):
        client.media.renderTracks(client.call.getById(cid)["remoteTracks"], "#far-end")
        heard = client.media.getContainer("#far-end")
        await heard.wait_until(lambda c: c.frames >= 25 and any(t.level_at(440) > 0.5 for t in c.audio()))
        sdp = client.call.engine.get(cid).peer.pc.localDescription.sdp
        assert "typ relay" in sdp and "typ host" not in sdp  # iceTransportPolicy 'relay'
        stats = await client.call.getStats(cid)
        pair = next(s for s in stats.values() if s["type"] == "candidate-pair" and s["nominated"])
        assert stats[pair["localCandidateId"]]["candidateType"] == "relay"
    allocations = {a["user"]: a for a in platform.relay.dump()["allocations"]}
    assert allocations[alice.account.user_id]["transport"] == "udp"
    assert allocations[bob_user.user_id]["transport"] == "tcp"
    assert all(a["packets_in"] > 20 and a["packets_out"] > 20 for a in allocations.values())
    await alice.call.end(call_id)
