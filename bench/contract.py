"""Cost of validating traffic against the contract: the same requests and frames with
``contract=True`` and without, in one run.

Requests: ``--rounds`` rounds of a CPaaS mix over real HTTP on 127.0.0.1 (create a channel,
subscribe chat, send a chat message to a second user, read the history, publish presence, an
invalid request answered 400). Frames: ``--frames`` chat notifications published to a user whose
socket is open, until the client has read them all. Each variant runs on its own fresh platform;
the order alternates (off, on, off, on) and the best of each is kept. The one-off cost (loading
the documents and compiling the validators) is measured apart.

    .venv/bin/python bench/contract.py [--rounds 300] [--frames 3000]

Writes reports/bench/contract.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_platform import Platform

REPORT = Path(__file__).resolve().parents[1] / "reports" / "bench" / "contract.json"


async def _requests(contract: bool, rounds: int) -> float:
    async with Platform(contract=contract) as platform, aiohttp.ClientSession() as http:
        alice, bob = await platform.users.create(), await platform.users.create()
        tokens = await platform.tokens_for(alice)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        base = f"{platform.url}/cpaas"
        me = alice.user_id
        started = time.perf_counter()
        for n in range(rounds):
            async with http.post(f"{base}/notificationchannel/v1/{me}/channels", headers=auth,
                                 json={"notificationChannel": {"channelType": "Websockets"}}) as resp:
                channel = (await resp.json())["notificationChannel"]
            async with http.post(f"{base}/chat/v1/{me}/subscriptions", headers=auth, json={
                    "chatNotificationSubscription": {"callbackReference": {"notifyURL": channel["callbackURL"]}}}):
                pass
            async with http.post(f"{base}/chat/v1/{me}/oneToOne/{bob.user_id}/adhoc/messages", headers=auth,
                                 json={"chatMessage": {"text": f"hello {n}"}}) as resp:
                assert resp.status == 201
            async with http.get(f"{base}/chat/v1/{me}/oneToOne/{bob.user_id}/adhoc/messages?max=5",
                                headers=auth) as resp:
                assert resp.status == 200
            async with http.post(f"{base}/presence/v1/{me}/presenceSources", headers=auth, json={"presenceSource": {
                    "presence": {"person": {"overriding-willingness": {"overridingWillingnessValue": "Open"},
                                            "activities": {"activityValue": "Available"}}}}}) as resp:
                assert resp.status == 201
            async with http.post(f"{base}/webrtcsignaling/v1/{me}/turn", headers=auth, json={"x": 1}) as resp:
                assert resp.status == 400
            async with http.delete(f"{base}/notificationchannel/v1/{me}/channels/{channel['callbackURL']}",
                                   headers=auth) as resp:
                assert resp.status == 204
        return time.perf_counter() - started


async def _frames(contract: bool, count: int) -> float:
    async with Platform(contract=contract, journal=False) as platform, aiohttp.ClientSession() as http:
        alice = await platform.users.create()
        tokens = await platform.tokens_for(alice)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = alice.user_id
        async with http.post(f"{platform.url}/cpaas/notificationchannel/v1/{me}/channels", headers=auth,
                             json={"notificationChannel": {"channelType": "Websockets"}}) as resp:
            channel = (await resp.json())["notificationChannel"]
        async with http.post(f"{platform.url}/cpaas/chat/v1/{me}/subscriptions", headers=auth, json={
                "chatNotificationSubscription": {"callbackReference": {"notifyURL": channel["callbackURL"]}}}):
            pass
        url = f"{platform.ws_url}{channel['channelData']['channelURL']}?access_token={tokens['access_token']}"
        async with http.ws_connect(url) as ws:
            frame = {"chatMessageNotification": {
                "chatMessage": {"senderAddress": "bob@example.com", "x-destinationAddress": me, "dateTime": 1.0,
                                "x-type": "inbound", "text": "x" * 200},
                "link": [{"rel": "chatMessage", "href": f"/cpaas/chat/v1/{me}/oneToOne/bob/adhoc/messages/m-1"},
                         {"rel": "chatSession", "href": f"/cpaas/chat/v1/{me}/oneToOne/bob/adhoc"}]}}
            started = time.perf_counter()
            for _ in range(count):
                platform.state.cpaas_channels.notify(me, "chat", frame)  # the platform's own frames
            for _ in range(count):
                await ws.receive_json(timeout=30)
            return time.perf_counter() - started


def _compile_cost() -> float:
    from fake_platform.contract import documents, validator

    started = time.perf_counter()
    documents.openapi()
    documents.asyncapi()
    for operation in validator.iter_operations():
        assert operation.key
    validator.asyncapi_contract()
    return time.perf_counter() - started


async def main(rounds: int, frames: int) -> dict[str, Any]:
    compile_s = _compile_cost()
    results: dict[str, list[float]] = {"requests_off": [], "requests_on": [], "frames_off": [], "frames_on": []}
    for _ in range(2):
        for contract in (False, True):
            results[f"requests_{'on' if contract else 'off'}"].append(await _requests(contract, rounds))
            results[f"frames_{'on' if contract else 'off'}"].append(await _frames(contract, frames))
    best = {key: min(values) for key, values in results.items()}
    per_request = {k: best[f"requests_{k}"] / (rounds * 7) * 1e6 for k in ("off", "on")}
    per_frame = {k: best[f"frames_{k}"] / frames * 1e6 for k in ("off", "on")}
    return {
        "rounds": rounds, "requests": rounds * 7, "frames": frames,
        "first_use_compile_s": round(compile_s, 3),
        "request_us": {k: round(v, 1) for k, v in per_request.items()},
        "request_overhead_us": round(per_request["on"] - per_request["off"], 1),
        "request_ratio": round(per_request["on"] / per_request["off"], 3),
        "frame_us": {k: round(v, 1) for k, v in per_frame.items()},
        "frame_overhead_us": round(per_frame["on"] - per_frame["off"], 1),
        "frame_ratio": round(per_frame["on"] / per_frame["off"], 3),
        "runs_s": {k: [round(x, 3) for x in v] for k, v in results.items()},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--frames", type=int, default=3000)
    args = parser.parse_args()
    report = asyncio.run(main(args.rounds, args.frames))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
