"""The sync bridge inside a gevent-patched process (as in Locust), run in a subprocess.

gevent's monkey-patching must not reach the pytest process, so the probe is a child process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import asyncio, json, socket, time
    import gevent
    from sdk.bridge import SyncBridge

    bridge = SyncBridge()
    greenlets = [gevent.spawn(bridge.run, asyncio.sleep(0.05, result=i), 5) for i in range(200)]
    gevent.joinall(greenlets, timeout=10)
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.01)) for _ in range(10)])
    bridge.run(asyncio.sleep(0.2), 5)  # the hub keeps running other greenlets meanwhile

    async def resolve():  # run_in_executor: needs native threads, not greenlets of an idle hub
        return (await asyncio.get_running_loop().getaddrinfo("localhost", 80, type=socket.SOCK_STREAM))[0][4][0]

    started = time.monotonic()
    try:
        bridge.run(asyncio.sleep(1), timeout=0.05)
        timed_out = False
    except TimeoutError:
        timed_out = True
    print(json.dumps({
        "results": sum(g.value for g in greenlets),
        "ticks": len(ticks),
        "resolved": bridge.run(resolve(), 5),
        "timed_out": timed_out,
        "timeout_s": time.monotonic() - started,
    }))
""")


def test_bridge_under_gevent_waits_cooperatively_and_resolves_host_names() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["results"] == sum(range(200))
    assert report["ticks"] == 10
    assert report["resolved"] in ("127.0.0.1", "::1")
    assert report["timed_out"] and report["timeout_s"] < 1
