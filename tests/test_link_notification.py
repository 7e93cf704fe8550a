"""The Link ``notification`` namespace against the platform: push registration, process(), channels."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from fake_platform import Platform
from sdk.errors import BasicError, Codes
from sdk.notifications import PUSH

APPLE = {"services": ["call"], "voipDeviceToken": "voip-1", "bundleId": "com.example.app",
         "clientCorrelator": "dev-1", "realm": "r1", "isProduction": True}
ANDROID = {"services": ["call", "IM"], "deviceToken": "fcm-1", "bundleId": "com.example.app", "clientCorrelator": "d2"}


def _probe(event_id: str, event_type: str = "probe") -> dict[str, Any]:
    return {"notificationMessage": {"eventType": event_type, "eventId": event_id}}


async def test_register_and_unregister_send_the_documented_requests(platform: Platform, make_link: Any) -> None:
    user = await platform.users.create()
    bob = await make_link(user, connect=True)
    apple = await bob.notification.registerApplePush(APPLE)
    android = await bob.notification.registerAndroidPush(ANDROID)
    assert apple.startswith(f"/rest/version/1/user/{user.user_id}/push/apple/devices/")
    assert android.startswith(f"/rest/version/1/user/{user.user_id}/push/google/devices/")
    posts = platform.journal(kind="http", method="POST", path="/push/")
    assert [e["path"].endswith("/devices/") for e in posts] == [True, True]
    assert posts[0]["body"] == {"bundleID": "com.example.app", "service": ["call"], "clientCorrelator": "dev-1",
                                "realm": "r1", "isProduction": True, "voipDeviceToken": "voip-1"}
    assert posts[1]["body"] == {"bundleID": "com.example.app", "service": ["call", "IM"], "clientCorrelator": "d2",
                                "deviceToken": "fcm-1"}  # no isProduction for Android
    assert len(platform.push.registrations(user.user_id)) == 2
    assert await bob.notification.unregisterApplePush(apple) is None
    assert await bob.notifications.unregisterAndroidPush(android) is None  # LINK-02: the plural spelling
    assert platform.push.registrations(user.user_id) == []
    with pytest.raises(BasicError) as gone:
        await bob.notification.unregisterApplePush(apple)
    assert gone.value.code == Codes.NOTIF_UNREGISTER_FAILED and "statusCode 47" in gone.value.message


async def test_push_registration_server_is_overridden_field_by_field(platform: Platform, make_link: Any) -> None:
    bob = await make_link(connect=True, notifications={"pushRegistration": {"version": "2", "server": "127.0.0.1",
                                                                            "port": str(platform.port)}})
    registration = await bob.notification.registerApplePush(APPLE)
    assert registration.startswith("/rest/version/2/user/")
    assert platform.journal(kind="http", method="POST", path="^/rest/version/2/user/.*/push/apple/devices/$")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    bob.updateConfig({"notifications": {"pushRegistration": {"port": port}}})
    with pytest.raises(BasicError) as failed:
        await bob.notification.registerAndroidPush(ANDROID)
    assert failed.value.code == Codes.NOTIF_REGISTER_FAILED


async def test_registration_needs_a_link_user_connection(make_link: Any) -> None:
    client = await make_link()
    with pytest.raises(BasicError) as refused:
        await client.notification.registerApplePush(APPLE)
    assert refused.value.code == Codes.AUTH_NOT_CONNECTED


@pytest.mark.parametrize(("call", "argument"), [
    ("registerApplePush", "not an object"),
    ("registerApplePush", {**APPLE, "services": []}),
    ("registerApplePush", {**APPLE, "services": "call"}),
    ("registerApplePush", {**APPLE, "bundleId": None}),
    ("registerApplePush", {**APPLE, "voipDeviceToken": None}),
    ("registerApplePush", {**APPLE, "services": ["IM"]}),  # IM needs standardDeviceToken
    ("registerApplePush", {**APPLE, "isProduction": "yes"}),
    ("registerApplePush", {**APPLE, "realm": 7}),
    ("registerAndroidPush", {**ANDROID, "deviceToken": ""}),
    ("unregisterApplePush", "https://elsewhere/x"),
    ("unregisterAndroidPush", None),
])
async def test_bad_push_parameters_are_refused_before_any_request(platform: Platform, make_link: Any, call: str,
                                                                   argument: Any) -> None:
    bob = await make_link(connect=True)
    with pytest.raises(BasicError) as refused:
        await getattr(bob.notification, call)(argument)
    assert refused.value.code == Codes.NOTIF_INVALID
    assert platform.journal(kind="http", path="/push/") == []


async def test_a_registration_the_platform_refuses_rejects_with_its_status(make_link: Any) -> None:
    bob = await make_link(connect=True)
    with pytest.raises(BasicError) as refused:
        await bob.notification.registerApplePush({**APPLE, "voipDeviceToken": "reject-me"})
    assert refused.value.code == Codes.NOTIF_REGISTER_FAILED
    assert "BadDeviceToken" in refused.value.message and "statusCode 19" in refused.value.message


@pytest.mark.parametrize(("notification", "channel", "code"), [
    (_probe("e1"), "SMS", Codes.NOTIF_INVALID_CHANNEL),
    (_probe("e1"), 3, Codes.NOTIF_INVALID_CHANNEL),
    ('{"notificationMessage": {"eventType": "probe"}}', "PUSH", Codes.NOTIF_INVALID),
    ({"aps": {}}, "PUSH", Codes.NOTIF_INVALID),
    ({"notificationMessage": {"eventId": "x"}}, "PUSH", Codes.NOTIF_INVALID),
])
async def test_process_refuses_what_is_not_a_notification(make_link: Any, notification: Any, channel: Any,
                                                          code: str) -> None:
    client = await make_link()
    with pytest.raises(BasicError) as refused:
        client.notification.process(notification, channel)
    assert refused.value.code == code


async def test_process_defaults_to_the_push_channel_and_both_spellings_work(make_link: Any) -> None:
    client = await make_link()
    assert client.notification.process(_probe("p1")) is None
    assert client.notifications.process(_probe("p2")) is True  # LINK-02 plural: the router says if accepted
    client.notification.process(_probe("p3"), "push")
    received = await client.recorder.wait("notification:received", lambda p: p["payload"] == _probe("p3"))
    assert received["channel"] == PUSH
    assert [p["payload"]["notificationMessage"]["eventId"] for p in client.recorder.of("notification:received")] \
        == ["p1", "p2", "p3"]


@pytest.mark.parametrize(("length", "expected"), [(100, 1), (0, 2)])
async def test_id_cache_length_zero_disables_de_duplication(make_link: Any, length: int, expected: int) -> None:
    client = await make_link(notifications={"idCacheLength": length})
    client.notification.process(_probe("same"))
    client.notification.process(_probe("same"))
    client.notification.process(_probe("last"))
    await client.recorder.wait("notification:received", lambda p: p["payload"] == _probe("last"))
    assert len(client.recorder.of("notification:received", lambda p: p["payload"] == _probe("same"))) == expected


async def test_id_cache_length_applies_on_update(make_link: Any) -> None:
    client = await make_link()
    client.updateConfig({"notifications": {"idCacheLength": 1}})
    for event_id in ("a", "b", "a"):  # "a" fell out of a one-id cache when "b" came
        client.notification.process(_probe(event_id))
    await client.recorder.wait("notification:received", lambda p: len(client.recorder.of("notification:received"))
                               == 3)


async def test_a_failing_handler_is_reported_as_notifications_error(make_link: Any) -> None:
    client = await make_link()

    def boom(frame: dict[str, Any], channel: str) -> None:
        raise ValueError("cannot handle")

    client.notifications.on("boom", boom)
    client.notification.process(_probe("b1", "boom"))
    params = await client.recorder.wait("notifications:error")
    assert params["channel"] == PUSH and isinstance(params["error"], BasicError)
    assert "cannot handle" in params["error"].message


async def test_enable_websocket_switches_the_channel_and_says_so(make_link: Any) -> None:
    client = await make_link(connect=True)
    assert client.notifications.enabled["WEBSOCKET"] is True
    client.notification.enableWebsocket(False)
    assert (await client.recorder.wait("notifications:change", lambda p: p["enabled"] is False))["channel"] \
        == "WEBSOCKET"
    client.notifications.enableWebsocket(True)  # LINK-02 plural
    await client.recorder.wait("notifications:change", lambda p: p["enabled"] is True and p["channel"] == "WEBSOCKET",
                               since=2)
    with pytest.raises(BasicError) as refused:
        client.notification.enableWebsocket("yes")
    assert refused.value.code == Codes.NOTIF_INVALID


async def test_socket_state_for_link(platform: Platform, make_link: Any) -> None:
    client = await make_link()
    before = client.connection.getSocketState("link")
    assert before["connected"] is False and before["platform"] == "link"
    await client.connect({"username": (user := await platform.users.create()).user_id, "password": user.password})
    state = client.connection.getSocketState("link")
    assert state["connected"] and state["platform"] == "link" and state["method"]["type"] == "keepAlive"
    assert state["wsInfo"]["protocol"] == "ws" and state["wsInfo"]["server"] == "127.0.0.1"
    assert state["wsInfo"]["port"] == platform.port and "/websocket/" in state["wsInfo"]["url"]
    client.connection.enableConnectivityChecking(False)
    assert client.connection.getSocketState()["pinging"] is False


@pytest.mark.parametrize(("mode", "query"), [("query", ["access_token"]), ("none", [])])
async def test_websocket_oauth_mode(platform: Platform, make_link: Any, mode: str, query: list[str]) -> None:
    user = await platform.users.create()
    client = await make_link(user, connectivity={"webSocketOAuthMode": mode})
    tokens = await platform.tokens_for(user)
    await client.connect({"username": user.user_id, "bearerAccessToken": tokens["access_token"]})
    [opened] = platform.journal(kind="ws-open", user=user.user_id)
    assert opened["detail"]["queryKeys"] == query
    assert client.connection.getSocketState()["wsInfo"]["params"] == (
        {"access_token": tokens["access_token"]} if query else {})
