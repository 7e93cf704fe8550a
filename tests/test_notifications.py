"""Notification routing: de-duplication by id, channel gating, ordered handling."""

from __future__ import annotations

import asyncio

import sdk.cpaas
import sdk.link
from sdk.notifications import PUSH, WEBSOCKET, IdCache


def test_id_cache_forgets_the_oldest_beyond_its_capacity() -> None:
    cache = IdCache(2)
    # FIFO: a hit does not refresh an id, so "a" falls out when "c" arrives.
    assert [cache.seen(x) for x in ("a", "b", "a", "c", "a", "b")] == [False, False, True, False, False, False]


def test_id_cache_of_zero_never_deduplicates() -> None:
    cache = IdCache(0)
    assert [cache.seen("a"), cache.seen("a")] == [False, False]


async def test_cpaas_duplicate_ids_are_dropped_and_order_is_kept() -> None:
    client = sdk.cpaas.create({"logs": {"logLevel": "silent"}})
    client.notifications.enabled[WEBSOCKET] = True
    handled: list[str] = []
    done = asyncio.get_running_loop().create_future()

    async def handler(frame: dict, channel: str) -> None:
        await asyncio.sleep(0)
        handled.append(frame["thing"]["n"])
        if len(handled) == 3:
            done.set_result(None)

    client.notifications.on("thing", handler)
    accepted = [client.notifications.process({"thing": {"id": i, "n": n}}) for i, n in
                [("1", "a"), ("2", "b"), ("1", "a-again"), ("3", "c")]]
    await asyncio.wait_for(done, 1)
    assert accepted == [True, True, False, True]
    assert handled == ["a", "b", "c"]
    assert client.notifications.duplicates == 1


async def test_link_websocket_channel_is_gated_and_push_is_open() -> None:
    client = sdk.link.create({"logs": {"logLevel": "silent"}})
    frame = {"notificationMessage": {"eventType": "x", "eventId": "e1"}}
    assert client.notifications.process(frame, WEBSOCKET) is False  # disabled until a socket opens
    assert client.notifications.process(frame, PUSH) is True
    assert client.notifications.process(frame, "websocket") is False


async def test_frames_without_an_id_are_not_notifications() -> None:
    client = sdk.cpaas.create({"logs": {"logLevel": "silent"}})
    client.notifications.enabled[WEBSOCKET] = True
    assert client.notifications.process({"thing": {"no": "id"}}) is False


async def test_a_waiting_handler_holds_back_later_notifications_and_sync_ones_run_at_once() -> None:
    client = sdk.cpaas.create({"logs": {"logLevel": "silent"}})
    client.notifications.enabled[WEBSOCKET] = True
    release = asyncio.get_running_loop().create_future()
    handled: list[str] = []

    def handler(frame: dict, channel: str) -> object:
        n = frame["thing"]["n"]
        if n == "slow":
            async def finish() -> None:
                await release
                handled.append(n)
            return finish()
        if n == "broken":
            raise ValueError("a handler bug")
        handled.append(n)
        return None

    client.notifications.on("thing", handler)
    client.notifications.process({"thing": {"id": "1", "n": "first"}})
    assert handled == ["first"]  # nothing waiting: handled where it arrived
    for i, n in enumerate(["slow", "broken", "after"], start=2):
        client.notifications.process({"thing": {"id": str(i), "n": n}})
    assert handled == ["first"]  # "after" waits behind "slow"
    release.set_result(None)
    await client.notifications.drain(timeout=1)
    assert handled == ["first", "slow", "after"]
    client.notifications.process({"thing": {"id": "9", "n": "last"}})
    assert handled[-1] == "last"  # the backlog is gone: at once again
    await client.aclose()
