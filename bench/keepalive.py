"""Server CPU per keepalive: the platform with its defaults beside the plain echo server, one run.

The capacity search of bench/load.py (a) needs a quiet machine to find each server's cliff; the cost
of one keepalive is what sets that cliff (a CPU-bound server holds about 1 / cost channels a second)
and a busy machine disturbs it much less. So this measures just that: each server in turn holds
``--channels`` notification channels (the same lightweight load.capacity clients, connCheck every
second), and its CPU over a ``--seconds`` window is divided by the keepalives it answered. Servers:
the plain aiohttp echo server (the baseline), the platform with its defaults (journal on, heap
frozen every 5 s), the same on uvloop, and the platform as load runs serve it (no journal). Rounds
alternate the order; the ratio is echo's cost over the server's (capacity ~ 1 / cost), per round.

    .venv/bin/python bench/keepalive.py [--channels 2000] [--seconds 8] [--rounds 3]

Writes reports/bench/keepalive.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import CpuMonitor, Server, machine, measure_step, wait_quiet  # noqa: E402

REPORT = ROOT / "reports" / "bench" / "keepalive.json"
SERVERS = ("echo", "platform-defaults", "platform-defaults-uvloop", "platform")
TARGET_RATIO = 0.9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window per server and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default=",".join(SERVERS), help="which servers (echo always)")
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    kinds = ["echo", *(k for k in SERVERS if k != "echo" and k in args.servers.split(","))]
    monitor = CpuMonitor().start()
    servers = [Server(kind, monitor, args.out.parent) for kind in kinds]
    rounds: list[dict[str, Any]] = []
    try:
        for server in servers:
            server.ask({"pause": True})
        quiet = wait_quiet(max_wait=30)
        for n in range(args.rounds):
            order = servers if n % 2 == 0 else list(reversed(servers))
            steps = {server.kind: measure_step(server, args.channels, args.seconds, monitor) for server in order}
            cost = {kind: step["server_us_per_keepalive"] for kind, step in steps.items()}
            echo = cost["echo"]
            rounds.append({
                "us_per_keepalive": cost,
                "echo_cost_over_server_cost": {kind: round(echo / c, 3) for kind, c in cost.items()
                                               if c and echo and kind != "echo"},
                "missed_rate": {kind: step["missed_rate"] for kind, step in steps.items()},
                "others_cores": {kind: step["others_cores"] for kind, step in steps.items()},
                "load_average": os.getloadavg(),
                "steps": steps,
            })
            print(f"round {n + 1}: {json.dumps(rounds[-1]['us_per_keepalive'])} "
                  f"ratios {json.dumps(rounds[-1]['echo_cost_over_server_cost'])}", flush=True)
    finally:
        for server in servers:
            server.close()
        monitor.stop()
    summary = {
        "us_per_keepalive": {kind: _spread([r["us_per_keepalive"][kind] for r in rounds]) for kind in kinds},
        "echo_cost_over_server_cost": {kind: _spread([r["echo_cost_over_server_cost"][kind] for r in rounds
                                                      if kind in r["echo_cost_over_server_cost"]])
                                       for kind in kinds if kind != "echo"},
    }
    defaults = summary["echo_cost_over_server_cost"].get("platform-defaults", {}).get("median")
    report = {
        "benchmark": f"server CPU per keepalive at {args.channels} channels (connCheck every 1 s), each server "
                     "beside the plain aiohttp echo server, measured in turn in one run",
        "method": "one Server per kind as bench/load.py (a) builds it (two load.capacity client processes each); "
                  f"per round, each server's channels resumed, 2 s settle, a {args.seconds} s window of its CPU "
                  "(psutil) over the keepalives answered; rounds alternate the order",
        "baseline": "echo: the plain aiohttp websocket echo server (load/capacity.py)",
        "config": {"channels": args.channels, "seconds": args.seconds, "rounds": args.rounds, "servers": kinds},
        "environment": machine(), "others_cores_at_start": quiet,
        "target": {"echo_cost_over_defaults_cost_min": TARGET_RATIO},
        "summary": summary,
        "met": bool(defaults is not None and defaults >= TARGET_RATIO),
        "rounds": rounds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"summary": summary, "met": report["met"]}, indent=2))
    return 0


def _spread(values: list[float | None]) -> dict[str, float | None]:
    known = [v for v in values if v is not None]
    if not known:
        return {"median": None, "min": None, "max": None}
    return {"median": round(statistics.median(known), 3), "min": min(known), "max": max(known)}


if __name__ == "__main__":
    sys.exit(main())
