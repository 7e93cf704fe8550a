"""The load users' SDK client, in-process (no Locust): what it measures on drops and blackouts.

These run the real SDK against the in-process platform on real time with short intervals; every
wait is for a condition with a deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from fake_platform import Platform
from load import metrics
from load.client import ClientSettings, LoadClient
from load.control import AsyncControlPlane
from load.metrics import Sample, SampleSink

FAST = ClientSettings(ping_interval_ms=200, max_missed_pings=3, reconnect_delay_ms=100, reconnect_limit=30)


class Collected:
    def __init__(self) -> None:
        self.sink = SampleSink()
        self.samples: list[Sample] = []

    async def wait(self, predicate: Callable[[Sample], bool], count: int = 1, timeout: float = 10.0) -> list[Sample]:
        async with asyncio.timeout(timeout):
            while True:
                self.samples.extend(self.sink.drain())
                found = [s for s in self.samples if predicate(s)]
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.01)


@pytest.fixture
async def control(platform: Platform) -> AsyncIterator[AsyncControlPlane]:
    plane = AsyncControlPlane(platform.url)
    yield plane
    await plane.close()


async def _started(product: str, platform: Platform, control: AsyncControlPlane, collected: Collected,
                   settings: ClientSettings = FAST) -> LoadClient:
    client = LoadClient(product, platform.url, settings, collected.sink, control)
    await client.start()
    return client


def _named(name: str, ok: bool | None = None) -> Callable[[Sample], bool]:
    return lambda s: s.name == name and (ok is None or s.ok is ok)


@pytest.mark.parametrize("product", ["cpaas", "link"])
async def test_start_measures_connect_and_rest_operations(platform: Platform, control: AsyncControlPlane,
                                                          product: str) -> None:
    collected = Collected()
    client = await _started(product, platform, control, collected)
    try:
        assert client.connected
        (connect,) = await collected.wait(_named(metrics.CONNECT, ok=True))
        assert connect.type == metrics.WS and connect.ms > 0
        rest = await collected.wait(lambda s: s.type == metrics.REST)
        assert all(s.ok and s.ms > 0 for s in rest)
        ops = {s.name for s in rest}
        assert ("Create notification channel" in ops) if product == "cpaas" else ops
        await collected.wait(_named(metrics.KEEPALIVE, ok=True), count=2)
    finally:
        await client.stop()
    finals = await collected.wait(_named(metrics.FINAL))
    assert finals[0].ok and finals[0].detail["product"] == product


@pytest.mark.parametrize("product", ["cpaas", "link"])
async def test_reconnect_is_measured_until_a_notification_arrives_again(platform: Platform,
                                                                        control: AsyncControlPlane,
                                                                        product: str) -> None:
    collected = Collected()
    client = await _started(product, platform, control, collected)
    try:
        assert await platform.drop_sockets(code=1006) == 1
        (reconnect,) = await collected.wait(_named(metrics.RECONNECT))
        assert reconnect.ok, reconnect.error
        # usable again = socket up, then the probe notification came through it
        assert 0 < reconnect.detail["socket_ms"] <= reconnect.ms < 2000
        assert reconnect.detail["reason"].startswith("CLOSED")
        assert client.counters.reconnects == 1
    finally:
        await client.stop()


async def test_refused_reconnects_are_one_outage_with_failed_attempts(platform: Platform,
                                                                     control: AsyncControlPlane) -> None:
    collected = Collected()
    client = await _started("cpaas", platform, control, collected)
    try:
        platform.faults.add("refuse_upgrades", duration=0.5, status=503)
        await platform.drop_sockets(code=1006)
        (reconnect,) = await collected.wait(_named(metrics.RECONNECT), timeout=10)
        assert reconnect.ok and reconnect.detail["failed_attempts"] >= 2
        assert reconnect.ms >= 400  # not before the refusal ended
    finally:
        await client.stop()


@pytest.mark.parametrize("product", ["cpaas", "link"])
async def test_blackout_gives_missed_acks_and_a_detection_of_interval_times_max(
        platform: Platform, control: AsyncControlPlane, product: str) -> None:
    collected = Collected()
    client = await _started(product, platform, control, collected)
    try:
        await collected.wait(_named(metrics.KEEPALIVE, ok=True), count=2)
        platform.faults.add("keepalive_blackout", duration=0.7)
        (detection,) = await collected.wait(_named(metrics.DETECTION), timeout=10)
        assert FAST.detection_s * 1000 - 50 <= detection.ms <= FAST.detection_s * 1000 + 300
        misses = [s for s in collected.samples if s.name == metrics.KEEPALIVE and not s.ok]
        assert len(misses) >= FAST.max_missed_pings - 1
        (reconnect,) = await collected.wait(_named(metrics.RECONNECT), timeout=10)
        assert reconnect.ok and reconnect.detail["reason"].startswith("no keepalive answer")
    finally:
        await client.stop()


async def test_giving_up_is_a_failed_reconnect_and_a_final_state_down(platform: Platform,
                                                                      control: AsyncControlPlane) -> None:
    collected = Collected()
    settings = ClientSettings(ping_interval_ms=200, reconnect_delay_ms=50, reconnect_limit=2)
    client = await _started("link", platform, control, collected, settings)
    platform.faults.add("refuse_upgrades", duration=30, status=503)
    await platform.drop_sockets(code=1006)
    (failed,) = await collected.wait(_named(metrics.RECONNECT, ok=False))
    assert "gave up" in (failed.error or "")
    await client.stop()
    (final,) = await collected.wait(_named(metrics.FINAL))
    assert not final.ok and final.detail["gave_up"] == 1


@pytest.mark.media
async def test_dense_media_calls_verify_one_in_n_and_count_the_others(platform: Platform, control: AsyncControlPlane,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from kandy_media import dense
    from load.traffic import Traffic

    monkeypatch.setattr(dense, "_SAMPLINGS", {})  # these are the process's first dense calls
    collected = Collected()
    settings = ClientSettings(ping_interval_ms=1000, dense_media=2)
    caller, callee = [await _started("cpaas", platform, control, collected, settings) for _ in range(2)]
    traffic = Traffic()
    try:
        traffic.join(caller)
        traffic.join(callee)
        for _ in range(2):
            assert await traffic.place_call(caller, with_media=True, hold=0.0)
        media = await collected.wait(_named(metrics.CALL_MEDIA), count=2)
        assert [(s.ok, s.detail["verified"]) for s in media] == [(True, True), (True, False)]
        assert len(await collected.wait(_named(metrics.CALL_END, ok=True), count=2)) == 2
    finally:
        await asyncio.gather(caller.stop(), callee.stop())
