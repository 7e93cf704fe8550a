"""Group chat fan-out benchmark: the SDK + emulated platform beside a raw aiohttp websocket fan-out.

One group of ``--members`` CPaaS clients (default 50) exchanges ``--messages`` messages (default
1,000), sent by the members in turn with at most ``--window`` sends in flight. For every message
and every other member we measure the time from the ``send()`` call to that member's
``messages:change`` event, and the messages per second over the whole run. The baseline does the
same work with nothing but aiohttp: a POST per message to a server that writes the JSON frame to
the other members' websockets. Both run in this process, one after the other, on one loop, and
the pair is repeated (``--repeat``): the ratios are taken within each pair, and the report gives
their median and spread. Each run also counts the cycle collector's pauses. ``--gc``: each run
first freezes what set-up left alive (``freeze``, the headline: the project's load processes do so
after start-up), or leaves CPython's collector as it is (``default``), or pairs of both.

    .venv/bin/python bench/messaging.py [--members 50] [--messages 1000] [--window 10] [--repeat 3]
    .venv/bin/python bench/messaging.py --profile [--tag after]    # py-spy flame graphs, no figures

Writes reports/bench/messaging.json; ``--profile`` writes reports/bench/messaging-profile-<tag>-{sdk,raw}
.svg (flame graphs), .json (where the samples were, per side) and .txt (py-spy's collapsed stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform as py_platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sdk.cpaas
from bench.profiling import RAW_RUN_SIDES, SDK_RUN_SIDES, GcTimer, Sampler
from bench.profiling import report as profile_report
from fake_platform import Platform
from sdk.cpaas.conversation import chatTypes

REPORT = Path(__file__).resolve().parents[1] / "reports" / "bench" / "messaging.json"
TIMEOUT = 300.0


class Tally:
    """Send times and per-recipient arrival latencies, keyed by message number."""

    def __init__(self, messages: int, recipients: int) -> None:
        self.expected = messages * recipients
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.first_send = 0.0
        self.last_arrival = 0.0
        self.done = asyncio.Event()

    def sent(self, number: int) -> None:
        now = time.perf_counter()
        self.first_send = self.first_send or now
        self.sent_at[number] = now

    def arrived(self, number: int) -> None:
        now = time.perf_counter()
        self.latencies.append(now - self.sent_at[number])
        self.last_arrival = now
        if len(self.latencies) >= self.expected:
            self.done.set()

    def result(self, messages: int) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        elapsed = self.last_arrival - self.first_send

        def ms(value: float) -> float:
            return round(value * 1000, 3)

        return {
            "deliveries": len(ordered), "expected_deliveries": self.expected,
            "latency_ms": {"p50": ms(_percentile(ordered, 50)), "p99": ms(_percentile(ordered, 99)),
                           "mean": ms(statistics.fmean(ordered)), "max": ms(ordered[-1])},
            "elapsed_s": round(elapsed, 3),
            "messages_per_s": round(messages / elapsed, 1),
            "deliveries_per_s": round(len(ordered) / elapsed, 1),
        }


def _percentile(ordered: list[float], pct: float) -> float:
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def _drive(messages: int, window: int, send: Callable[[int], Awaitable[None]], tally: Tally,
                 profile: Path | None, freeze: bool) -> dict[str, Any]:
    """Send every message and wait for every delivery; the figures, with CPU and collector pauses.
    ``freeze``: move what set-up left alive into the collector's permanent generation first, as the
    project's load processes do after start-up (Locust workers, the standalone platform)."""
    gate = asyncio.Semaphore(window)
    if freeze:
        gc.collect()
        gc.freeze()

    async def one(number: int) -> None:
        async with gate:
            tally.sent(number)
            await send(number)

    sampler = Sampler(profile) if profile is not None else contextlib.nullcontext()
    async with sampler:
        with GcTimer() as collector:
            started = time.process_time()
            await asyncio.gather(*(one(n) for n in range(messages)))
            await asyncio.wait_for(tally.done.wait(), TIMEOUT)
            cpu = time.process_time() - started
    if freeze:
        gc.unfreeze()  # the next run starts from the same heap state
    return {**tally.result(messages), "cpu_s": round(cpu, 3),
            "cpu_us_per_delivery": round(cpu / tally.expected * 1e6, 1), "gc": collector.result()}


# -- the SDK over the emulated platform ----------------------------------------------------------
async def bench_sdk(members: int, messages: int, window: int, profile: Path | None = None,
                    freeze: bool = True) -> dict[str, Any]:
    async with Platform() as platform:
        users = await platform.users.create_many(members)
        clients = [sdk.cpaas.create(platform.sdk_config(u, logs={"logLevel": "error"})) for u in users]
        for client, user in zip(clients, users, strict=True):
            client.setTokens(await platform.tokens_for(user, sdk_form=True))
        await asyncio.gather(*(c.services.subscribe(["chat"]) for c in clients))
        admin, others = clients[0], clients[1:]
        invited = [asyncio.ensure_future(c.wait_for("group:invitation_received", timeout=60)) for c in others]
        created = asyncio.ensure_future(admin.wait_for("group:new", timeout=60))
        await admin.groups.create({"name": "Bench", "participants": [u.user_id for u in users[1:]]})
        group_id = (await created)["id"]
        await asyncio.gather(*invited)
        await asyncio.gather(*(c.groups.acceptInvitation(group_id) for c in others))
        conversations = [c.conversation.create(group_id, {"type": chatTypes.GROUP}) for c in clients]
        tally = Tally(messages, members - 1)
        for client, user in zip(clients, users, strict=True):
            client.on("messages:change", _arrival_listener(client, user.user_id, group_id, tally))

        async def send(number: int) -> None:
            conversation = conversations[number % members]
            sent = await conversation.createMessage({"type": "text", "text": f"bench {number}"}).send()
            assert sent.deliveryStatus == "Delivered", sent.to_dict()

        result = await _drive(messages, window, send, tally, profile, freeze)
        await asyncio.gather(*(c.aclose() for c in clients))
        return result


def _arrival_listener(client: Any, me: str, group_id: str, tally: Tally) -> Callable[[dict[str, Any]], None]:
    def on_change(params: dict[str, Any]) -> None:
        sender = params.get("sender")
        if params.get("destination") != group_id or sender is None or sender == me:
            return  # not a received message (own sends, fetches, deletes)
        message = client.conversation.get(group_id, {"type": chatTypes.GROUP}).getMessage(params["messageId"])
        tally.arrived(int(message.text.split()[1]))

    return on_change


# -- the baseline: aiohttp alone ----------------------------------------------------------------
async def bench_raw(members: int, messages: int, window: int, profile: Path | None = None,
                    freeze: bool = True) -> dict[str, Any]:
    sockets: dict[int, web.WebSocketResponse] = {}

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets[int(request.match_info["member"])] = ws
        async for _ in ws:
            pass
        return ws

    async def publish(request: web.Request) -> web.Response:
        body = await request.json()
        frame = json.dumps({"chatMessageNotification": {"chatMessage": {"text": body["text"],
                                                                         "senderAddress": body["from"]}}})
        for member, ws in sockets.items():
            if member != body["from"]:
                await ws.send_str(frame)
        return web.json_response({"ok": True}, status=201)

    app = web.Application()
    app.add_routes([web.get("/ws/{member}", websocket), web.post("/publish", publish)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    tally = Tally(messages, members - 1)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    connections = [await session.ws_connect(f"http://127.0.0.1:{port}/ws/{m}") for m in range(members)]

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            text = json.loads(msg.data)["chatMessageNotification"]["chatMessage"]["text"]
            tally.arrived(int(text.split()[1]))

    readers = [asyncio.ensure_future(read(ws)) for ws in connections]
    try:
        async def send(number: int) -> None:
            body = {"from": number % members, "text": f"bench {number}"}
            async with session.post(f"http://127.0.0.1:{port}/publish", json=body) as resp:
                await resp.read()

        result = await _drive(messages, window, send, tally, profile, freeze)
    finally:
        for ws in connections:
            await ws.close()
        for reader in readers:
            reader.cancel()
        await session.close()
        await runner.cleanup()
    return result


def _spread(runs: list[dict[str, Any]], *path: str) -> dict[str, float]:
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value[key]
        values.append(value)
    return {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values)}


def _ratios(kandy: dict[str, Any], raw: dict[str, Any]) -> dict[str, float]:
    return {
        "latency_p50": round(kandy["latency_ms"]["p50"] / raw["latency_ms"]["p50"], 2),
        "latency_p99": round(kandy["latency_ms"]["p99"] / raw["latency_ms"]["p99"], 2),
        "messages_per_s": round(kandy["messages_per_s"] / raw["messages_per_s"], 3),
        "cpu_per_delivery": round(kandy["cpu_us_per_delivery"] / raw["cpu_us_per_delivery"], 2),
    }


async def profile(args: argparse.Namespace) -> int:
    """One profiled pair (figures not kept: the sampler costs CPU): flame graphs and breakdowns."""
    out = args.out.parent
    summaries = {}
    for name, run, sides in (("raw", bench_raw, RAW_RUN_SIDES), ("sdk", bench_sdk, SDK_RUN_SIDES)):
        stem = out / f"messaging-profile-{args.tag}-{name}"
        figures = await run(args.members, args.messages, args.window, stem.with_suffix(".txt"))
        summary = profile_report(stem.with_suffix(".txt"), stem.with_suffix(".svg"),
                                 f"{name}: {args.members} members x {args.messages} messages ({args.tag})", sides)
        summary["figures_while_sampled"] = figures
        stem.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
        summaries[name] = {"sides_pct": summary["sides_pct"], "flame_graph": summary["flame_graph"]}
    print(json.dumps(summaries, indent=2))
    return 0


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--window", type=int, default=10, help="sends in flight at most")
    parser.add_argument("--repeat", type=int, default=3, help="baseline + SDK pairs to run")
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument("--profile", action="store_true", help="sample one pair with py-spy instead")
    parser.add_argument("--tag", default="current", help="names the --profile files (before, after, ...)")
    parser.add_argument("--gc", choices=("freeze", "default", "both"), default="both",
                        help="freeze the heap after set-up (as load processes do), CPython's defaults, or both")
    args = parser.parse_args(argv)
    if args.profile:
        return await profile(args)
    policies = ["freeze", "default"] if args.gc == "both" else [args.gc]
    pairs: list[dict[str, Any]] = []
    for n in range(args.repeat):
        for policy in policies:
            freeze = policy == "freeze"
            raw = await bench_raw(args.members, args.messages, args.window, freeze=freeze)
            kandy = await bench_sdk(args.members, args.messages, args.window, freeze=freeze)
            pairs.append({"gc": policy, "raw_aiohttp_fanout": raw, "sdk_over_platform": kandy,
                          "ratios": _ratios(kandy, raw), "load_average": os.getloadavg()})
            print(f"pair {n + 1} ({policy}): {json.dumps(pairs[-1]['ratios'])}", flush=True)
    headline = [p for p in pairs if p["gc"] == policies[0]]
    middle = sorted(headline, key=lambda p: p["ratios"]["messages_per_s"])[len(headline) // 2]
    report = {
        "benchmark": "group chat fan-out: send() to each member's messages:change",
        "config": {"members": args.members, "messages": args.messages, "window": args.window,
                   "recipients_per_message": args.members - 1, "repeat": args.repeat, "gc": args.gc},
        "environment": {"python": py_platform.python_version(), "cpus": os.cpu_count(),
                        "machine": py_platform.machine()},
        "targets": {"latency_p99_ratio_max": 3.0, "messages_per_s_ratio_min": 0.5},
        # the pair with the median throughput ratio, as the headline
        "sdk_over_platform": middle["sdk_over_platform"],
        "raw_aiohttp_fanout": middle["raw_aiohttp_fanout"],
        "ratios": middle["ratios"],
        "gc": policies[0],
        "spread": {key: _spread(headline, "ratios", key) for key in middle["ratios"]},
        "spread_by_gc": {policy: {key: _spread([p for p in pairs if p["gc"] == policy], "ratios", key)
                                  for key in middle["ratios"]} for policy in policies},
        "pairs": pairs,
    }
    report["met"] = bool(report["spread"]["latency_p99"]["median"] <= 3.0
                         and report["spread"]["messages_per_s"]["median"] >= 0.5)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("ratios", "spread_by_gc", "met")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
