"""The event emitter: documented throws, sync/async/global listeners, failure isolation, wait_for."""

from __future__ import annotations

import asyncio

import pytest

import sdk.cpaas
import sdk.link
from sdk.errors import BasicError
from sdk.logger import LogEntry


def client_with_logs(product: str = "cpaas") -> tuple[object, list[LogEntry]]:
    logs: list[LogEntry] = []
    module = sdk.cpaas if product == "cpaas" else sdk.link
    return module.create({"logs": {"handler": logs.append}}), logs


@pytest.mark.parametrize(("product", "event"), [("cpaas", "devices:error"), ("link", "group:new"), ("link", "")])
def test_on_refuses_an_event_type_the_product_does_not_have(product: str, event: str) -> None:
    client, _ = client_with_logs(product)
    with pytest.raises(BasicError, match="Invalid event type"):
        client.on(event, lambda p: None)
    with pytest.raises(BasicError, match="Invalid event type"):
        client.off(event, lambda p: None)


@pytest.mark.parametrize("method", ["subscribe", "unsubscribe"])
def test_global_listener_must_be_callable(method: str) -> None:
    client, _ = client_with_logs()
    with pytest.raises(BasicError, match="Listener not a function"):
        getattr(client, method)(None)


def test_on_refuses_a_non_function_listener() -> None:
    client, _ = client_with_logs()
    with pytest.raises(BasicError, match="Listener not a function"):
        client.on("call:start", "nope")


async def test_listeners_are_called_after_the_emitting_call_returns() -> None:
    client, _ = client_with_logs()
    order: list[str] = []
    delivered = asyncio.get_running_loop().create_future()

    def listener(params: dict) -> None:
        order.append("listener")
        delivered.set_result(None)

    client.on("ws:change", listener)
    client.emit("ws:change", {"platform": "cpaas"})
    order.append("after emit")
    await asyncio.wait_for(delivered, 1)
    assert order == ["after emit", "listener"]


async def test_a_raising_listener_is_logged_and_the_others_still_run() -> None:
    client, logs = client_with_logs()
    got: list[str] = []
    async_done = asyncio.get_running_loop().create_future()

    def bad(params: dict) -> None:
        raise ValueError("boom")

    async def good_async(params: dict) -> None:
        got.append("async")
        async_done.set_result(None)

    client.on("ws:change", bad)
    client.on("ws:change", lambda p: got.append("sync"))
    client.on("ws:change", good_async)
    client.subscribe(lambda t, p: got.append(f"global:{t}"))
    client.emit("ws:change", {"state": "x"})
    await asyncio.wait_for(async_done, 1)
    assert sorted(got) == ["async", "global:ws:change", "sync"]
    assert any("ValueError: boom" in e.messages[0] for e in logs if e.level == "error")


async def test_wait_for_matches_a_predicate_and_times_out_with_context() -> None:
    client, _ = client_with_logs()
    waiter = asyncio.ensure_future(client.wait_for("ws:change", lambda p: p["n"] == 2, timeout=1))
    await asyncio.sleep(0)  # let the waiter register before the events are emitted
    client.emit("ws:change", {"n": 1})
    client.emit("ws:change", {"n": 2})
    assert (await waiter) == {"n": 2}
    with pytest.raises(TimeoutError, match="last ones seen"):
        await client.wait_for("ws:change", lambda p: p["n"] == 3, timeout=0.01)


def test_messages_changed_is_an_alias_of_messages_change() -> None:
    client, _ = client_with_logs("cpaas")
    got: list[dict] = []
    client.on("messages:changed", got.append)
    client.emit("messages:change", {"destination": "x"})
    assert got == [{"destination": "x"}]


def test_off_removes_only_that_listener() -> None:
    client, _ = client_with_logs()
    got: list[str] = []

    def first(p: dict) -> None:
        got.append("first")

    client.on("ws:change", first)
    client.on("ws:change", lambda p: got.append("second"))
    client.off("ws:change", first)
    client.emit("ws:change", {})
    assert got == ["second"]
