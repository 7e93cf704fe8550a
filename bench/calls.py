"""Call benchmark: setup time and media cost through the SDK and the platform, beside raw aiortc.

Measured in one run, on this machine, for the same work:

* setup: from ``call.make`` until remote media frames arrive at both ends (and, for the SDK, until
  both calls report Connected), against a raw aiortc pair doing offer/answer in-process until the
  same first frames arrive;
* media CPU: process CPU seconds per second of two-way PCMU audio per call, SDK calls against raw
  aiortc pairs;
* concurrency: N simultaneous two-way audio calls through the SDK, and the share of the expected
  audio frames (50 per second per direction) that was delivered;
* DTMF: random sequences sent to the IVR endpoint out of band (RFC 4733) and in band, digits sent
  against digits the IVR detected.

Writes reports/bench/calls.json. Usage: ``python bench/calls.py [--calls 8] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as py_platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender

import sdk.cpaas
from fake_platform import Platform
from kandy_media import compat
from kandy_media.sources import ToneSource
from kandy_testing.recorder import EventRecorder

OUT = Path(__file__).resolve().parent.parent / "reports" / "bench" / "calls.json"
FRAMES_PER_SECOND = 50


# -- raw aiortc ---------------------------------------------------------------------------------
class RawPair:
    """Two RTCPeerConnections exchanging PCMU tones in-process, with the same loopback ICE as the SDK."""

    def __init__(self) -> None:
        self.a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.frames = {"a": 0, "b": 0}
        self.first = {"a": asyncio.Event(), "b": asyncio.Event()}
        self.tasks: list[asyncio.Task[None]] = []
        self.sources = [ToneSource(440), ToneSource(660)]

    async def setup(self) -> None:
        pcmu = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType == "audio/PCMU"]
        for pc, name, source in ((self.a, "a", self.sources[0]), (self.b, "b", self.sources[1])):
            pc.addTrack(source)
            pc.on("track", lambda track, n=name: self.tasks.append(asyncio.ensure_future(self._drain(track, n))))
        for transceiver in self.a.getTransceivers():
            transceiver.setCodecPreferences(pcmu)
        compat.install()
        with compat.host_addresses(["127.0.0.1"]):
            await self.a.setLocalDescription(await self.a.createOffer())
            await self.b.setRemoteDescription(self.a.localDescription)
            await self.b.setLocalDescription(await self.b.createAnswer())
            await self.a.setRemoteDescription(self.b.localDescription)

    async def _drain(self, track: Any, name: str) -> None:
        while True:
            try:
                await track.recv()
            except Exception:
                return
            self.frames[name] += 1
            self.first[name].set()

    async def flowing(self) -> None:
        await asyncio.wait_for(asyncio.gather(self.first["a"].wait(), self.first["b"].wait()), 20)

    async def close(self) -> None:
        for source in self.sources:
            source.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(self.a.close(), self.b.close())


# -- through the SDK ----------------------------------------------------------------------------
class SdkCall:
    def __init__(self, caller: Any, callee: Any) -> None:
        self.caller, self.callee = caller, callee
        self.ids: dict[str, str] = {}

    async def setup(self, callee_user: str) -> dict[str, float]:
        start = time.perf_counter()
        caller, callee = self.caller, self.callee
        mark_a, mark_b = caller.recorder.mark, callee.recorder.mark
        self.ids["a"] = caller.call.make(callee_user, {"audio": True})
        received = await callee.recorder.wait("call:receive", since=mark_b, timeout=20)
        self.ids["b"] = received["callId"]
        await callee.recorder.wait("call:stateChange", lambda p: callee.call.getById(self.ids["b"])["state"] ==
                                   "Ringing", since=mark_b, timeout=20)
        await callee.call.answer(self.ids["b"], {"audio": True})
        await caller.recorder.wait("call:stateChange", lambda p: caller.call.getById(self.ids["a"])["state"] ==
                                   "Connected", since=mark_a, timeout=20)
        connected = time.perf_counter() - start
        for name, client in (("a", caller), ("b", callee)):
            client.media.renderTracks(client.call.getById(self.ids[name])["remoteTracks"], f"#bench-{name}")
        for name, client in (("a", caller), ("b", callee)):
            await client.media.getContainer(f"#bench-{name}").wait_until(lambda c: c.frames > 0, 20)
        return {"connected": connected, "flowing": time.perf_counter() - start}

    def frames(self) -> int:
        return self.caller.media.getContainer("#bench-a").frames + self.callee.media.getContainer("#bench-b").frames

    async def close(self) -> None:
        await self.caller.call.end(self.ids["a"])


async def make_client(platform: Platform, codec: str = "PCMU", relay: bool = False) -> Any:
    """A CPaaS client of our SDK signed in and subscribed to calls, sending ``codec`` (through the
    platform's TURN relay with ``relay``), with an event recorder and its account."""
    user = await platform.users.create()
    client = sdk.cpaas.create(platform.sdk_config(user, product="cpaas", relay=relay, runtime={"codecs": [codec]},
                                                  logs={"logLevel": "warn"}))
    client.recorder = EventRecorder(client)
    client.account = user
    client.setTokens(await platform.tokens_for(user, sdk_form=True))
    await client.services.subscribe(["call"])
    return client


# -- measurements -------------------------------------------------------------------------------
async def measure_setup(platform: Platform, rounds: int) -> dict[str, Any]:
    raw, connected, flowing = [], [], []
    for _ in range(rounds):
        pair = RawPair()
        start = time.perf_counter()
        await pair.setup()
        await pair.flowing()
        raw.append(time.perf_counter() - start)
        await pair.close()
        caller, callee = await make_client(platform), await make_client(platform)
        call = SdkCall(caller, callee)
        timings = await call.setup(callee.account.user_id)
        connected.append(timings["connected"])
        flowing.append(timings["flowing"])
        await call.close()
        await asyncio.gather(caller.aclose(), callee.aclose())
    raw_p50, sdk_p50 = statistics.median(raw), statistics.median(flowing)
    return {
        "rounds": rounds,
        "raw_aiortc_first_media_s": {"p50": round(raw_p50, 4), "max": round(max(raw), 4)},
        "sdk_connected_s": {"p50": round(statistics.median(connected), 4), "max": round(max(connected), 4)},
        "sdk_first_media_both_ends_s": {"p50": round(sdk_p50, 4), "max": round(max(flowing), 4)},
        "ratio_first_media_sdk_over_raw": round(sdk_p50 / raw_p50, 3),
        "target_ratio": 1.5,
    }


async def measure_cpu(platform: Platform, calls: int, seconds: float) -> dict[str, Any]:
    pairs = [RawPair() for _ in range(calls)]
    for pair in pairs:
        await pair.setup()
    await asyncio.gather(*(p.flowing() for p in pairs))
    raw_cpu, raw_frames = await window(lambda: sum(sum(p.frames.values()) for p in pairs), seconds)
    for pair in pairs:
        await pair.close()
    clients = [await make_client(platform) for _ in range(2 * calls)]
    sdk_calls = [SdkCall(clients[2 * i], clients[2 * i + 1]) for i in range(calls)]
    for call in sdk_calls:
        await call.setup(call.callee.account.user_id)
    sdk_cpu, sdk_frames = await window(lambda: sum(c.frames() for c in sdk_calls), seconds)
    for call in sdk_calls:
        await call.close()
    await asyncio.gather(*(c.aclose() for c in clients))
    expected = 2 * calls * FRAMES_PER_SECOND * seconds
    raw_per_call = raw_cpu / seconds / calls
    sdk_per_call = sdk_cpu / seconds / calls
    return {
        "calls": calls, "seconds": seconds, "codec": "PCMU",
        "raw_aiortc_cpu_s_per_s_per_call": round(raw_per_call, 4),
        "sdk_cpu_s_per_s_per_call": round(sdk_per_call, 4),
        "cpu_ratio_sdk_over_raw": round(sdk_per_call / raw_per_call, 3),
        "raw_frames_delivered_share": round(raw_frames / expected, 4),
        "sdk_frames_delivered_share": round(sdk_frames / expected, 4),
        "target_cpu_within": 0.10,
    }


async def window(frames: Any, seconds: float) -> tuple[float, int]:
    cpu0, f0 = time.process_time(), frames()
    await asyncio.sleep(seconds)  # the measurement window itself
    return time.process_time() - cpu0, frames() - f0


async def measure_dtmf(platform: Platform, sequences: int) -> dict[str, Any]:
    """Random DTMF sequences to the IVR, out of band (RFC 4733) and in band: digits sent vs heard."""
    rng = random.Random(4733)
    result: dict[str, Any] = {"sequences": sequences, "duration_ms": 60, "gap_ms": 50}
    client = await make_client(platform)
    for mode, endpoint in (("rfc4733", "ivr@example.com"), ("inband", "ivr-inband@example.com")):
        call_id = client.call.make(endpoint, {"audio": True})
        await client.recorder.wait("call:stateChange", lambda p, c=call_id: client.call.getById(c)["state"] ==
                                   "Connected", timeout=20)
        session = client.call.engine.get(call_id).session_id
        sent = ""
        for _ in range(sequences):
            tones = "".join(rng.choice("0123456789#*") for _ in range(rng.randint(3, 6)))
            await client.call.sendDTMF(call_id, tones, 60, 50)
            sent += tones
        heard = await platform.wait_endpoint_digits(session, len(sent), timeout=30)
        correct = sum(1 for a, b in zip(sent, heard, strict=False) if a == b)
        result[mode] = {"digits_sent": len(sent), "digits_heard": len(heard), "digits_correct": correct,
                        "accuracy": round(correct / len(sent), 4),
                        "detected_as": platform.endpoint_calls(session)[0]["dtmfMode"]}
        await client.call.end(call_id)
    await client.aclose()
    result["target_accuracy"] = 1.0
    return result


async def main(calls: int, seconds: float, rounds: int, dtmf_sequences: int) -> dict[str, Any]:
    # The platform's relay delay (50 ms by default, 250 ms for browsers, so automated far ends cannot overtake a
    # browser's own responses) is emulated network latency, not a cost of the SDK or the platform:
    # the setup comparison with raw aiortc runs without it, and says so.
    async with Platform(relay_delay=0.0, browser_relay_delay=0.0) as platform:  # Timings fields
        setup = await measure_setup(platform, rounds)
        single = await measure_cpu(platform, 1, seconds)
        concurrent = await measure_cpu(platform, calls, seconds)
        dtmf = await measure_dtmf(platform, dtmf_sequences)
    return {
        "machine": {"cpus": os.cpu_count(), "python": py_platform.python_version(),
                    "platform": py_platform.platform()},
        "setup": {**setup, "platform_relay_delay_s": 0.0},
        "media_cpu_one_call": single,
        "concurrent_calls": concurrent,
        "dtmf": dtmf,
    }


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--dtmf-sequences", type=int, default=100)
    args = parser.parse_args()
    result = asyncio.run(main(args.calls, args.seconds, args.rounds, args.dtmf_sequences))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(OUT.read_text()) if OUT.exists() else {}
    existing.update(result)
    OUT.write_text(json.dumps(existing, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run()
