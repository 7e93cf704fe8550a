"""Scenario 2: the official CallMe SDK (npm ``latest``) places anonymous calls through the platform.

Each call is made token-less and in token mode (realm tokens minted by the platform, as an app
server would), (a) to the echo endpoint, which sends the browser's own microphone back, and (b) to
a CPaaS user of this project's Python SDK, who answers. Both sides must reach Connected, hear each
other, and end. Where 5.5.0 differs from the documented 4.x protocol (docs/callme-5-protocol.md),
a test pins the behaviour the platform has to support.
"""

from __future__ import annotations

from typing import Any

import pytest

from fake_platform import Platform

from .browser import BROWSER_TONE_HZ, Browser, BrowserApp
from .official_callme import (
    call_endpoint,
    expect_unsubscribe,
    make_anonymous,
    open_callme,
    wait_state,
)
from .python_side import wait_our_call, wait_we_hear

OUR_TONE_HZ = 440.0
MODES = ["token-less", "token"]


def _credentials(platform: Platform, mode: str, account: str, caller: str, callee: str) -> dict[str, str]:
    """Empty for a token-less call; the four token-mode credentials otherwise."""
    if mode == "token-less":
        return {}
    return platform.callme_credentials(account, f"sip:{caller}", f"sip:{callee}")


def _sessions(platform: Platform, method: str, suffix: str) -> list[dict[str, Any]]:
    return [e for e in platform.journal(kind="http", method=method)
            if "/anonymous/" in e["path"] and suffix in e["path"]]


def _assert_torn_down(platform: Platform) -> None:
    """No anonymous subscription is left and every CallMe notification channel was closed."""
    assert not [s for s in platform.dump()["linkSubscriptions"] if s["mode"] == "anonymous"]
    opened = {e["channel"] for e in platform.journal(kind="ws-open") if "/anonymous/" in e["path"]}
    closed = {e["channel"] for e in platform.journal(kind="ws-close")}
    assert opened and opened <= closed, (opened, closed)


async def _states(app: BrowserApp, call_id: str) -> list[str]:
    """The call's states after each of its ``call:stateChange`` events so far."""
    return [e["callState"] for e in await app.events("call:stateChange") if e["payload"]["callId"] == call_id]


@pytest.mark.parametrize("mode", MODES)
async def test_official_callme_calls_the_echo_endpoint_and_hears_itself(
        platform: Platform, browser: Browser, mode: str) -> None:
    domain = platform.domain
    echo, carol = f"echo@{domain}", f"carol@{domain}"
    app = await open_callme(browser, platform, "carol")

    call_id = await make_anonymous(app, echo, _credentials(platform, mode, echo, carol, echo),
                                   {"from": carol, "displayName": "Carol", "audio": True})
    started = await app.wait_event("call:start", lambda p: p["callId"] == call_id)
    assert not started["payload"].get("error"), started
    call = await wait_state(app, call_id, "Connected")
    assert call["direction"] == "outgoing" and call["remoteParticipant"]["displayNumber"] == echo, call
    assert await _states(app, call_id) == ["Initiated", "Ringing", "Connected"]
    operations = [(e["payload"]["operation"], e["payload"]["transition"]) for e in await app.events("call:operation")
                  if e["payload"]["callId"] == call_id]
    assert operations[:3] == [("MAKE", "START"), ("MAKE", "UPDATE"), ("MAKE", "FINISH")], operations
    await app.wait_event("call:tracksAdded", lambda p: p["callId"] == call_id and any(
        t in call["remoteTracks"] for t in p["trackIds"]))

    # 5.x audits a call from the moment it is Initiated (4.x only once it is established).
    audits = [e for e in _sessions(platform, "PUT", "/callSessions/")
              if (e.get("body") or {}).get("callMeRequest", {}).get("type") == "audit"]
    assert audits and all(e["status"] == 200 for e in audits), audits

    await app.wait_inbound(50)
    await app.wait_hears(BROWSER_TONE_HZ)  # the echo endpoint returns the browser's own 660 Hz

    since = await app.mark()
    async with expect_unsubscribe(app) as unsubscribed:
        await app.js("id => client.call.end(id)", call_id)
        await wait_state(app, call_id, "Ended")
    assert (await unsubscribed.value).status == 200
    await app.wait_event("call:operation", lambda p: p["operation"] == "END" and p["transition"] == "FINISH",
                         since=since)
    assert [e["status"] for e in _sessions(platform, "DELETE", "/callSessions/")] == [204]
    endpoint_legs = platform.endpoint_calls()
    assert [leg["state"] for leg in endpoint_legs] == ["ended"], endpoint_legs
    _assert_torn_down(platform)
    if mode == "token":  # every request of a token-mode call names the realm
        realms = [(e["path"], (e.get("detail") or {}).get("query", {}).get("tokenrealm"))
                  for e in platform.journal(kind="http") if "/anonymous/" in e["path"]]
        assert realms and all(realm == platform.realm for _, realm in realms), realms


async def test_a_call_the_platform_refuses_ends_with_its_status_code_and_the_sdk_unsubscribes(
        platform: Platform, browser: Browser) -> None:
    """Token mode lets the account (valid) and the callee (nobody) differ: the subscription succeeds,
    callStart gets a 404 with statusCode 47, and 5.x then tears its subscription down (4.21 kept it)."""
    domain = platform.domain
    carol, nobody = f"carol@{domain}", f"nobody@{domain}"
    app = await open_callme(browser, platform, "carol")
    async with expect_unsubscribe(app) as unsubscribed:
        call_id = await make_anonymous(app, nobody, _credentials(platform, "token", f"echo@{domain}", carol, nobody),
                                       {"from": carol, "audio": True})
        await wait_state(app, call_id, "Ended")
    assert (await unsubscribed.value).status == 200
    ended = await app.wait_event("call:stateChange", lambda p: p["callId"] == call_id)
    assert ended["payload"]["error"]["code"] == 47 and ended["payload"]["previous"]["state"] == "Initiating", ended
    assert [e["status"] for e in _sessions(platform, "POST", "/callMe")] == [404]
    _assert_torn_down(platform)


@pytest.mark.parametrize("mode", MODES)
async def test_official_callme_calls_a_cpaas_user_of_our_sdk_who_answers(
        platform: Platform, browser: Browser, make_cpaas: Any, mode: str) -> None:
    domain = platform.domain
    carol = f"carol@{domain}"
    bob = await make_cpaas(services=["call"], runtime={
        "codecs": ["PCMU"],
        "devices": {"microphone": [{"deviceId": "mic-bob", "label": "Bob's microphone", "frequency": OUR_TONE_HZ}]}})
    bob_id = bob.account.user_id
    app = await open_callme(browser, platform, "carol")

    call_id = await make_anonymous(app, bob_id, _credentials(platform, mode, bob_id, carol, bob_id),
                                   {"from": carol, "displayName": "Carol", "audio": True})
    incoming = await bob.recorder.wait("call:receive", timeout=15)
    bob_call = incoming["callId"]
    await wait_our_call(bob, bob_call, "Ringing")
    received = bob.call.getById(bob_call)
    assert received["direction"] == "incoming"
    assert received["remoteParticipant"]["displayNumber"] == carol, received
    await wait_state(app, call_id, "Ringing")

    await bob.call.answer(bob_call, {"audio": True})
    await wait_our_call(bob, bob_call, "Connected")
    call = await wait_state(app, call_id, "Connected")
    assert await _states(app, call_id) == ["Initiated", "Ringing", "Connected"]
    assert call["remoteParticipant"]["displayNumber"] == bob_id, call

    # Media both ways: the browser receives Bob's RTP and hears his tone; Bob hears the browser's.
    await app.wait_inbound(50)
    await app.wait_hears(OUR_TONE_HZ)
    await wait_we_hear(bob, bob_call, BROWSER_TONE_HZ)

    since = await app.mark()
    async with expect_unsubscribe(app) as unsubscribed:
        if mode == "token-less":  # the browser hangs up
            await app.js("id => client.call.end(id)", call_id)
        else:  # Bob hangs up: the browser is told with a callEnd notification
            await bob.call.end(bob_call)
        await wait_state(app, call_id, "Ended")
        await wait_our_call(bob, bob_call, "Ended")
    assert (await unsubscribed.value).status == 200
    ended = await app.wait_event("call:stateChange", lambda p: p["callId"] == call_id, since=since)
    assert ended["callState"] == "Ended" and ended["payload"]["previous"]["state"] == "Connected", ended
    if mode == "token":
        assert ended["payload"]["transition"]["statusCode"] == 200, ended  # hung up by the remote side
    _assert_torn_down(platform)
    assert [s["state"] for s in platform.dump()["calls"]] == ["ended"]


async def _call_answered_by_us(platform: Platform, browser: Browser,
                               make_cpaas: Any) -> tuple[BrowserApp, str, Any, str]:
    """A token-less CallMe call from the browser to a CPaaS user of our SDK who answers:
    ``(app, its call id, our client, our call id)``, both sides Connected."""
    domain = platform.domain
    bob = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]})
    app = await open_callme(browser, platform, "carol")
    call_id = await make_anonymous(app, bob.account.user_id, {}, {"from": f"carol@{domain}", "audio": True})
    bob_call = (await bob.recorder.wait("call:receive", timeout=15))["callId"]
    await wait_our_call(bob, bob_call, "Ringing")
    await bob.call.answer(bob_call, {"audio": True})
    await wait_state(app, call_id, "Connected")
    await wait_our_call(bob, bob_call, "Connected")
    return app, call_id, bob, bob_call


async def test_a_dropped_callme_websocket_is_reopened_at_once_on_the_same_channel(
        platform: Platform, browser: Browser, make_cpaas: Any) -> None:
    """5.x reconnects as soon as its socket closes abnormally (4.21 only noticed at its next 30 s
    keepalive): the platform lets it re-attach to the same channel, and the call's end still arrives."""
    app, call_id, bob, bob_call = await _call_answered_by_us(platform, browser, make_cpaas)

    channel = next(s["channel"] for s in platform.dump()["linkSubscriptions"] if s["mode"] == "anonymous")
    since = await app.mark()
    assert await platform.drop_sockets(code=1011, channel=channel) == 1
    # ws:change for the reconnect attempt, then for the socket open again
    await app.wait_until("n => harness.events.slice(n).filter(e => e.type === 'ws:change').length >= 2", since)
    assert (await app.js("client.connection.getSocketState('link')"))["connected"] is True
    opened = [e for e in platform.journal(kind="ws-open") if e["channel"] == channel]
    assert len(opened) == 2 and opened[0]["path"] == opened[1]["path"], opened

    async with expect_unsubscribe(app) as unsubscribed:
        await bob.call.end(bob_call)
        await wait_state(app, call_id, "Ended")
    assert (await unsubscribed.value).status == 200
    _assert_torn_down(platform)


async def test_hold_and_unhold_cross_between_callme_and_our_sdk(
        platform: Platform, browser: Browser, make_cpaas: Any) -> None:
    """Mid-call re-offers both ways: the browser holds and unholds, then our side does; each side
    sees its own local hold and the other's remote hold, and media flows again after each unhold."""
    app, call_id, bob, bob_call = await _call_answered_by_us(platform, browser, make_cpaas)

    await app.js("id => client.call.hold(id)", call_id)
    await app.wait_call(call_id, "On Hold", localHold=True, remoteHold=False)
    await wait_our_call(bob, bob_call, "On Hold")
    assert bob.call.getById(bob_call)["remoteHold"] is True
    await app.js("id => client.call.unhold(id)", call_id)
    await app.wait_call(call_id, "Connected", localHold=False)
    await wait_our_call(bob, bob_call, "Connected")
    await wait_we_hear(bob, bob_call, BROWSER_TONE_HZ)

    await bob.call.hold(bob_call)
    await app.wait_call(call_id, "On Hold", localHold=False, remoteHold=True)
    assert bob.call.getById(bob_call)["localHold"] is True
    before = await app.wait_inbound(1)
    await bob.call.unhold(bob_call)
    await app.wait_call(call_id, "Connected", remoteHold=False)
    await app.wait_inbound(before + 50)

    async with expect_unsubscribe(app) as unsubscribed:
        await app.js("id => client.call.end(id)", call_id)
        await wait_state(app, call_id, "Ended")
        await wait_our_call(bob, bob_call, "Ended")
    assert (await unsubscribed.value).status == 200


async def test_official_callme_sends_dtmf_to_the_ivr(platform: Platform, browser: Browser) -> None:
    """A CallMe app dials the platform's IVR and sends digits; the IVR reports what it detected."""
    app = await open_callme(browser, platform, "carol")
    call_id, session = await call_endpoint(app, platform, "ivr", "carol")
    # Chromium can insert DTMF only once its DTLS transport is up, which the SDK's "Connected" (a
    # signalling state) does not wait for: media arriving shows it is.
    await app.wait_inbound(1)
    await app.js("id => client.call.sendDTMF(id, '9*0', 200)", call_id)
    assert await platform.wait_endpoint_digits(session, 3, timeout=15) == "9*0"
    assert platform.endpoint_calls(session)[0]["dtmfMode"] == "rfc4733"  # Chrome negotiates telephone-event
    async with expect_unsubscribe(app):
        await app.js("id => client.call.end(id)", call_id)
        await wait_state(app, call_id, "Ended")
