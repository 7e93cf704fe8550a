"""Call quality benchmark: MOS against packet loss, and what relaying media through the platform costs.

Measured in one run, on this machine:

* **MOS against loss**, for Opus and PCMU: a call between two SDK clients relayed through the
  platform's TURN relay, the caller's uplink losing 0-20 % of its packets (an ``impairment`` fault);
  over a window of the call, the callee's E-model MOS from getStats (``kandy_media.quality``), the
  loss it measured, and the share of the audio it played that was missing (playout gaps). The same
  PCMU calls once more with aiortc's own audio jitter buffer, beside the one the SDK uses
  (``kandy_media.jitter``), to show why it is replaced.
* **Relay overhead**: N concurrent two-way PCMU calls on host candidates (media straight between the
  clients), then the same N calls relayed through the platform's relay (in this process: its CPU is
  counted), process CPU seconds per second of call; calls per core = 1 / that. Target: relayed calls
  cost at most 1.2x the host-path calls.

Writes reports/bench/quality.json and quality.png. Usage:
``python bench/quality.py [--window 6] [--calls 4] [--seconds 10] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform as py_platform
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.calls import make_client
from fake_platform import Platform
from kandy_media import compat
from kandy_media.quality import call_quality

OUT = Path(__file__).resolve().parent.parent / "reports" / "bench" / "quality.json"
LOSSES = (0, 2, 5, 10, 15, 20)
CODECS = ("opus", "PCMU")
TARGET_RELAY_CPU_RATIO = 1.2
FRAMES_PER_SECOND = 50


class Call:
    """A two-way audio call between two SDK clients, each playing what it receives into a container."""

    def __init__(self, caller: Any, callee: Any) -> None:
        self.caller, self.callee = caller, callee
        self.ids: dict[str, str] = {}

    async def connect(self) -> None:
        caller, callee = self.caller, self.callee
        mark = callee.recorder.mark
        self.ids["a"] = caller.call.make(callee.account.user_id, {"audio": True})
        self.ids["b"] = (await callee.recorder.wait("call:receive", since=mark, timeout=30))["callId"]
        await callee.recorder.wait("call:stateChange", lambda p: callee.call.getById(self.ids["b"])["state"] ==
                                   "Ringing", since=mark, timeout=30)
        await callee.call.answer(self.ids["b"], {"audio": True})
        for name, client in (("a", caller), ("b", callee)):
            await client.recorder.wait("call:stateChange", lambda p, c=client, n=name: c.call.getById(
                self.ids[n])["state"] == "Connected", timeout=30)
            client.media.renderTracks(client.call.getById(self.ids[name])["remoteTracks"], f"#q-{self.ids[name]}")
        for name in ("a", "b"):
            await self.container(name).wait_until(lambda c: c.frames >= 10, 30)

    def container(self, name: str) -> Any:
        client = self.caller if name == "a" else self.callee
        return client.media.getContainer(f"#q-{self.ids[name]}")

    def frames(self) -> int:
        return self.container("a").frames + self.container("b").frames

    async def end(self) -> None:
        with contextlib.suppress(Exception):
            await self.caller.call.end(self.ids["a"])


# -- MOS against loss ---------------------------------------------------------------------------
async def measure_loss(platform: Platform, codec: str, loss: float, window: float) -> dict[str, Any]:
    caller, callee = await make_client(platform, codec, True), await make_client(platform, codec, True)
    call = Call(caller, callee)
    try:
        await call.connect()
        fault = platform.faults.add("impairment", loss=loss, direction="send", duration=window + 30,
                                    match={"user": caller.account.user_id}) if loss else None
        since = time.monotonic()
        before = await callee.call.getStats(call.ids["b"])
        await asyncio.sleep(window)  # the measurement window: the call's audio flows meanwhile
        after = await callee.call.getStats(call.ids["b"])
        inbound = call_quality(after, before)["inbound"]
        render = call.container("b").audio()[0]
        result = {"loss_set_percent": loss, "loss_measured_percent": round(inbound.loss, 2),
                  "packets": inbound.packets, "jitter_ms": inbound.jitter_ms and round(inbound.jitter_ms, 1),
                  "rtt_ms": inbound.rtt_ms and round(inbound.rtt_ms, 1), "r": round(inbound.r, 2),
                  "mos": round(inbound.mos, 3), "gaps_percent": round(100 * render.audio_gaps(since), 2),
                  "codec": inbound.codec}
        if fault is not None:
            platform.faults.remove(fault.id)
        return result
    finally:
        await call.end()
        await asyncio.gather(caller.aclose(), callee.aclose())


async def mos_against_loss(platform: Platform, window: float) -> dict[str, Any]:
    curves: dict[str, list[dict[str, Any]]] = {}
    for codec in CODECS:
        curves[codec] = [await measure_loss(platform, codec, loss, window) for loss in LOSSES]
    with compat.aiortc_audio_jitter_buffer():
        curves["PCMU, aiortc's jitter buffer"] = [await measure_loss(platform, "PCMU", loss, window)
                                                  for loss in LOSSES]
    return {"window_s": window, "direction": "caller's uplink (relay, send direction)", "curves": curves}


# -- relay overhead -----------------------------------------------------------------------------
@contextlib.contextmanager
def cpu_window() -> Iterator[dict[str, float]]:
    box = {"cpu": time.process_time(), "wall": time.perf_counter()}
    yield box
    box["cpu"] = time.process_time() - box["cpu"]
    box["wall"] = time.perf_counter() - box["wall"]


async def cpu_per_call(platform: Platform, calls: int, seconds: float, relay: bool) -> dict[str, Any]:
    clients = [await make_client(platform, "PCMU", relay) for _ in range(2 * calls)]
    running = [Call(clients[2 * i], clients[2 * i + 1]) for i in range(calls)]
    try:
        for call in running:
            await call.connect()
        frames0 = sum(c.frames() for c in running)
        with cpu_window() as used:
            await asyncio.sleep(seconds)  # the measurement window: the calls' media flows meanwhile
        frames = sum(c.frames() for c in running) - frames0
        per_call = used["cpu"] / used["wall"] / calls
        return {"calls": calls, "seconds": round(used["wall"], 2), "cpu_s_per_s_per_call": round(per_call, 4),
                "calls_per_core": round(1 / per_call, 2),
                "frames_delivered_share": round(frames / (2 * calls * FRAMES_PER_SECOND * used["wall"]), 4),
                "relay_allocations": len(platform.relay.allocations) if platform.relay else 0}
    finally:
        for call in running:
            await call.end()
        await asyncio.gather(*(c.aclose() for c in clients))


async def relay_overhead(platform: Platform, calls: int, seconds: float, rounds: int) -> dict[str, Any]:
    host, relayed = [], []
    for _ in range(rounds):  # alternated, so that what the machine does meanwhile hits both alike
        host.append(await cpu_per_call(platform, calls, seconds, relay=False))
        relayed.append(await cpu_per_call(platform, calls, seconds, relay=True))
    host_cpu = statistics.median(r["cpu_s_per_s_per_call"] for r in host)
    relay_cpu = statistics.median(r["cpu_s_per_s_per_call"] for r in relayed)
    ratio = relay_cpu / host_cpu
    return {"codec": "PCMU", "host_path": host, "relayed": relayed,
            "host_cpu_s_per_s_per_call": round(host_cpu, 4), "relayed_cpu_s_per_s_per_call": round(relay_cpu, 4),
            "host_calls_per_core": round(1 / host_cpu, 2), "relayed_calls_per_core": round(1 / relay_cpu, 2),
            "cpu_ratio_relayed_over_host": round(ratio, 3), "target_ratio": TARGET_RELAY_CPU_RATIO,
            "met": ratio <= TARGET_RELAY_CPU_RATIO}


async def main(window: float, calls: int, seconds: float, rounds: int) -> dict[str, Any]:
    # Protocol delays are emulated network latency for signalling, not what is measured here.
    async with Platform(relay_delay=0.0, browser_relay_delay=0.0) as platform:
        load_before = os.getloadavg()
        quality = await mos_against_loss(platform, window)
        overhead = await relay_overhead(platform, calls, seconds, rounds)
    return {
        "machine": {"cpus": os.cpu_count(), "python": py_platform.python_version(), "platform": py_platform.platform(),
                    "loadavg_at_start": [round(x, 2) for x in load_before],
                    "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "mos_against_loss": quality,
        "relay_overhead": overhead,
    }


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (mos_axis, gaps_axis, cpu_axis) = plt.subplots(1, 3, figsize=(16, 4.5))
    for name, points in result["mos_against_loss"]["curves"].items():
        losses = [p["loss_measured_percent"] for p in points]
        style = "--" if "aiortc" in name else "-"
        if "aiortc" not in name:
            mos_axis.plot(losses, [p["mos"] for p in points], style, marker="o", label=name)
        gaps_axis.plot([p["loss_set_percent"] for p in points], [p["gaps_percent"] for p in points], style,
                       marker="o", label=name)
    mos_axis.set(title="E-model MOS against measured loss (relayed calls)", xlabel="packet loss, %",
                 ylabel="MOS (ITU-T G.107, simplified)", ylim=(1, 4.6))
    gaps_axis.plot([0, max(LOSSES)], [0, max(LOSSES)], ":", color="#9e9e9e", label="gaps = loss")
    gaps_axis.set(title="audio not played against loss set", xlabel="packet loss set, %", ylabel="playout gaps, %")
    overhead = result["relay_overhead"]
    bars = [overhead["host_cpu_s_per_s_per_call"], overhead["relayed_cpu_s_per_s_per_call"]]
    cpu_axis.bar(["host path", "relayed"], bars, color=["#9e9e9e", "#1f77b4"])
    for x, value in enumerate(bars):
        cpu_axis.annotate(f"{value:.3f} ({1 / value:.1f} calls/core)", (x, value), ha="center", va="bottom",
                          fontsize=8)
    cpu_axis.set(title=f"CPU per call: relayed / host = {overhead['cpu_ratio_relayed_over_host']:.2f} "
                       f"(target <= {TARGET_RELAY_CPU_RATIO})", ylabel="CPU s per s of two-way PCMU call")
    for axis in (mos_axis, gaps_axis):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=6.0, help="seconds of each loss measurement")
    parser.add_argument("--calls", type=int, default=4, help="concurrent calls of the overhead measurement")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of each overhead window")
    parser.add_argument("--rounds", type=int, default=2, help="host/relayed windows, alternated")
    args = parser.parse_args()
    result = asyncio.run(main(args.window, args.calls, args.seconds, args.rounds))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, OUT.with_suffix(".png"))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run()
