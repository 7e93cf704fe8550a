"""The platform's push registration service and its control plane, over real HTTP."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.auth.models import User

APPLE_BODY = {"bundleID": "com.example.app", "service": ["call", "IM"], "clientCorrelator": "dev-1",
              "realm": "r", "isProduction": False, "voipDeviceToken": "voip-1", "standardDeviceToken": "std-1"}


async def _request(platform: Platform, method: str, path: str, user: User | None = None,
                   body: Any = None) -> tuple[int, Any]:
    headers = {}
    if user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user.user_id}:{user.password}".encode()).decode()
    async with aiohttp.ClientSession() as session, \
            session.request(method, platform.url + path, json=body, headers=headers) as response:
        data = await response.json() if response.content_type == "application/json" else None
        return response.status, data


def _devices(user: User, provider: str = "apple") -> str:
    return f"/rest/version/1/user/{user.user_id}/push/{provider}/devices/"


async def test_apple_registration_answers_the_registration_path_and_delete_removes_it(platform: Platform) -> None:
    bob = await platform.users.create()
    status, body = await _request(platform, "POST", _devices(bob), bob, APPLE_BODY)
    assert status == 200
    registration = body["appleDeviceRegistrationResponse"]["registration"]
    assert body["appleDeviceRegistrationResponse"]["statusCode"] == 0
    assert registration.startswith(_devices(bob))
    [stored] = platform.push.registrations(bob.user_id)
    assert stored["environment"] == "sandbox" and stored["tokens"] == {"voipDeviceToken": "voip-1",
                                                                      "standardDeviceToken": "std-1"}
    status, _ = await _request(platform, "DELETE", registration, bob)
    assert status == 204
    assert platform.push.registrations(bob.user_id) == []
    status, body = await _request(platform, "DELETE", registration, bob)
    assert status == 404 and body["appleDeviceRegistrationResponse"]["statusCode"] == 47


async def test_registering_again_from_the_same_device_replaces_the_registration(platform: Platform) -> None:
    bob = await platform.users.create()
    await _request(platform, "POST", _devices(bob), bob, APPLE_BODY)
    await _request(platform, "POST", _devices(bob), bob, {**APPLE_BODY, "voipDeviceToken": "voip-2"})
    [stored] = platform.push.registrations(bob.user_id)
    assert stored["tokens"]["voipDeviceToken"] == "voip-2"


@pytest.mark.parametrize(("provider", "body", "status", "code"), [
    ("apple", {**APPLE_BODY, "bundleID": ""}, 400, 5),
    ("apple", {**APPLE_BODY, "voipDeviceToken": None}, 400, 5),  # call needs the VoIP token
    ("apple", {**APPLE_BODY, "standardDeviceToken": None}, 400, 5),  # IM needs the standard token
    ("apple", {**APPLE_BODY, "isProduction": "yes"}, 400, 5),
    ("apple", {**APPLE_BODY, "service": []}, 400, 5),
    ("apple", {**APPLE_BODY, "service": ["teleport"]}, 403, 6),
    ("apple", {**APPLE_BODY, "standardDeviceToken": "reject-std"}, 400, 19),
    ("google", {"bundleID": "b", "service": ["call"]}, 400, 5),
    ("google", {"bundleID": "b", "service": ["call"], "deviceToken": "REJECT-x"}, 400, 19),
])
async def test_bad_registrations_get_a_link_error_body(platform: Platform, provider: str, body: dict[str, Any],
                                                       status: int, code: int) -> None:
    bob = await platform.users.create()
    got, answer = await _request(platform, "POST", _devices(bob, provider), bob, body)
    wrapper = "appleDeviceRegistrationResponse" if provider == "apple" else "googleDeviceRegistrationResponse"
    assert got == status and answer[wrapper]["statusCode"] == code, answer
    assert platform.push.registrations(bob.user_id) == []


async def test_registration_needs_the_users_own_credentials(platform: Platform) -> None:
    bob, eve = await platform.users.create(), await platform.users.create()
    assert (await _request(platform, "POST", _devices(bob), None, APPLE_BODY))[0] == 401
    assert (await _request(platform, "POST", _devices(bob), eve, APPLE_BODY))[0] == 403
    _, body = await _request(platform, "POST", _devices(bob), bob, APPLE_BODY)
    registration = body["appleDeviceRegistrationResponse"]["registration"]
    eve_path = registration.replace(bob.user_id, eve.user_id)
    assert (await _request(platform, "DELETE", eve_path, eve))[0] == 403  # Bob's registration id


async def test_notifications_of_registered_services_are_pushed_with_the_websocket_event_id(
        platform: Platform) -> None:
    bob = await platform.users.create()
    await _request(platform, "POST", _devices(bob), bob, {**APPLE_BODY, "isProduction": True})
    await _request(platform, "POST", _devices(bob, "google"), bob,
                   {"bundleID": "b", "service": ["IM"], "deviceToken": "fcm-1"})
    platform.notify(bob.user_id, {"eventType": "IM", "imnotificationParams": {"msgText": "hi"}}, product="link")
    platform.notify(bob.user_id, {"eventType": "presenceWatcher"}, product="link")  # Presence: not registered
    platform.notify(bob.user_id, {"eventType": "ringing"}, product="link")  # a call event a device does not need
    pushes = platform.push.outbox(user=bob.user_id)
    assert [(p["token"], p["pushType"], p["provider"], p["environment"]) for p in pushes] == [
        ("std-1", "alert", "apns", "production"), ("fcm-1", "data", "fcm", "production")]
    apns, fcm = pushes
    assert apns["headers"]["apns-topic"] == "com.example.app"
    assert apns["request"]["notificationMessage"] == apns["notification"]["notificationMessage"]
    assert fcm["request"]["message"]["token"] == "fcm-1"
    assert isinstance(fcm["request"]["message"]["data"]["notificationMessage"], str)  # FCM data are strings
    assert apns["notification"]["notificationMessage"]["eventId"] == fcm["notification"]["notificationMessage"][
        "eventId"]


async def test_magic_tokens_expire_or_fail_and_a_token_can_be_expired_on_demand(platform: Platform) -> None:
    bob = await platform.users.create()
    for token in ("expired-1", "unavailable-1", "fine-1"):
        await _request(platform, "POST", _devices(bob, "google"), bob,
                       {"bundleID": "b", "service": ["IM"], "deviceToken": token, "clientCorrelator": token})
    platform.notify(bob.user_id, {"eventType": "IM"}, product="link")
    assert {p["token"]: (p["status"], p["reason"]) for p in platform.push.outbox()} == {
        "expired-1": ("expired", "UNREGISTERED"), "unavailable-1": ("failed", "UNAVAILABLE"),
        "fine-1": ("delivered", None)}
    assert sorted(r["tokens"]["deviceToken"] for r in platform.push.registrations()) == ["fine-1", "unavailable-1"]
    status, body = await _request(platform, "POST", "/_platform/push/expire", body={"token": "fine-1"})
    assert status == 200 and body["registrations"] == 1
    platform.push.clear()
    platform.notify(bob.user_id, {"eventType": "IM"}, product="link")
    assert {p["token"]: p["status"] for p in platform.push.outbox()} == {"unavailable-1": "failed",
                                                                        "fine-1": "expired"}


async def test_the_control_plane_reads_and_clears_the_outbox(platform: Platform) -> None:
    bob = await platform.users.create()
    await _request(platform, "POST", _devices(bob), bob, APPLE_BODY)
    platform.notify(bob.user_id, {"eventType": "IM"}, product="link")
    status, body = await _request(platform, "GET", "/_platform/push/outbox?token=std-1&environment=sandbox")
    assert status == 200 and [p["eventType"] for p in body["pushes"]] == ["IM"]
    _, body = await _request(platform, "GET", f"/_platform/push/outbox?user={bob.user_id}&token=voip-1")
    assert body["pushes"] == []
    status, body = await _request(platform, "GET", "/_platform/push/outbox?colour=red")
    assert status == 400 and "colour" in body["error"]["message"]
    _, body = await _request(platform, "GET", f"/_platform/push/registrations?user={bob.user_id}")
    assert len(body["registrations"]) == 1
    assert (await _request(platform, "DELETE", "/_platform/push/outbox"))[0] == 204
    assert platform.push.outbox() == []
    assert (await _request(platform, "POST", "/_platform/push/expire", body={}))[0] == 400
    assert (await _request(platform, "GET", "/_platform/state"))[1]["pushRegistrations"]


async def test_wait_for_a_push_times_out_with_what_the_outbox_holds(platform: Platform) -> None:
    with pytest.raises(TimeoutError, match="no push matching"):
        await platform.push.wait_for(0.05, token="nothing")
