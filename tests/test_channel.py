"""The notification channel against the platform: keepalive, loss detection, reconnect backoff.

Timing tests run on virtual loop time (looptime), so "90 s" takes milliseconds and is exact.
"""

from __future__ import annotations

import asyncio

import pytest

from sdk.transport.channel import ChannelSettings, backoff_delays

PINGPONG = {"checkConnectivity": True, "method": {"type": "pingPong"}}


@pytest.mark.parametrize(("delay", "multiplier", "limit", "expected"), [
    (5.0, 1.0, 640.0, [5, 5, 5, 5]),
    (1.0, 2.0, 640.0, [1, 2, 4, 8, 16]),
    (2.0, 3.0, 20.0, [2, 6, 18, 20, 20]),
    (0.0, 2.0, 640.0, [0, 0, 0]),
])
def test_backoff_delays(delay: float, multiplier: float, limit: float, expected: list[float]) -> None:
    settings = ChannelSettings(reconnect_delay=delay, reconnect_multiplier=multiplier, reconnect_time_limit=limit)
    delays = backoff_delays(settings)
    assert [next(delays) for _ in expected] == pytest.approx(expected)


def test_settings_from_config_converts_milliseconds() -> None:
    settings = ChannelSettings.from_config("link", {"pingInterval": 1500, "reconnectDelay": 250, "maxMissedPings": 4})
    assert (settings.ping_interval, settings.reconnect_delay, settings.max_missed_pings) == (1.5, 0.25, 4)


def test_settings_from_an_empty_config_are_the_documented_defaults() -> None:
    # The documents' defaults (link-sdk-api.md config.connectivity), in seconds.
    assert ChannelSettings.from_config("link", {}) == ChannelSettings(
        platform="link", method="keepAlive", responsible_party="client", ping_interval=30.0, max_missed_pings=3,
        reconnect_limit=5, reconnect_delay=5.0, reconnect_multiplier=1.0, reconnect_time_limit=640.0,
        auto_reconnect=True, check_connectivity=True, connect_timeout=10.0)


def test_settings_read_every_connectivity_key() -> None:
    settings = ChannelSettings.from_config("cpaas", {
        "method": {"type": "pingPong", "responsibleParty": "server"}, "pingInterval": 2500, "maxMissedPings": 7,
        "reconnectLimit": 0, "reconnectDelay": 125, "reconnectTimeMultiplier": 2.5, "reconnectTimeLimit": 9000,
        "autoReconnect": False, "checkConnectivity": False}, connect_timeout=2.0)
    assert settings == ChannelSettings(
        platform="cpaas", method="pingPong", responsible_party="server", ping_interval=2.5, max_missed_pings=7,
        reconnect_limit=0, reconnect_delay=0.125, reconnect_multiplier=2.5, reconnect_time_limit=9.0,
        auto_reconnect=False, check_connectivity=False, connect_timeout=2.0)
    # A method that is not an object is the default one.
    odd = ChannelSettings.from_config("cpaas", {"method": "pingPong"})
    assert (odd.method, odd.responsible_party) == ("keepAlive", "client")


async def test_the_socket_state_reports_the_configured_connectivity(platform, make_link) -> None:
    user = await platform.users.create()
    client = await make_link(user, connectivity={
        "pingInterval": 20000, "maxMissedPings": 4, "reconnectLimit": 2, "reconnectDelay": 750,
        "reconnectTimeMultiplier": 3, "reconnectTimeLimit": 8000, "autoReconnect": False})
    await client.connect({"username": user.user_id, "password": user.password})
    state = client.connection.getSocketState("link")
    assert {k: state[k] for k in ("connected", "state", "pinging", "method", "platform", "pingInterval",
                                  "maxMissedPings", "reconnectLimit", "reconnectDelay", "reconnectTimeMultiplier",
                                  "reconnectTimeLimit", "autoReconnect", "checkConnectivity")} == {
        "connected": True, "state": "connected", "pinging": True,
        "method": {"type": "keepAlive", "responsibleParty": "client"}, "platform": "link",
        "pingInterval": 20000, "maxMissedPings": 4, "reconnectLimit": 2, "reconnectDelay": 750,
        "reconnectTimeMultiplier": 3.0, "reconnectTimeLimit": 8000, "autoReconnect": False,
        "checkConnectivity": True}
    assert isinstance(state["lastContact"], (int, float)) and state["lastContact"] > 0


@pytest.mark.looptime
async def test_pingpong_loss_is_declared_interval_times_max_after_the_last_answer(platform, make_cpaas) -> None:
    client = await make_cpaas(services=["chat"], connectivity={**PINGPONG, "pingInterval": 30000,
                                                                "autoReconnect": False})
    platform.faults.add("keepalive_blackout", duration=1000, match={"user": client.account.user_id})
    lost = await client.recorder.wait("ws:change", lambda p: p["state"] == "lost", timeout=200)
    events = list(client.connection_events)
    lost_event = next(e for e in events if e.kind == "lost")
    last_ok = [e for e in events if e.kind == "keepalive" and e.detail["ok"]][-1]
    assert lost_event.at - last_ok.detail["sent_at"] == pytest.approx(90.0, abs=1e-3)
    assert "no keepalive answer" in lost["reason"]


@pytest.mark.looptime
async def test_reconnect_attempts_follow_the_backoff_exactly(platform, make_cpaas) -> None:
    client = await make_cpaas(services=["chat"], connectivity={"reconnectDelay": 1000,
                                                                "reconnectTimeMultiplier": 2, "reconnectLimit": 0})
    user = client.account.user_id
    platform.faults.add("refuse_upgrades", duration=20, match={"user": user})
    start = platform.journal_seq
    drop_time = platform.monotonic()
    mark = client.recorder.mark
    await platform.drop_sockets(user=user)
    await client.recorder.wait("ws:change", lambda p: p["state"] == "connected", since=mark, timeout=100)
    attempts = platform.journal(kind=["ws-refused", "ws-open"], user=user, since=start)
    offsets = [round(e["mono"] - drop_time, 3) for e in attempts]
    assert offsets == pytest.approx([0, 1, 3, 7, 15, 31], abs=0.01)


async def test_a_server_close_is_noticed_at_once_and_reconnected(platform, make_cpaas) -> None:
    client = await make_cpaas(services=["chat"])
    await platform.drop_sockets(user=client.account.user_id, code=1001)
    lost = await client.recorder.wait_event("ws:change", lambda p: p["state"] == "lost", timeout=5)
    assert "1001" in lost.params["reason"]
    await client.recorder.wait("ws:change", lambda p: p["state"] == "connected", since=lost.index, timeout=5)
    assert client.connection.getSocketState()["connected"]


@pytest.mark.looptime
async def test_after_the_reconnect_limit_the_channel_is_forgotten_and_can_be_recreated(platform, make_cpaas) -> None:
    client = await make_cpaas(services=["chat"], connectivity={"reconnectDelay": 1000, "reconnectLimit": 2})
    user = client.account.user_id
    fault = platform.faults.add("refuse_upgrades", duration=60, match={"user": user})
    await platform.drop_sockets(user=user)
    change = await client.recorder.wait("subscription:change", lambda p: p.get("reason") == "LOST_CONNECTION",
                                        timeout=30)
    assert change["subscribed"] == [] and client.services.getSubscriptions()["subscribed"] == []
    platform.faults.remove(fault.id)
    await client.services.subscribe(["chat"])
    assert client.services.getSubscriptions()["subscribed"] == ["chat"]
    assert client.connection.getSocketState()["connected"]
    assert len(platform.journal(kind="http", method="POST", path="/channels$", user=user)) == 2


@pytest.mark.looptime
async def test_server_driven_conncheck_is_answered(platform, make_cpaas) -> None:
    client = await make_cpaas(services=["chat"], connectivity={
        "checkConnectivity": True, "method": {"type": "pingPong", "responsibleParty": "server"}})
    channel_post = platform.journal(kind="http", path="/channels$")[-1]
    assert channel_post["body"]["notificationChannel"]["x-connCheckRole"] == "server"
    await asyncio.sleep(65)  # virtual time: let the platform ping three times
    acks = [e for e in platform.journal(kind="ws-in", user=client.account.user_id) if "connAck" in e["body"]]
    assert len(acks) >= 3
    assert client.connection.getSocketState()["pingInterval"] == 30000
