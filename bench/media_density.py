"""Concurrent calls with media per core: SDK calls in dense media mode beside raw aiortc, one run.

Every call is two-way PCMU audio on 127.0.0.1, both ends in this process (as a Locust worker's
users calling each other). Three ways, measured in turn (``--repeat`` times), each after its calls
have settled, over a ``--seconds`` window of process CPU time:

* raw aiortc, media as aiortc does it: ``--raw-calls`` pairs of RTCPeerConnections sending
  synthesised tone frames (resampled and encoded per call) and draining decoded frames (the cost
  of a call with media; bench/calls.py measures the SDK's normal calls against it);
* raw aiortc, pre-encoded: ``--calls`` pairs sending the shared G.711 tone as encoded packets and
  counting what arrives (the floor any aiortc-based dense mode can reach);
* the SDK in dense mode through the platform: ``--calls`` calls between SDK clients with
  ``runtime.denseMedia = {verifyEvery: N}``; the verified calls must hear the far end's tone, the
  others must receive their packets.

Calls per core is 1 / (CPU seconds per call-second of media delivered: 50 packets or frames per
second each way). Delivered is the share of the packets (or frames) expected at that rate that
arrived in the window; on a machine busy with other work a process falls behind and sends less,
which is why the cost is counted per media delivered rather than per second of wall time.

    .venv/bin/python bench/media_density.py [--calls 100] [--raw-calls 10] [--verify-every 10]

Writes reports/bench/media_density.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as py_platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sdk.cpaas
from bench.calls import RawPair
from fake_platform import Platform
from kandy_media import compat, dense
from kandy_testing.recorder import EventRecorder

REPORT = Path(__file__).resolve().parents[1] / "reports" / "bench" / "media_density.json"
PACKETS_PER_SECOND = 50
TARGET_CALLS_PER_CORE = 100
SETUP_BATCH = 10
TIMEOUT = 60.0
CALLER_TONE, CALLEE_TONE = 440, 660


# -- raw aiortc, pre-encoded -------------------------------------------------------------------------
class PreEncodedPair:
    """Two RTCPeerConnections sending the shared encoded tone and counting the packets that arrive."""

    def __init__(self) -> None:
        self.a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.sources = [dense.SharedToneSource(CALLER_TONE), dense.SharedToneSource(CALLEE_TONE)]
        self.counts: list[dense.PacketCount] = []

    async def setup(self) -> None:
        pcmu = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType == "audio/PCMU"]
        for pc, source in ((self.a, self.sources[0]), (self.b, self.sources[1])):
            pc.addTrack(source)
            transceiver = pc.getTransceivers()[0]
            source.bind(transceiver)
            pc.on("track", lambda _track, t=transceiver: self.counts.append(dense.count_packets(t)))
        self.a.getTransceivers()[0].setCodecPreferences(pcmu)
        compat.install()
        with compat.host_addresses(["127.0.0.1"]):
            await self.a.setLocalDescription(await self.a.createOffer())
            await self.b.setRemoteDescription(self.a.localDescription)
            await self.b.setLocalDescription(await self.b.createAnswer())
            await self.a.setRemoteDescription(self.b.localDescription)

    def received(self) -> int:
        return sum(c.packets for c in self.counts)

    async def close(self) -> None:
        for source in self.sources:
            source.stop()
        await asyncio.gather(self.a.close(), self.b.close())


# -- the SDK, dense ----------------------------------------------------------------------------------
class DenseSdkCall:
    def __init__(self, caller: Any, callee: Any) -> None:
        self.caller, self.callee = caller, callee
        self.ids: dict[str, str] = {}

    async def setup(self) -> None:
        caller, callee = self.caller, self.callee
        mark = callee.recorder.mark
        self.ids["a"] = caller.call.make(callee.account.user_id, {"audio": True})
        received = await callee.recorder.wait("call:receive", since=mark, timeout=TIMEOUT)
        self.ids["b"] = received["callId"]
        await callee.recorder.wait("call:stateChange", lambda p: callee.call.getById(self.ids["b"])["state"] ==
                                   "Ringing", since=mark, timeout=TIMEOUT)
        await callee.call.answer(self.ids["b"], {"audio": True})
        await caller.recorder.wait("call:stateChange", lambda p: caller.call.getById(self.ids["a"])["state"] ==
                                   "Connected", timeout=TIMEOUT)
        for name, client in (("a", caller), ("b", callee)):
            client.media.renderTracks(client.call.getById(self.ids[name])["remoteTracks"], f"#dense-{name}")

    def containers(self) -> list[tuple[Any, float]]:
        """(container, the tone it should hear) at each end."""
        return [(self.caller.media.getContainer("#dense-a"), CALLEE_TONE),
                (self.callee.media.getContainer("#dense-b"), CALLER_TONE)]

    def received(self) -> int:
        return sum(c.frames for c, _tone in self.containers())

    def verdicts(self) -> list[dict[str, Any]]:
        """Each end: verified ends must hear the far tone, counted ends must have received packets."""
        out = []
        for container, tone in self.containers():
            if container.verified:
                audio = container.audio()
                heard = bool(audio) and audio[0].level_at(tone) > 0.5 and audio[0].rms() > 0.05
                out.append({"verified": True, "ok": heard, "frequency": audio[0].dominant_frequency() if audio else 0})
            else:
                out.append({"verified": False, "ok": container.frames > 0, "packets": container.frames})
        return out

    async def close(self) -> None:
        await self.caller.call.end(self.ids["a"])


async def sdk_client(platform: Platform, tone: int, verify_every: int) -> Any:
    user = await platform.users.create()
    runtime = {"codecs": ["PCMU"], "denseMedia": {"verifyEvery": verify_every},
               "devices": {"microphone": [{"deviceId": "mic", "label": f"{tone} Hz", "frequency": tone}]}}
    client = sdk.cpaas.create(platform.sdk_config(user, product="cpaas", runtime=runtime, logs={"logLevel": "warn"}))
    client.recorder = EventRecorder(client)
    client.account = user
    client.setTokens(await platform.tokens_for(user, sdk_form=True))
    await client.services.subscribe(["call"])
    return client


# -- measuring -----------------------------------------------------------------------------------------
async def window(received: Callable[[], int], calls: int, seconds: float) -> dict[str, Any]:
    """Process CPU and what arrived over ``seconds`` (the measurement window itself is a sleep)."""
    cpu0, got0, t0 = time.process_time(), received(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu, got, elapsed = time.process_time() - cpu0, received() - got0, time.perf_counter() - t0
    delivered = got / (2 * calls * PACKETS_PER_SECOND * elapsed)
    # Per call-second of media that arrived: a process that falls behind (a busy machine) sends and
    # receives less, and its CPU per call-second of wall time would flatter it.
    per_call = cpu / (got / (2 * PACKETS_PER_SECOND)) if got else float("inf")
    return {"calls": calls, "window_s": round(elapsed, 2), "process_cores": round(cpu / elapsed, 3),
            "cpu_s_per_s_per_call": round(per_call, 5), "calls_per_core": round(1 / per_call, 1),
            "cpu_s_per_wall_s_per_call": round(cpu / elapsed / calls, 5),
            "delivered_share": round(delivered, 4)}


async def raw_normal(calls: int, settle: float, seconds: float) -> dict[str, Any]:
    pairs = [RawPair() for _ in range(calls)]
    for pair in pairs:
        await pair.setup()
    await asyncio.gather(*(p.flowing() for p in pairs))
    await asyncio.sleep(settle)
    result = await window(lambda: sum(sum(p.frames.values()) for p in pairs), calls, seconds)
    for pair in pairs:
        await pair.close()
    return result


async def raw_pre_encoded(calls: int, settle: float, seconds: float) -> dict[str, Any]:
    pairs = [PreEncodedPair() for _ in range(calls)]
    for start in range(0, calls, SETUP_BATCH):
        await asyncio.gather(*(p.setup() for p in pairs[start:start + SETUP_BATCH]))
    await asyncio.sleep(settle)
    result = await window(lambda: sum(p.received() for p in pairs), calls, seconds)
    await asyncio.gather(*(p.close() for p in pairs))
    return result


async def sdk_dense(platform: Platform, calls: int, verify_every: int, settle: float,
                    seconds: float) -> dict[str, Any]:
    clients = []
    for _ in range(calls):
        clients += [await sdk_client(platform, CALLER_TONE, verify_every),
                    await sdk_client(platform, CALLEE_TONE, verify_every)]
    sdk_calls = [DenseSdkCall(clients[2 * i], clients[2 * i + 1]) for i in range(calls)]
    started = time.perf_counter()
    for start in range(0, calls, SETUP_BATCH):
        await asyncio.gather(*(c.setup() for c in sdk_calls[start:start + SETUP_BATCH]))
    setup_s = time.perf_counter() - started
    await asyncio.sleep(settle)
    result = await window(lambda: sum(c.received() for c in sdk_calls), calls, seconds)
    ends = [v for c in sdk_calls for v in c.verdicts()]
    verified = [e for e in ends if e["verified"]]
    result.update({
        "verify_every": verify_every, "setup_s": round(setup_s, 1),
        "verified_ends": len(verified), "verified_ends_hearing_the_tone": sum(e["ok"] for e in verified),
        "counted_ends": len(ends) - len(verified),
        "counted_ends_receiving": sum(e["ok"] for e in ends if not e["verified"]),
    })
    for call in sdk_calls:
        await call.close()
    await asyncio.gather(*(c.aclose() for c in clients))
    return result


def _median(runs: list[dict[str, Any]], key: str) -> dict[str, float]:
    values = [r[key] for r in runs]
    return {"median": round(statistics.median(values), 5), "min": min(values), "max": max(values)}


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="dense and pre-encoded calls")
    parser.add_argument("--raw-calls", type=int, default=10, help="raw aiortc calls with media as aiortc does it")
    parser.add_argument("--verify-every", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    runs = []
    async with Platform(relay_delay=0.0, browser_relay_delay=0.0) as platform:
        for n in range(args.repeat):
            run = {"raw_aiortc": await raw_normal(args.raw_calls, args.settle, args.seconds),
                   "raw_aiortc_pre_encoded": await raw_pre_encoded(args.calls, args.settle, args.seconds),
                   "sdk_dense": await sdk_dense(platform, args.calls, args.verify_every, args.settle, args.seconds),
                   "load_average": os.getloadavg()}
            dense_run, raw_run, floor = run["sdk_dense"], run["raw_aiortc"], run["raw_aiortc_pre_encoded"]
            run["ratios"] = {
                "calls_per_core_sdk_dense_over_raw_aiortc": round(
                    dense_run["calls_per_core"] / raw_run["calls_per_core"], 2),
                "cpu_per_call_sdk_dense_over_pre_encoded": round(
                    dense_run["cpu_s_per_s_per_call"] / floor["cpu_s_per_s_per_call"], 3),
            }
            runs.append(run)
            print(f"run {n + 1}: " + json.dumps({k: run[k]["calls_per_core"] for k in
                                                 ("raw_aiortc", "raw_aiortc_pre_encoded", "sdk_dense")}), flush=True)
    dense_runs = [r["sdk_dense"] for r in runs]
    summary = {
        "sdk_dense_calls_per_core": _median(dense_runs, "calls_per_core"),
        "raw_aiortc_calls_per_core": _median([r["raw_aiortc"] for r in runs], "calls_per_core"),
        "raw_aiortc_pre_encoded_calls_per_core": _median([r["raw_aiortc_pre_encoded"] for r in runs], "calls_per_core"),
        "ratio_sdk_dense_over_raw_aiortc": _median([r["ratios"] for r in runs],
                                                   "calls_per_core_sdk_dense_over_raw_aiortc"),
        "ratio_cpu_sdk_dense_over_pre_encoded": _median([r["ratios"] for r in runs],
                                                        "cpu_per_call_sdk_dense_over_pre_encoded"),
        "sdk_dense_delivered_share": _median(dense_runs, "delivered_share"),
        "sdk_dense_process_cores_at_calls": _median(dense_runs, "process_cores"),
        "every_verified_end_heard_its_tone": all(r["verified_ends_hearing_the_tone"] == r["verified_ends"]
                                                 for r in dense_runs),
        "every_counted_end_received": all(r["counted_ends_receiving"] == r["counted_ends"] for r in dense_runs),
    }
    summary["met"] = bool(summary["sdk_dense_calls_per_core"]["median"] >= TARGET_CALLS_PER_CORE
                          and summary["sdk_dense_delivered_share"]["min"] >= 0.98
                          and summary["every_verified_end_heard_its_tone"] and summary["every_counted_end_received"])
    report = {
        "benchmark": "concurrent two-way PCMU calls with media per core",
        "config": {"calls": args.calls, "raw_calls": args.raw_calls, "verify_every": args.verify_every,
                   "seconds": args.seconds, "settle_s": args.settle, "repeat": args.repeat},
        "environment": {"python": py_platform.python_version(), "cpus": os.cpu_count(),
                        "machine": py_platform.machine()},
        "target": {"calls_per_core_min": TARGET_CALLS_PER_CORE, "delivered_share_min": 0.98},
        "summary": summary,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
