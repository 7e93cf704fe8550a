"""``POST /_platform/notify/batch``: many raw notifications in one control-plane request."""

from __future__ import annotations

import aiohttp

from fake_platform import Platform


async def test_batch_notifies_each_user_on_its_channels(platform: Platform, make_cpaas) -> None:
    alice = await make_cpaas(services=["chat"])
    bob = await make_cpaas(services=["chat"])
    body = {"notifications": [
        {"user": alice.account.user_id, "service": "chat", "frame": {"batchProbe": {"n": 1}}},
        {"user": bob.account.user_id, "service": "chat", "frame": {"batchProbe": {"n": 2}}},
        {"user": bob.account.user_id, "service": "call", "frame": {"batchProbe": {"n": 3}}},  # not subscribed
    ]}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{platform.url}/_platform/notify/batch", json=body) as resp:
            assert resp.status == 200
            assert (await resp.json()) == {"delivered": [1, 1, 0]}
    for client, n in ((alice, 1), (bob, 2)):
        got = await client.recorder.wait("notification:received", lambda p: "batchProbe" in p["payload"], timeout=5)
        assert got["payload"]["batchProbe"]["n"] == n


async def test_batch_rejects_a_body_that_is_not_a_list(platform: Platform) -> None:
    async with aiohttp.ClientSession() as session:
        for bad in ({"notifications": []}, {"notifications": {"user": "x"}}, {}):
            async with session.post(f"{platform.url}/_platform/notify/batch", json=bad) as resp:
                assert resp.status == 400, bad
