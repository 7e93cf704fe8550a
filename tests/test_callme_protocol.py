"""Platform behaviour that the official CallMe SDKs (4.x and 5.x) rely on, checked over raw HTTP.

See tests/interop/README.md for the differences between the documented 4.x protocol and 5.5.0's.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from fake_platform import Platform

OFFER = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
         "c=IN IP4 127.0.0.1\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:0 PCMU/8000\r\n")


async def _anonymous_call(session: aiohttp.ClientSession, platform: Platform, callee: str) -> tuple[str, str]:
    """Subscribe anonymously to call ``callee`` and start the call: (account base path, session id)."""
    base = f"{platform.url}/rest/version/1/anonymous/{callee}"
    subscribe = {"subscribeRequest": {"expires": 3600, "service": ["callMe"], "notificationType": "WebSocket"}}
    async with session.post(f"{base}/subscription", json=subscribe) as resp:
        assert resp.status == 200
        channel = (await resp.json())["subscribeResponse"]["subscriptionParams"]["notificationChannel"]
    start = {"callMeRequest": {"type": "callStart", "to": f"sip:{callee}", "from": "sip:carol@example.com",
                               "sdp": OFFER, "notifyChannelId": channel.rsplit("/", 1)[1]}}
    async with session.post(f"{base}/callMe", json=start) as resp:
        assert resp.status == 200
        return base, (await resp.json())["callMeResponse"]["sessionData"]


async def test_callees_are_invited_as_soon_as_the_callme_caller_audits_its_new_session(
        platform: Platform, make_cpaas: Any) -> None:
    """CallMe 5.x audits a call the moment it is Initiated: that request shows it knows the session id,
    so the callees need not wait for the settle time (here made far longer than the test)."""
    platform.timings.link_caller_settle = 60.0
    bob = await make_cpaas(services=["call"])
    async with aiohttp.ClientSession() as session:
        base, session_id = await _anonymous_call(session, platform, bob.account.user_id)
        assert not bob.recorder.of("call:receive")
        async with session.put(f"{base}/callMe/callSessions/{session_id}",
                               json={"callMeRequest": {"type": "audit"}}) as resp:
            assert resp.status == 200
        await bob.recorder.wait("call:receive", timeout=5)


async def test_callees_are_invited_after_the_settle_time_when_the_caller_stays_quiet(
        platform: Platform, make_cpaas: Any) -> None:
    """CallMe 4.x sends nothing on its session before it is answered: the settle time applies."""
    platform.timings.link_caller_settle = 0.3
    bob = await make_cpaas(services=["call"])
    async with aiohttp.ClientSession() as session:
        await _anonymous_call(session, platform, bob.account.user_id)
        assert not bob.recorder.of("call:receive")
        await bob.recorder.wait("call:receive", timeout=5)


async def test_refreshing_a_subscription_that_is_gone_answers_status_code_39(platform: Platform) -> None:
    """4.41+ and 5.x treat a 404 with statusCode 39 on refresh as "subscription gone"; DELETE keeps 47."""
    bob = await platform.users.create()
    base = f"{platform.url}/rest/version/1/anonymous/{bob.user_id}/subscription/sub-none"
    refresh = {"subscribeRequest": {"expires": 3600, "service": ["callMe"], "notificationType": "WebSocket"}}
    async with aiohttp.ClientSession() as session:
        async with session.put(base, json=refresh) as resp:
            assert resp.status == 404
            assert (await resp.json())["subscribeResponse"]["statusCode"] == 39
        async with session.delete(base) as resp:
            assert resp.status == 404
            assert (await resp.json())["subscribeResponse"]["statusCode"] == 47
