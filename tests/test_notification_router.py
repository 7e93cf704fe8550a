"""The notification router's edges, found by mutation testing (make mutation): a cache of one id,
resizing, the outcome and counters of every path, gates of unknown channels, handler failures,
drain and close."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sdk.logger import LogManager
from sdk.notifications import (
    ACCEPTED,
    DISABLED,
    DUPLICATE,
    FILTERED,
    PUSH,
    UNKNOWN,
    WEBSOCKET,
    IdCache,
    NotificationRouter,
    Outcome,
)


def _identify(frame: dict[str, Any]) -> tuple[str | None, str | None]:
    for key, value in frame.items():
        if isinstance(value, dict) and value.get("id") is not None:
            return key, str(value["id"])
    return None, None


def _router(**kwargs: Any) -> tuple[NotificationRouter, list[tuple[str, dict[str, Any]]]]:
    emitted: list[tuple[str, dict[str, Any]]] = []
    router = NotificationRouter(_identify, LogManager().get("Notifications"),
                                emit=lambda event, params: emitted.append((event, params)), **kwargs)
    return router, emitted


def test_a_cache_of_one_remembers_only_the_latest_id() -> None:
    cache = IdCache(1)
    assert [cache.seen(x) for x in ("a", "a", "b", "a", "a")] == [False, True, False, False, True]
    assert len(cache) == 1


def test_resizing_forgets_the_oldest_ids_and_zero_turns_deduplication_off() -> None:
    cache = IdCache(3)
    for x in ("a", "b", "c"):
        cache.seen(x)
    cache.resize(2)
    assert cache.capacity == 2 and len(cache) == 2
    assert cache.seen("c") and cache.seen("b") and not cache.seen("a")  # "a", the oldest, went first
    cache.resize(-4)
    assert cache.capacity == 0 and len(cache) == 0
    assert [cache.seen("z"), cache.seen("z")] == [False, False]
    cache.resize(5)
    assert [cache.seen("z"), cache.seen("z")] == [False, True]


async def test_every_path_reports_its_outcome_and_counts_what_it_dropped() -> None:
    router, emitted = _router()
    router.enabled[WEBSOCKET] = True
    router.filters.append(lambda kind, frame, channel: kind != "blocked")
    seen: list[Outcome] = []
    router.observers.append(seen.append)
    results = [
        router.process({"chat": {"id": "1"}}, "websocket"),  # channel names are case-insensitive
        router.process({"chat": {"id": "1"}}, PUSH),  # the same id through the other channel
        router.process({"chat": {"id": "2"}}, "SMS"),  # a channel the router does not know is closed
        router.process({"no": "id"}, WEBSOCKET),
        router.process({"blocked": {"id": "3"}}, WEBSOCKET),
    ]
    assert results == [True, False, False, False, False]
    expected = [Outcome(ACCEPTED, "chat", "1", WEBSOCKET), Outcome(DUPLICATE, "chat", "1", PUSH),
                Outcome(DISABLED, "chat", "2", "SMS"), Outcome(UNKNOWN, None, None, WEBSOCKET),
                Outcome(FILTERED, "blocked", "3", WEBSOCKET)]
    assert seen == expected and router.outcomes == expected
    assert (router.dropped, router.duplicates) == (3, 1)
    assert emitted == [("notification:received", {"payload": {"chat": {"id": "1"}}, "channel": WEBSOCKET})]


async def test_the_received_event_goes_out_only_when_someone_listens() -> None:
    heard: list[str] = []
    router, emitted = _router(heard=lambda event: event in heard)
    router.process({"chat": {"id": "1"}}, PUSH)
    heard.append("notification:received")
    router.process({"chat": {"id": "2"}}, PUSH)
    assert [params["payload"]["chat"]["id"] for _event, params in emitted] == ["2"]
    silent, nothing = _router(received_event=None)
    silent.process({"chat": {"id": "3"}}, PUSH)
    assert nothing == []


def test_opening_a_gate_says_whether_it_changed() -> None:
    router, _ = _router()
    assert router.enabled == {WEBSOCKET: False, PUSH: True}
    assert router.set_enabled(WEBSOCKET, True) is True
    assert router.set_enabled(WEBSOCKET, True) is False
    assert router.set_enabled(PUSH, False) is True and router.enabled[PUSH] is False


async def test_a_failing_handler_is_reported_and_the_next_handlers_still_run() -> None:
    router, _ = _router()
    failures: list[tuple[str, BaseException]] = []
    router.on_error = lambda channel, exc: failures.append((channel, exc))
    handled: list[str] = []

    def broken(frame: dict[str, Any], channel: str) -> None:
        raise ValueError("bug")

    async def waits_then_fails(frame: dict[str, Any], channel: str) -> None:
        await asyncio.sleep(0)
        raise KeyError("later bug")

    router.on("chat", broken)
    router.on("chat", waits_then_fails)
    router.on("chat", lambda frame, channel: handled.append(frame["chat"]["id"]))
    router.process({"chat": {"id": "1"}}, PUSH)
    await router.drain(timeout=1)
    assert handled == ["1"]
    assert [(channel, type(exc)) for channel, exc in failures] == [(PUSH, ValueError), (PUSH, KeyError)]


async def test_a_handler_whose_own_wait_is_cancelled_counts_as_failed_and_the_queue_goes_on() -> None:
    router, _ = _router()
    failures: list[BaseException] = []
    router.on_error = lambda channel, exc: failures.append(exc)
    handled: list[str] = []
    doomed = asyncio.get_running_loop().create_future()

    def handler(frame: dict[str, Any], channel: str) -> Any:
        if frame["chat"]["id"] == "1":
            return doomed
        handled.append(frame["chat"]["id"])
        return None

    router.on("chat", handler)
    router.process({"chat": {"id": "1"}}, PUSH)
    router.process({"chat": {"id": "2"}}, PUSH)
    assert handled == []
    doomed.cancel()
    await router.drain(timeout=1)
    assert handled == ["2"] and [type(exc) for exc in failures] == [asyncio.CancelledError]


async def test_close_stops_the_worker_and_drops_what_waited() -> None:
    router, _ = _router()
    never = asyncio.get_running_loop().create_future()
    handled: list[str] = []

    def handler(frame: dict[str, Any], channel: str) -> Any:
        handled.append(frame["chat"]["id"])
        return never if frame["chat"]["id"] == "1" else None

    router.on("chat", handler)
    router.process({"chat": {"id": "1"}}, PUSH)
    router.process({"chat": {"id": "2"}}, PUSH)
    with pytest.raises(TimeoutError):
        await router.drain(timeout=0.05)
    await router.aclose()
    await router.drain(timeout=0.1)  # idle again at once
    assert handled == ["1"]
    router.process({"chat": {"id": "3"}}, PUSH)
    assert handled == ["1", "3"]  # handled where it arrived: no backlog, no worker
