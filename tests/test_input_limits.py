"""Each input of issue 15 that made a 500, answered with the door's own 4xx body instead; body and
frame limits with the same error shape (the fuzzer, tests/test_fuzz.py, looks for more)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.core.text import decimal, depth_exceeds, load_json
from tests.platform_world import World, basic, build

DEEP = b"[" * 10_000 + b"]" * 10_000
INVALID_UTF8 = b'{"a":"\xff\xfe"}'


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with Platform() as platform:
        world = await build(platform)
        try:
            yield world
        finally:
            await world.session.close()


def _door_error(path: str, body: Any) -> bool:
    if path.startswith("/cpaas/auth/"):
        return "error" in body
    if path.startswith("/cpaas/"):
        return "requestError" in body
    if path.startswith("/_platform/"):
        return "error" in body
    inner = next(iter(body.values()))
    return "statusCode" in inner or "statusCode" in body


async def test_deep_nesting_and_invalid_utf8_without_login(world: World) -> None:
    b = world.b
    for path in (f"/cpaas/notificationchannel/v1/{b.id}/channels", f"/rest/version/1/user/{b.id}/subscription",
                 f"/rest/version/1/anonymous/{b.id}/subscription", "/cpaas/auth/v1/token", "/_platform/faults",
                 "/_platform/users"):
        for raw, content_type in ((DEEP, "application/json"), (INVALID_UTF8, "application/json"),
                                  (b"{}", "application/json; charset=foo"), (b"grant_type=\xff", "text/plain")):
            response = await world.call("POST", path, raw=raw, content_type=content_type)
            if raw == b"{}" and response.status < 300:  # valid JSON whatever the label: the control plane acts
                continue
            assert 400 <= response.status < 500 and _door_error(path, response.body), (path, raw[:10], response)


async def test_deep_nesting_and_invalid_utf8_with_login(world: World) -> None:
    b = world.b
    for path, headers in ((f"/cpaas/notificationchannel/v1/{b.id}/channels", b.bearer),
                          (f"/rest/version/1/user/{b.id}/subscription", b.basic)):
        for raw in (DEEP, INVALID_UTF8, b"[" * 40 + b"]" * 40, b'{"a":' + b"9" * 5000 + b"}"):
            response = await world.call("POST", path, raw=raw, headers=headers)
            assert response.status == 400 and _door_error(path, response.body), (path, raw[:10], response)
    form = {"grant_type": "password", "client_id": "\udcff"}
    async with world.session.post(world.platform.url + "/cpaas/auth/v1/token",
                                  data="&".join(f"{k}={v}" for k, v in form.items()).encode("utf-8", "surrogateescape"),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
        assert resp.status in (400, 401) and (await resp.json())["error"]


async def test_the_inputs_issue_15_listed(world: World) -> None:
    b, a = world.b, world.a
    person = {"overriding-willingness": {"overridingWillingnessValue": "Open"}, "activities": {"activityValue": 5}}
    cases: list[tuple[str, str, Any, dict[str, str]]] = [
        ("POST", f"/cpaas/presence/v1/{b.id}/presenceSources", {"presenceSource": {"presence": "x"}}, b.bearer),
        ("POST", f"/cpaas/presence/v1/{b.id}/presenceSources", {"presenceSource": {"presence": {"person": person}}},
         b.bearer),
        ("GET", f"/cpaas/chat/v1/{b.id}/oneToOne/{a.id}/adhoc/messages?max=²", None, b.bearer),
        ("GET", f"/cpaas/chat/v1/{b.id}/oneToOne/{a.id}/adhoc/messages?max=٣", None, b.bearer),
        ("GET", f"/cpaas/directory/v1/{b.id}/default/search?max=²", None, b.bearer),
        ("GET", f"/cpaas/directory/v1/{b.id}/default/search?next=²", None, b.bearer),
        ("POST", f"/rest/version/1/user/{b.id}/subscription",
         {"subscribeRequest": {"service": ["call"], "expires": "²"}}, b.basic),
        ("POST", f"/rest/version/1/user/{b.id}/callControl",
         {"callControlRequest": {"type": "callStart", "to": a.id, "from": b.id, "sdp": "v=0", "supported": 5}},
         b.basic),
        ("POST", "/_platform/faults", {"kind": "http_error", "status": "abc"}, {}),
        ("POST", "/_platform/notify", {"user": b.id, "frame": {"x": 5}}, {}),
        ("POST", "/_platform/notify", {"user": b.id, "product": "link", "frame": {"x": None}}, {}),
        ("POST", "/_platform/realms", {"name": "r", "key": "zz"}, {}),
        ("GET", "/_platform/journal?path=(", None, {}),
        ("GET", "/_platform/journal?since=²", None, {}),
    ]
    for method, path, body, headers in cases:
        response = await world.call(method, path, body, headers)
        assert response.status == 400 and _door_error(path, response.body), (method, path, response)


@pytest.mark.parametrize("root", [{"object": "x"}, {"object": {"attributes": []}},
                                  {"object": {"attributes": {"attribute": "x"}}}, ["x"]])
async def test_upload_root_fields_of_the_wrong_type(world: World, root: Any) -> None:
    import json

    form = aiohttp.FormData()
    form.add_field("root-fields", json.dumps(root), content_type="application/json")
    form.add_field("raw", b"data", filename="f.txt", content_type="text/plain")
    async with world.session.post(f"{world.platform.url}/cpaas/nms/v1/chat/{world.b.id}/objects", data=form,
                                  headers=world.b.bearer) as resp:
        assert resp.status == 400 and "requestError" in await resp.json()


@pytest.mark.platform(max_json_bytes=1000)
async def test_a_body_over_the_limit_is_the_doors_413(platform: Platform) -> None:
    bob = await platform.users.create()
    token = (await platform.tokens_for(bob))["access_token"]
    big = {"notificationChannel": {"channelType": "websockets", "clientCorrelator": "x" * 2000}}
    async with aiohttp.ClientSession() as session:
        for path, headers, key in (
                (f"/cpaas/notificationchannel/v1/{bob.user_id}/channels", {"Authorization": f"Bearer {token}"},
                 "requestError"),
                ("/_platform/users", {}, "error")):
            async with session.post(platform.url + path, json=big, headers=headers) as resp:
                assert resp.status == 413 and key in await resp.json(), path


async def test_a_body_over_the_doors_size_limit_is_its_413_not_plain_text(platform: Platform) -> None:
    bob = await platform.users.create()
    async with aiohttp.ClientSession() as session:
        url = f"{platform.url}/rest/version/1/user/{bob.user_id}/subscription"
        headers = {"Content-Type": "application/json", **basic(bob.user_id, bob.password)}
        async with session.post(url, data=b" " * (33 * 1024 * 1024), headers=headers) as resp:
            assert resp.status == 413 and resp.content_type == "application/json"
            assert (await resp.json())["subscribeResponse"]["statusCode"] == 5


async def test_a_websocket_frame_over_the_limit_closes_the_socket_and_no_deep_frame_breaks_it(
        platform: Platform) -> None:
    bob = await platform.users.create()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{platform.url}/rest/version/1/user/{bob.user_id}/subscription",
                                headers=basic(bob.user_id, bob.password),
                                json={"subscribeRequest": {"service": ["call"]}}) as resp:
            channel = (await resp.json())["subscribeResponse"]["subscriptionParams"]["notificationChannel"]
        async with session.ws_connect(platform.ws_url + channel) as ws:
            await ws.send_str("[" * 20_000 + "]" * 20_000)
            await ws.send_str('{"message_type":"ping"}')
            await ws.send_str("x" * (platform.state.config.max_frame_bytes + 1))
            message = await ws.receive(timeout=5)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code == 1009
    frames = [e for e in platform.journal(kind="ws-in") if e.get("channel") == channel.rsplit("/", 1)[1]]
    assert "not JSON" in frames[0]["detail"]["error"] and frames[1]["body"] == {"message_type": "ping"}


def test_numbers_in_text_are_ascii_digits() -> None:
    assert [decimal(t) for t in ("12", "²", "٣", "", "-1", "1" * 30, " 1")] == [12, None, None, None, None, None, None]


def test_json_nesting_is_bounded_without_recursion() -> None:
    assert not depth_exceeds({"a": [{"b": 1}]}, 3) and depth_exceeds({"a": [{"b": []}]}, 3)
    assert depth_exceeds([[]] * 3 + [[[[[[]]]]]], 5)
    with pytest.raises(ValueError):
        load_json(DEEP, 32)
    with pytest.raises(ValueError):
        load_json(INVALID_UTF8, 32)
