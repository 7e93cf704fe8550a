"""Platform settings for load runs: no journal, yet keepalives are answered as usual."""

from __future__ import annotations

import asyncio

import pytest

from fake_platform import Platform

PINGPONG = {"checkConnectivity": True, "method": {"type": "pingPong"}, "pingInterval": 200}


@pytest.mark.platform(journal=False)
async def test_without_journal_nothing_is_recorded_and_keepalives_are_answered(platform: Platform,
                                                                              make_cpaas) -> None:
    client = await make_cpaas(services=["chat"], connectivity=PINGPONG)
    answered: asyncio.Queue[bool] = asyncio.Queue()
    client.observe_connection(lambda e: answered.put_nowait(e.detail["ok"]) if e.kind == "keepalive" else None)
    async with asyncio.timeout(5):
        assert [await answered.get(), await answered.get()] == [True, True]
    assert platform.journal() == []
