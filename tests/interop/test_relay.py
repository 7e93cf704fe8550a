"""The official CPaaS SDK relays its media through the platform's TURN relay.

Its app configures ``call.iceServers`` with the relay's URL (TCP, as Chromium does for
``?transport=tcp``) and forces ``iceTransportPolicy: 'relay'`` (the 4.9.0 SDK has no key for it,
so the page adds it to the SDK's RTCPeerConnection configuration); the SDK fetches the credentials
from the platform (``serverTurnCredentials``). It calls our SDK, which relays too (UDP). Chromium's
getStats shows relay candidates on the selected pair, media flows both ways, and the relay carried
it for both users.
"""

from __future__ import annotations

from typing import Any

from fake_platform import Platform

from .browser import Browser
from .official_cpaas import assert_no_sdk_trouble, open_cpaas
from .python_side import CALL_TIMEOUT, wait_our_call
from .test_cpaas_calls import _media_flows_both_ways


async def test_official_sdk_relays_a_call_through_the_platform(platform: Platform, browser: Browser,
                                                              make_cpaas: Any) -> None:
    bob = await make_cpaas(services=["call"], relay="udp")
    alice_user = await platform.users.create()
    alice = await open_cpaas(browser, platform, alice_user, ["call"],
                             config={"call": {"iceServers": [{"urls": platform.turn_url("tcp")}]}},
                             ice_transport_policy="relay")

    alice_call = await alice.js("to => client.call.make(to, {audio: true, video: false})", bob.account.user_id)
    received = await bob.recorder.wait("call:receive", timeout=CALL_TIMEOUT)
    await wait_our_call(bob, received["callId"], "Ringing")
    await bob.call.answer(received["callId"], {"audio": True})
    await alice.wait_call(alice_call, "Connected")
    await alice.wait_event("call:newTrack", lambda p: p["callId"] == alice_call and not p.get("local", True))
    await _media_flows_both_ways(alice, alice_call, bob, received["callId"])

    offer = platform.journal(kind="http", method="POST", path="/sessions$")[-1]["body"]["wrtcsSession"]["offer"]["sdp"]
    assert "typ relay" in offer and "typ host" not in offer and "typ srflx" not in offer
    [pair] = await alice.js("harness.selectedPairs()")
    assert pair["local"]["candidateType"] == "relay" and pair["local"]["relayProtocol"] == "tcp"
    assert pair["remote"]["candidateType"] == "relay"  # our SDK's relayed address
    allocations = {a["user"]: a for a in platform.relay.dump()["allocations"]}
    assert allocations[alice_user.user_id]["transport"] == "tcp"
    assert allocations[bob.account.user_id]["transport"] == "udp"
    for allocation in allocations.values():
        assert allocation["packets_in"] > 50 and allocation["packets_out"] > 50
    assert_no_sdk_trouble(browser, platform)
    await bob.call.end(received["callId"])
    await alice.wait_call(alice_call, "Ended")
