"""The dashboard over HTTP (the browser test is tests/ui/): sections drawn from the platform's
state, channel keepalive health, the live journal socket, bad input answered with a 4xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from fake_platform.core.hub import ChannelEndpoint, Keepalive
from fake_platform.ui.views import channel_health

PINGPONG = {"checkConnectivity": True, "method": {"type": "pingPong"}}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def text_of(http: aiohttp.ClientSession, url: str, status: int = 200) -> str:
    async with http.get(url) as response:
        assert response.status == status, await response.text()
        return await response.text()


async def test_the_page_draws_users_channels_and_the_fault_form_from_the_specs(
        platform: Platform, make_cpaas: Any, http: aiohttp.ClientSession) -> None:
    alice = await make_cpaas(services=["chat"])
    page = await text_of(http, f"{platform.url}/_platform/ui")
    assert alice.account.user_id in page and alice.account.phone_number in page
    channel = platform.state.hub.channels_of(alice.account.user_id)[0]
    assert f'data-channel="{channel.id}"' in page
    # the form's inputs are typed from core/faults.py: the latency's ms is a bounded number
    assert 'id="fault-latency-ms" name="ms" type="number" data-type="float"' in page
    assert 'min="0" max="60000"' in page
    assert 'id="fault-http_error-body" name="body" data-type="json"' in page
    calls = await text_of(http, f"{platform.url}/_platform/ui/sections/calls")
    assert "No calls yet." in calls


async def test_bad_requests_get_a_4xx(platform: Platform, http: aiohttp.ClientSession) -> None:
    page = await text_of(http, f"{platform.url}/_platform/ui?path=((", status=400)
    assert "Invalid path pattern" in page
    page = await text_of(http, f"{platform.url}/_platform/ui?kind=nonsense", status=400)
    assert "Unknown journal kinds" in page
    async with http.get(f"{platform.url}/_platform/ui/sections/secrets") as response:
        assert response.status == 404 and "No dashboard section secrets" in (await response.json())["error"]["message"]
    async with http.get(f"{platform.url}/_platform/ui/static/..%2Fservice.py") as response:
        assert response.status == 404
    async with http.get(f"{platform.url}/_platform/ui/live?since=x") as response:
        assert response.status == 400


async def test_the_page_only_runs_its_own_script(platform: Platform, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{platform.url}/_platform/ui") as response:
        policy = response.headers["Content-Security-Policy"]
        page = await response.text()
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in page and "onclick" not in page


@pytest.mark.looptime
async def test_a_channel_shows_its_keepalives_those_left_unanswered_and_its_reconnects(
        platform: Platform, make_cpaas: Any) -> None:
    client = await make_cpaas(services=["chat"], connectivity={**PINGPONG, "pingInterval": 30000})
    user = client.account.user_id
    (channel,) = platform.state.hub.channels_of(user)
    platform.faults.add("keepalive_blackout", duration=100, match={"user": user})
    mark = client.recorder.mark
    await client.recorder.wait("ws:change", lambda p: p["state"] == "lost", timeout=200)
    await client.recorder.wait("ws:change", lambda p: p["state"] == "connected", since=mark, timeout=200)
    health = channel_health(channel, platform.state.clock.monotonic())
    assert health["interval"] == 30.0  # as the client's connCheck announced it
    assert health["pings"] >= 3 and health["unanswered"] >= 2  # answered at 0; at 30 and 60 no answer
    assert health["reconnects"] == 1 and health["connected"]


def test_missed_keepalives_count_the_periods_a_connected_channel_stayed_silent() -> None:
    channel = ChannelEndpoint(id="ch-1", user="u", product="cpaas", created_at=0.0)
    channel.socket = object()  # type: ignore[assignment]
    channel.keepalive = Keepalive()
    channel.keepalive.received(100.0, interval=30.0)
    assert channel_health(channel, 110.0)["health"] == "ok"
    assert channel_health(channel, 131.0)["missed"] == 1 and channel_health(channel, 131.0)["health"] == "late"
    assert channel_health(channel, 195.0)["missed"] == 3 and channel_health(channel, 195.0)["health"] == "silent"
    channel.keepalive.received(200.0)  # Link pings announce nothing: the spacing is the interval
    assert channel.keepalive.interval == 100.0 and channel.keepalive.pings == 2
    channel.socket = None
    assert channel_health(channel, 500.0)["health"] == "disconnected"


async def test_the_live_socket_pushes_matching_journal_rows_and_state_changes(
        platform: Platform, http: aiohttp.ClientSession) -> None:
    user = await platform.users.create()
    async with http.ws_connect(f"{platform.url.replace('http', 'ws')}/_platform/ui/live") as live:
        await live.send_json({"filter": {"kind": ["http"], "path": "/token$"}})
        first = await live.receive_json(timeout=5)
        assert first["replace"] is True and "/cpaas/auth/v1/token" not in first["rows"]
        await platform.tokens_for(user)
        pushed = await live.receive_json(timeout=5)
        assert "POST /cpaas/auth/v1/token → 200" in pushed["rows"] and not pushed.get("replace")
        assert await live.receive_json(timeout=5) == {"changed": True}
        await live.send_json({"filter": {"path": "(("}})
        assert "Invalid path pattern" in (await live.receive_json(timeout=5))["error"]
        await live.send_str("not json")
        assert "expected" in (await live.receive_json(timeout=5))["error"]


async def test_a_reset_closes_the_live_sockets(platform: Platform, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{platform.url.replace('http', 'ws')}/_platform/ui/live") as live:
        await platform.reset()
        message = await live.receive(timeout=5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert not platform.state.dashboard.sockets


async def test_a_journal_row_is_drawn_escaped(platform: Platform, http: aiohttp.ClientSession) -> None:
    platform.state.journal.record("fault", user="<img src=x onerror=alert(1)>", detail={"action": "<b>"})
    page = await text_of(http, f"{platform.url}/_platform/ui?kind=fault")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert json.dumps("&lt;b&gt;")[1:-1] in page
