"""The main job (``make run``): the emulated platform in-process with one client of each product.

It starts the platform on 127.0.0.1, signs a CPaaS user in and subscribes her to every service,
connects a Link user, lets both keep their websockets alive, forces a websocket drop on the
platform side, waits until both clients are back, proves a notification still reaches each of
them, and prints what happened along the way. It exits non-zero if any step did not happen.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import sdk.cpaas
import sdk.link
from fake_platform import Platform

from .recorder import EventRecorder


class Narrator:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def say(self, who: str, what: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.3f} s] {who:<8} {what}", flush=True)


async def main_job(ping_interval_ms: int = 1000, keepalive_seconds: float = 3.0) -> int:
    story = Narrator()
    async with Platform() as platform:
        story.say("platform", f"serving {platform.url} (control plane {platform.url}/_platform/)")
        alice = await platform.users.create()
        bob = await platform.users.create()
        story.say("platform", f"users {alice.user_id} (CPaaS) and {bob.user_id} (Link) created with Faker")

        connectivity = {"checkConnectivity": True, "method": {"type": "pingPong"},
                        "pingInterval": ping_interval_ms, "reconnectDelay": 500}
        cpaas = sdk.cpaas.create(platform.sdk_config(alice, product="cpaas", connectivity=connectivity,
                                                     logs={"logLevel": "warn"}))
        link = sdk.link.create(platform.sdk_config(product="link", logs={"logLevel": "warn"},
                                                   connectivity={"pingInterval": ping_interval_ms,
                                                                 "reconnectDelay": 500}))
        recorders = {"cpaas": EventRecorder(cpaas, "alice"), "link": EventRecorder(link, "bob")}
        for name, client in (("alice", cpaas), ("bob", link)):
            client.on("ws:change", lambda p, n=name: story.say(n, f"ws:change {p['state']}"))

        cpaas.setTokens(await platform.tokens_for(alice, sdk_form=True))
        story.say("alice", "tokens from POST /cpaas/auth/v1/token given to setTokens")
        await cpaas.services.subscribe(["call", "chat", "presence", "smsinbound"])
        story.say("alice", f"subscribed to {cpaas.services.getSubscriptions()['subscribed']}")
        info = await link.connect({"username": bob.user_id, "password": bob.password})
        story.say("bob", f"Link user subscription for {info['services']}")

        await asyncio.sleep(keepalive_seconds)  # the demo's purpose: let keepalives run for a while
        pings = platform.journal(kind="ws-in")
        story.say("platform", f"{len(pings)} keepalive frames received in {keepalive_seconds:.0f} s "
                              f"(CPaaS connCheck/connAck, Link message_type ping)")

        marks = {k: r.mark for k, r in recorders.items()}
        dropped = await platform.drop_sockets(code=1006)
        story.say("platform", f"dropped {dropped} websockets (abnormal closure, no close frame)")
        for key, recorder in recorders.items():
            back = await recorder.wait_event("ws:change", lambda p: p["state"] == "connected" and p.get("reconnect"),
                                             timeout=15, since=marks[key])
            story.say(recorder.name, f"reconnected {back.params.get('downtime', 0) * 1000:.0f} ms after the drop")

        delivered = platform.notify(alice.user_id, {"demoNotification": {"n": 1}}, product="cpaas")
        delivered += platform.notify(bob.user_id, {"eventType": "demo", "n": 1}, product="link")
        for recorder in recorders.values():
            await recorder.wait("notification:received", lambda p: "demo" in str(p.get("payload")), timeout=5)
        story.say("platform", f"{delivered} notifications pushed after the reconnect reached both clients")

        await cpaas.services.unsubscribe(["call", "chat", "presence", "smsinbound"])
        await link.disconnect()
        story.say("platform", f"unsubscribed; {len(platform.channels())} channels left")
        await asyncio.gather(cpaas.aclose(), link.aclose())
        errors = [e for e in platform.journal(kind="http") if e["status"] >= 500]
        story.say("platform", f"{len(platform.journal(kind='http'))} requests journaled, {len(errors)} server errors")
        return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ping-interval-ms", type=int, default=1000)
    parser.add_argument("--keepalive-seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    try:
        return asyncio.run(main_job(args.ping_interval_ms, args.keepalive_seconds))
    except (TimeoutError, AssertionError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
