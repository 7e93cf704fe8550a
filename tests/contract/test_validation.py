"""Validation on the fly: a client's violation is answered as the platform would; the platform's
own violation fails the test (``Platform.stop`` raises)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.contract import ContractViolation


async def _json(resp: aiohttp.ClientResponse) -> Any:
    return json.loads(await resp.text())


@pytest.mark.platform(contract=True)
async def test_a_client_violation_gets_the_front_doors_error_body_and_is_journaled(platform: Platform) -> None:
    alice = await platform.users.create()
    tokens = await platform.tokens_for(alice)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = platform.url
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/cpaas/webrtcsignaling/v1/{alice.user_id}/sessions", headers=auth,
                             json={"wrtcsSession": {"tParticipantAddress": 5}}) as resp:
            cpaas = resp.status, await _json(resp)
        async with http.post(f"{url}/rest/version/1/user/{alice.user_id}/subscription",
                             headers={"Authorization": aiohttp.encode_basic_auth(alice.user_id, alice.password)},
                             json={"subscribeRequest": {"service": "call"}}) as resp:
            link = resp.status, await _json(resp)
        async with http.post(f"{url}/cpaas/auth/v1/token", data={"client_id": "x"}) as resp:
            oauth = resp.status, await _json(resp)
        async with http.post(f"{url}/_platform/users", json={"count": "two"}) as resp:
            control = resp.status, await _json(resp)
        # Without credentials a CPaaS handler refuses first, as it always did: the body is not judged.
        async with http.post(f"{url}/cpaas/webrtcsignaling/v1/{alice.user_id}/sessions",
                             json={"wrtcsSession": {"tParticipantAddress": 5}}) as resp:
            unauthenticated = resp.status
    assert cpaas == (400, {"requestError": {"serviceException": {
        "messageId": "SVC0002", "text": "Invalid input value for message part %1",
        "variables": ["wrtcsSession.tParticipantAddress: 5 is not of type 'string'"]}}})
    assert link[0] == 400 and link[1]["subscribeResponse"]["statusCode"] == 5
    assert "subscribeRequest.service" in link[1]["subscribeResponse"]["reason"]
    assert oauth == (400, {"error": "invalid_request",
                           "error_description": "(root): 'grant_type' is a required property"})
    assert control[0] == 400 and control[1]["error"]["kind"] == "invalid"
    assert unauthenticated == 401
    journaled = [e["detail"] for e in platform.journal(kind="contract")]
    assert [(d["side"], d["where"]) for d in journaled] == [
        ("client", "POST /cpaas/webrtcsignaling/{ver}/{user}/sessions"),
        ("client", "POST /rest/version/{ver}/user/{account}/subscription"),
        ("client", "POST /cpaas/auth/v1/token"),
        ("client", "POST /_platform/users"),
    ]
    assert platform.state.contract is not None and platform.state.contract.counts["platform"] == 0


async def _started_on_purpose() -> Platform:
    """A platform whose violations are made on purpose: kept out of the run's drift report."""
    platform = Platform(contract=True)
    assert platform.state.contract is not None
    platform.state.contract.reported = False
    return await platform.start()


async def test_a_response_off_contract_fails_the_test_at_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_platform.channels import handlers

    original = handlers._channel_body

    def upper_case_type(*args: Any, **kwargs: Any) -> dict[str, Any]:
        body = original(*args, **kwargs)
        body["notificationChannel"]["channelType"] = "Websockets"  # the 4.9.0 SDK then never closes it
        return body

    monkeypatch.setattr(handlers, "_channel_body", upper_case_type)
    platform = await _started_on_purpose()
    alice = await platform.users.create()
    tokens = await platform.tokens_for(alice)
    async with aiohttp.ClientSession() as http, \
            http.post(f"{platform.url}/cpaas/notificationchannel/v1/{alice.user_id}/channels",
                      headers={"Authorization": f"Bearer {tokens['access_token']}"},
                      json={"notificationChannel": {"channelType": "Websockets"}}) as resp:
        assert resp.status == 201  # the client still gets the answer
    with pytest.raises(ContractViolation, match=r"\[platform response\] POST /cpaas/notificationchannel/"
                                                 r"\{ver\}/\{user\}/channels -> 201.*channelType"):
        await platform.stop()


async def test_an_error_body_off_contract_is_caught_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_platform.core.errors import PlatformError

    def wrong_link_body(self: PlatformError, wrapper: str | None = None) -> dict[str, Any]:
        return {"callControlResponse": {"statusCode": "five"}}  # not an integer, not the route's wrapper

    monkeypatch.setattr(PlatformError, "link_body", wrong_link_body)
    platform = await _started_on_purpose()
    async with aiohttp.ClientSession() as http, \
            http.post(f"{platform.url}/rest/version/1/anonymous/nobody/subscription", json={}) as resp:
        assert resp.status >= 400  # the account is unknown, the body incomplete: either is refused
    with pytest.raises(ContractViolation,
                       match=r"\[platform response\] POST /rest/version/\{ver\}/anonymous/\{account\}/subscription"):
        await platform.stop()


async def test_frames_both_ways_are_validated_and_raw_notifications_are_the_tests() -> None:
    platform = await _started_on_purpose()
    alice = await platform.users.create()
    tokens = await platform.tokens_for(alice)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{platform.url}/cpaas/notificationchannel/v1/{alice.user_id}/channels", headers=auth,
                             json={"notificationChannel": {"channelType": "Websockets"}}) as resp:
            channel = (await resp.json())["notificationChannel"]
        async with http.post(f"{platform.url}/cpaas/chat/v1/{alice.user_id}/subscriptions", headers=auth,
                             json={"chatNotificationSubscription": {
                                 "callbackReference": {"notifyURL": channel["callbackURL"]}}}) as resp:
            assert resp.status == 201
        ws_url = f"{platform.ws_url}{channel['channelData']['channelURL']}?access_token={tokens['access_token']}"
        async with http.ws_connect(ws_url) as ws:
            await ws.send_json({"connCheck": {"interval": 30}})
            assert await ws.receive_json(timeout=5) == {"connAck": {}}
            await ws.send_json({"connCheck": "now"})  # off contract: recorded, not answered differently
            await ws.send_str("not json")
            assert platform.notify(alice.user_id, {"anythingGoes": {"n": 1}}, product="cpaas") == 1
            assert (await ws.receive_json(timeout=5))["anythingGoes"]["n"] == 1
            monitor = platform.state.contract
            assert monitor is not None
            assert [v.where for v in monitor.client_violations] == [
                "cpaasNotifications received connCheck", "cpaasNotifications received None"]
            assert monitor.counts["platform"] == 0
            # The platform's own frame off contract (here: a notification without its id) fails the test.
            platform.state.hub.publish(channel["callbackURL"], {"chatEventNotification": {
                "eventType": "SessionEnded", "link": [{"rel": "groupChatSessionInformation", "href": "/group/g"}]}})
            await ws.receive_json(timeout=5)
    with pytest.raises(ContractViolation, match=r"cpaasNotifications sent chatEventNotification.*'id' is a required"):
        await platform.stop()


async def test_without_the_option_nothing_is_validated() -> None:
    async with Platform() as platform, aiohttp.ClientSession() as http:
        async with http.post(f"{platform.url}/_platform/users", json={"count": "two"}) as resp:
            assert resp.status == 400  # the handler's own check
        async with http.get(f"{platform.url}/_platform/contract") as resp:
            assert await resp.json() == {"enabled": False}
        assert platform.journal(kind="contract") == []


async def test_a_multipart_token_request_without_a_boundary_is_a_400_not_a_500() -> None:
    """Found by schemathesis against the served OpenAPI document (README: the wire contract)."""
    async with Platform() as platform, aiohttp.ClientSession() as http, \
            http.post(f"{platform.url}/cpaas/auth/v1/token", data=b"grant_type=password",
                      headers={"Content-Type": "multipart/form-data"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "invalid_request"
