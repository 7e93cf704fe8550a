"""Scenario 3: calls between the official CPaaS SDK (in Chromium) and our Python SDK, both ways.

Both sides reach Connected; media flows both ways (the browser's inbound-rtp packets and audio
energy; our container hears the browser's fake-microphone tone); hold, unhold and end from either
side, each checked on both sides.
"""

from __future__ import annotations

from typing import Any

import pytest

from fake_platform import Platform

from .browser import BROWSER_TONE_HZ, Browser, BrowserApp
from .official_cpaas import open_cpaas
from .python_side import CALL_TIMEOUT, wait_our_call, wait_we_hear


async def _media_flows_both_ways(app: BrowserApp, app_call: str, client: Any, call_id: str) -> None:
    # The app plays the remote audio (the SDK renders it into an element), and the browser receives
    # ours: packets, and non-zero energy in its inbound-rtp stats (decoded audio, not silence).
    await app.js("""id => client.media.renderTracks(
        client.call.getById(id).remoteTracks.filter(t => client.media.getTrackById(t).kind === 'audio'), '#remote')""",
        app_call)
    await app.wait_inbound(await app.wait_inbound(1) + 50)
    energy = await app.wait_until("() => harness.inboundAudioEnergy().then(e => e > 0 && e)")
    assert energy > 0
    # We receive the browser's fake microphone: its tone, in the container we render into.
    await wait_we_hear(client, call_id, BROWSER_TONE_HZ)


async def _we_hold_and_unhold(app: BrowserApp, app_call: str, client: Any, call_id: str) -> None:
    """Our side holds and unholds; the official SDK sees the remote hold come and go."""
    await client.call.hold(call_id)
    await wait_our_call(client, call_id, "On Hold", localHold=True)
    await app.wait_call(app_call, "On Hold", remoteHold=True)
    await client.call.unhold(call_id)
    await wait_our_call(client, call_id, "Connected", localHold=False)
    await app.wait_call(app_call, "Connected", remoteHold=False)


async def test_official_sdk_calls_python_sdk(platform: Platform, browser: Browser, make_cpaas: Any) -> None:
    bob = await make_cpaas(services=["call"])
    alice_user = await platform.users.create()
    alice = await open_cpaas(browser, platform, alice_user, ["call"])

    alice_call = await alice.js("to => client.call.make(to, {audio: true, video: false})", bob.account.user_id)
    await alice.wait_event("call:start", lambda p: p["callId"] == alice_call)
    received = await bob.recorder.wait("call:receive", timeout=CALL_TIMEOUT)
    bob_call = received["callId"]
    assert bob.call.getById(bob_call)["remoteParticipant"]["displayNumber"].startswith(alice_user.user_id.split("@")[0])
    await wait_our_call(bob, bob_call, "Ringing")
    await bob.call.answer(bob_call, {"audio": True})
    await alice.wait_call(alice_call, "Connected")
    await wait_our_call(bob, bob_call, "Connected")
    await alice.wait_event("call:newTrack", lambda p: p["callId"] == alice_call and not p.get("local", True))
    await _media_flows_both_ways(alice, alice_call, bob, bob_call)

    # Hold and unhold from the browser, then from our side; end from our side.
    await alice.js("id => client.call.hold(id)", alice_call)
    await alice.wait_call(alice_call, "On Hold", localHold=True)
    await wait_our_call(bob, bob_call, "On Hold", remoteHold=True)
    await alice.js("id => client.call.unhold(id)", alice_call)
    await alice.wait_call(alice_call, "Connected", localHold=False)
    await wait_our_call(bob, bob_call, "Connected", remoteHold=False)
    # Our side re-offers on a session the browser's offer numbered (codecs, header extensions).
    await _we_hold_and_unhold(alice, alice_call, bob, bob_call)

    await bob.call.end(bob_call)
    await wait_our_call(bob, bob_call, "Ended")
    await alice.wait_call(alice_call, "Ended")


async def test_python_sdk_calls_official_sdk(platform: Platform, browser: Browser, make_cpaas: Any) -> None:
    bob = await make_cpaas(services=["call"])
    alice_user = await platform.users.create()
    alice = await open_cpaas(browser, platform, alice_user, ["call"])

    bob_call = bob.call.make(alice_user.user_id, {"audio": True})
    received = await alice.wait_event("call:receive")
    alice_call = received["payload"]["callId"]
    ringing = await alice.wait_call(alice_call, "Ringing")
    assert ringing["direction"] == "incoming"
    await alice.js("id => client.call.answer(id, {audio: true, video: false})", alice_call)
    await alice.wait_call(alice_call, "Connected")
    await wait_our_call(bob, bob_call, "Connected")
    await _media_flows_both_ways(alice, alice_call, bob, bob_call)

    # Hold and unhold from our side; end from the browser.
    await _we_hold_and_unhold(alice, alice_call, bob, bob_call)

    await alice.js("id => client.call.end(id)", alice_call)
    await alice.wait_call(alice_call, "Ended")
    await wait_our_call(bob, bob_call, "Ended")


async def test_video_flows_both_ways_between_the_official_sdk_and_ours(
        platform: Platform, browser: Browser, make_cpaas: Any) -> None:
    bob = await make_cpaas(services=["call"])
    alice_user = await platform.users.create()
    alice = await open_cpaas(browser, platform, alice_user, ["call"])

    alice_call = await alice.js("to => client.call.make(to, {audio: true, video: true})", bob.account.user_id)
    bob_call = (await bob.recorder.wait("call:receive", timeout=CALL_TIMEOUT))["callId"]
    await wait_our_call(bob, bob_call, "Ringing")
    await bob.call.answer(bob_call, {"audio": True, "video": True})
    await alice.wait_call(alice_call, "Connected")
    await wait_our_call(bob, bob_call, "Connected")

    # The browser receives our camera's video; we receive its fake camera's frames.
    await alice.wait_inbound(await alice.wait_inbound(1, "video") + 30, "video")
    bob.media.renderTracks(bob.call.getById(bob_call)["remoteTracks"], "#remote-video")
    container = bob.media.getContainer("#remote-video")
    await container.wait_until(lambda c: any(r.frames >= 10 and r.width > 0 for r in c.video()),
                               timeout=CALL_TIMEOUT)

    await alice.js("id => client.call.end(id)", alice_call)
    await alice.wait_call(alice_call, "Ended")
    await wait_our_call(bob, bob_call, "Ended")


async def test_the_official_sdk_calls_the_ivr_and_it_hears_the_digits(platform: Platform, browser: Browser) -> None:
    """An app on the official SDK dials the platform's IVR endpoint and sends DTMF; the IVR reports
    the digits it detected, and how they came (RFC 4733 events, which Chrome negotiates)."""
    alice = await open_cpaas(browser, platform, await platform.users.create(), ["call"])
    ivr = f"ivr@{platform.domain}"
    call_id = await alice.js("to => client.call.make(to, {audio: true, video: false})", ivr)
    call = await alice.wait_call(call_id, "Connected")
    await alice.wait_inbound(1)

    await alice.js("id => client.call.sendDTMF(id, '1#23', 200)", call_id)
    heard = await platform.wait_endpoint_digits(call["wrtcsSessionId"], 4, timeout=CALL_TIMEOUT)
    assert heard == "1#23"
    assert platform.endpoint_calls(call["wrtcsSessionId"])[0]["dtmfMode"] == "rfc4733"
    await alice.js("id => client.call.end(id)", call_id)
    await alice.wait_call(call_id, "Ended")


ENDPOINT_TONES = {"echo": BROWSER_TONE_HZ, "+15550100440": 440.0}


@pytest.mark.parametrize("endpoint", ["echo", "+15550100440", "busy", "reject"])
async def test_the_official_sdk_dials_the_scripted_endpoints(platform: Platform, browser: Browser,
                                                             endpoint: str) -> None:
    """Each scripted endpoint behaves for an app on the official SDK as for ours: the echo sends
    the browser's own tone back, a PSTN number plays its tone, busy and reject end the call."""
    alice = await open_cpaas(browser, platform, await platform.users.create(), ["call"])
    address = endpoint if endpoint.startswith("+") else f"{endpoint}@{platform.domain}"
    call_id = await alice.js("to => client.call.make(to, {audio: true, video: false})", address)
    if endpoint in ("busy", "reject"):
        await alice.wait_call(call_id, "Ended")
        states = [e["payload"]["previous"]["state"] for e in await alice.events("call:stateChange")
                  if e["payload"]["callId"] == call_id]
        assert "Connected" not in states, states
        return
    await alice.wait_call(call_id, "Connected")
    await alice.wait_hears(ENDPOINT_TONES[endpoint], timeout=CALL_TIMEOUT)
    await alice.js("id => client.call.end(id)", call_id)
    await alice.wait_call(call_id, "Ended")


async def test_the_official_cpaas_sdk_calls_a_link_user_of_our_sdk(platform: Platform, browser: Browser,
                                                                   make_link: Any) -> None:
    """Across products: the platform routes a call from the official CPaaS SDK to a Link user of our
    SDK (Link callControl on the far side), with media both ways."""
    bob = await make_link(await platform.users.create(), connect=True)
    alice = await open_cpaas(browser, platform, await platform.users.create(), ["call"])
    alice_call = await alice.js("to => client.call.make(to, {audio: true, video: false})", bob.account.user_id)
    bob_call = (await bob.recorder.wait("call:receive", timeout=CALL_TIMEOUT))["callId"]
    await wait_our_call(bob, bob_call, "Ringing")
    await bob.call.answer(bob_call, {"audio": True})
    await alice.wait_call(alice_call, "Connected")
    await wait_our_call(bob, bob_call, "Connected")
    await _media_flows_both_ways(alice, alice_call, bob, bob_call)
    await bob.call.end(bob_call)
    await alice.wait_call(alice_call, "Ended")
