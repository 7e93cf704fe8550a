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
from fake_platform.ui import render, views
from fake_platform.ui.views import channel_health

PINGPONG = {"checkConnectivity": True, "method": {"type": "pingPong"}}
PCMU = {"codecs": ["PCMU"]}


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


@pytest.mark.platform(control_token="let-me-in")
async def test_where_a_token_guards_the_control_plane_the_page_opens_through_its_login(
        platform: Platform, http: aiohttp.ClientSession) -> None:
    ui = f"{platform.url}/_platform/ui"
    async with http.get(ui) as response:
        assert response.status == 401 and "/_platform/ui/login?token=" in (await response.json())["error"]["message"]
    assert "not this platform's control token" in await text_of(http, f"{ui}/login?token=guess", status=401)
    async with http.get(f"{ui}/login?token=let-me-in", allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/_platform/ui"
        cookie = response.cookies["kandy_control"]
    assert (cookie.value, cookie["path"], cookie["httponly"], cookie["samesite"]) == \
        ("let-me-in", "/_platform", True, "Strict")
    holder = {"Cookie": "kandy_control=let-me-in"}
    async with http.get(ui, headers=holder) as response:
        assert response.status == 200
    async with http.ws_connect(f"{platform.url.replace('http', 'ws')}/_platform/ui/live", headers=holder) as live:
        await live.send_json({"filter": {"kind": ["fault"]}})
        assert (await live.receive_json(timeout=5))["replace"] is True
    async with http.post(f"{platform.url}/_platform/faults", json={"kind": "latency"},
                         headers={**holder, "Origin": platform.url}) as response:
        assert response.status == 201
    async with http.post(f"{platform.url}/_platform/faults", json={"kind": "latency"},
                         headers={"Cookie": "kandy_control=guess"}) as response:
        assert response.status == 401


async def test_a_call_shows_the_media_figures_the_platform_sees(platform: Platform, make_cpaas: Any) -> None:
    """An endpoint's own RTP statistics; packets the TURN relay carried for relayed parties."""
    alice = await make_cpaas(services=["call"], relay="udp", runtime=PCMU)
    bob = await make_cpaas(services=["call"], relay="udp", runtime=PCMU)
    relayed_call = alice.call.make(bob.account.user_id, {"audio": True})
    incoming = await bob.recorder.wait("call:receive")
    await bob.recorder.wait("call:stateChange", lambda p: bob.call.getById(incoming["callId"])["state"] == "Ringing")
    bob.call.answer(incoming["callId"], {"audio": True})
    pstn_call = alice.call.make("+15550100880", {"audio": True})
    for call_id in (relayed_call, pstn_call):
        await alice.recorder.wait("call:stateChange",
                                  lambda p, c=call_id: alice.call.getById(c)["state"] == "Connected")
    bob_call = incoming["callId"]
    for client, call_id, container in ((alice, pstn_call, "#pstn"), (alice, relayed_call, "#bob"),
                                       (bob, bob_call, "#alice")):
        client.media.renderTracks(client.call.getById(call_id)["remoteTracks"], container)
        await client.media.getContainer(container).wait_until(lambda c: c.frames >= 25)  # 25 packets came
    drawn = {(leg.address, call.id): leg for call in await views.calls(platform.state) for leg in call.legs}
    (pstn,) = [leg for (address, _), leg in drawn.items() if address.startswith("+15550100880")]
    audio = pstn.rtp["audio"]
    assert audio["received"] > 0 and audio["sent"] > 0 and pstn.relayed is None
    assert -40 < audio["level"] < 0  # it hears Alice's tone
    assert 4.0 < audio["mos_heard"] <= 4.5  # no loss on loopback (E-model, kandy_media/quality.py)
    assert audio["jitter"] < 0.5  # seconds, as the W3C statistics give it
    relayed_legs = [leg for leg in drawn.values() if leg.relayed is not None]
    assert {leg.address for leg in relayed_legs} == {alice.account.user_id, bob.account.user_id}
    assert all(leg.relayed and leg.relayed["sent"] >= 25 and leg.relayed["received"] >= 25 for leg in relayed_legs)
    section = await render.section(platform.state, "calls")
    assert "relayed by the platform's TURN relay" in section and "audio: " in section and " MOS " in section
    await alice.call.end(relayed_call)
    await alice.call.end(pstn_call)
