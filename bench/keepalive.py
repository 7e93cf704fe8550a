"""Server CPU per keepalive: the platform with its defaults beside the plain echo server, one run.

The capacity search of bench/load.py (a) needs a quiet machine to find each server's cliff; the cost
of one keepalive is what sets that cliff (a CPU-bound server holds about 1 / cost channels a second)
and a busy machine disturbs it much less. So this measures just that: each server in turn holds
``--channels`` notification channels (the same lightweight load.capacity clients, connCheck every
second), and its CPU over a ``--seconds`` window is divided by the keepalives it answered. Servers:
the plain aiohttp echo server (the baseline), the platform with its defaults (journal on, heap
frozen every 5 s), the same on uvloop, and the platform as load runs serve it (no journal). Rounds
alternate the order; the ratio is echo's cost over the server's (capacity ~ 1 / cost), per round.

    .venv/bin/python bench/keepalive.py [--channels 2000] [--seconds 8] [--rounds 3] [--runs 1]
    .venv/bin/python bench/keepalive.py --profile LABEL   # py-spy of each server under the same load
    .venv/bin/python bench/keepalive.py --calls LABEL     # function calls per keepalive, per server

Writes reports/bench/keepalive.json. ``--profile`` samples each server process with py-spy for
``--seconds`` while its channels keep alive and writes reports/bench/keepalive-profile-<label>-<server>
.svg (flame graph), .json (where the samples were), .txt (py-spy's collapsed stacks) and -top.txt
(the functions with the most samples, by self and inclusive time). ``--calls`` runs each server
under bench/callcount.py (sys.setprofile: counts, not timings) and divides the calls its main
thread made in the window by the keepalives answered: reports/bench/keepalive-calls-<label>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import CpuMonitor, Server, machine, measure_step, wait_quiet  # noqa: E402
from bench.profiling import py_spy  # noqa: E402
from bench.profiling import report as profile_report  # noqa: E402

REPORT = ROOT / "reports" / "bench" / "keepalive.json"
SERVERS = ("echo", "platform-defaults", "platform-defaults-uvloop", "platform")
TARGET_RATIO = 0.9
#: Which side a server's samples belong to (the frame nearest the task the loop ran).
SERVER_SIDES = (
    ("platform", ("/fake_platform/", "/kandy_media/")),
    ("echo server", ("/load/capacity.py",)),
    ("aiohttp", ("/aiohttp/",)),
)
PROFILE_CHANNELS = 2000
CALLS_CHANNELS = 200  # few: the profile hook slows the server down many times over


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window per server and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per run")
    parser.add_argument("--runs", type=int, default=1, help="runs, each with fresh server processes")
    parser.add_argument("--servers", default=",".join(SERVERS), help="which servers (echo always)")
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument("--profile", metavar="LABEL", help="py-spy each server instead (no figures)")
    parser.add_argument("--calls", metavar="LABEL", help="count function calls per keepalive instead")
    args = parser.parse_args(argv)
    kinds = ["echo", *(k for k in SERVERS if k != "echo" and k in args.servers.split(","))]
    if args.profile:
        return profile(kinds, args.profile, args.seconds, args.out.parent)
    if args.calls:
        return count_calls(kinds, args.calls, args.seconds, args.out.parent)
    monitor = CpuMonitor().start()
    rounds: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    try:
        for run in range(args.runs):
            quiet = _run(kinds, args, monitor, run, rounds)
            mine = [r for r in rounds if r["run"] == run + 1]
            runs.append({
                "run": run + 1, "others_cores_at_start": quiet,
                "load_average_at_end": os.getloadavg(),
                "echo_cost_over_server_cost_median": {
                    kind: _spread([r["echo_cost_over_server_cost"].get(kind) for r in mine])["median"]
                    for kind in kinds if kind != "echo"},
            })
    finally:
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
                     "beside the plain aiohttp echo server, measured in turn in each run",
        "method": "per run, one Server per kind as bench/load.py (a) builds it (two load.capacity client processes "
                  f"each), fresh processes; per round, each server's channels resumed, 2 s settle, a {args.seconds} s "
                  "window of its CPU (psutil) over the keepalives answered; rounds alternate the order; the summary "
                  "is over every round of every run (ratios taken within a round)",
        "baseline": "echo: the plain aiohttp websocket echo server (load/capacity.py)",
        "config": {"channels": args.channels, "seconds": args.seconds, "rounds": args.rounds, "runs": args.runs,
                   "servers": kinds},
        "environment": machine(),
        "runs": runs,
        "target": {"echo_cost_over_defaults_cost_min": TARGET_RATIO},
        "summary": summary,
        "met": bool(defaults is not None and defaults >= TARGET_RATIO),
        "rounds": rounds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"summary": summary, "met": report["met"]}, indent=2))
    return 0


def _run(kinds: list[str], args: argparse.Namespace, monitor: CpuMonitor, run: int,
         rounds: list[dict[str, Any]]) -> float:
    """One run: fresh servers, ``args.rounds`` rounds appended to ``rounds``; the machine's busy cores
    (others') when it started."""
    servers = [Server(kind, monitor, args.out.parent) for kind in kinds]
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
                "run": run + 1,
                "us_per_keepalive": cost,
                "echo_cost_over_server_cost": {kind: round(echo / c, 3) for kind, c in cost.items()
                                               if c and echo and kind != "echo"},
                "missed_rate": {kind: step["missed_rate"] for kind, step in steps.items()},
                "others_cores": {kind: step["others_cores"] for kind, step in steps.items()},
                "load_average": os.getloadavg(),
                "steps": steps,
            })
            print(f"run {run + 1} round {n + 1}: {json.dumps(rounds[-1]['us_per_keepalive'])} "
                  f"ratios {json.dumps(rounds[-1]['echo_cost_over_server_cost'])}", flush=True)
    finally:
        for server in servers:
            server.close()
    return quiet


def profile(kinds: list[str], label: str, seconds: float, out: Path) -> int:
    """Sample each server with py-spy while its channels keep alive; flame graph and top functions."""
    exe = py_spy()
    if exe is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    monitor = CpuMonitor().start()
    for kind in kinds:
        server = Server(kind, monitor, out)
        try:
            server.ask({"target": PROFILE_CHANNELS // len(server.clients)})
            server.ask({"pause": False})
            server.ask({"measure": 2.0})  # settle
            stem = out / f"keepalive-profile-{label}-{kind}"
            collapsed = stem.with_suffix(".txt")
            # Not --nonblocking: a server answering thousands of frames a second tears most stacks read
            # without pausing it (the pauses cost the server time, which a profile does not measure).
            subprocess.run([exe, "record", "--pid", str(server.process.pid), "--rate", "1000", "--format", "raw",
                            "--full-filenames", "--duration", str(int(seconds)),
                            "-o", str(collapsed)], check=True, capture_output=True, timeout=seconds + 60)
            summary = profile_report(collapsed, stem.with_suffix(".svg"),
                                     f"{kind}: {PROFILE_CHANNELS} channels, connCheck every 1 s", SERVER_SIDES)
            _write_top(summary, stem.with_name(stem.name + "-top.txt"))
            print(f"{kind}: {summary['samples']} samples, sides {json.dumps(summary['sides_pct'])}", flush=True)
        finally:
            server.close()
    monitor.stop()
    return 0


def _write_top(summary: dict[str, Any], path: Path, top: int = 25) -> None:
    lines = [f"{summary['samples']} samples; sides (% of samples): {json.dumps(summary['sides_pct'])}", ""]
    for what in ("self_pct", "inclusive_pct"):
        lines.append(f"== {what.removesuffix('_pct')} time, % of all samples ==")
        for side, functions in summary[what].items():
            lines.append(f"-- {side}")
            lines += [f"{pct:6.1f}  {name}" for name, pct in list(functions.items())[:top]]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def count_calls(kinds: list[str], label: str, seconds: float, out: Path) -> int:
    """Function calls each server's main thread makes per keepalive answered (bench/callcount.py)."""
    monitor = CpuMonitor().start()
    result: dict[str, Any] = {"channels": CALLS_CHANNELS, "seconds": seconds,
                              "method": "sys.setprofile in the server's main thread over the window (call and "
                                        "c_call events) / keepalives answered (the clients' acks)", "servers": {}}
    for kind in kinds:
        counts_file = out / f"keepalive-calls-{label}-{kind}.tmp.json"
        server = Server(kind, monitor, out, wrap=("-m", "bench.callcount", str(counts_file)))
        try:
            server.ask({"target": CALLS_CHANNELS // len(server.clients)})
            server.ask({"pause": False})
            server.ask({"measure": 2.0})  # settle
            server.process.send_signal(signal.SIGUSR1)
            parts = server.ask({"measure": seconds})
            server.process.send_signal(signal.SIGUSR2)
            deadline = time.monotonic() + 10
            while not counts_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            counts = json.loads(counts_file.read_text(encoding="utf-8"))
            counts_file.unlink()
            acked = sum(p["acked"] for p in parts)
            functions = counts.pop("functions")
            result["servers"][kind] = {
                "acked": acked, "missed": sum(p["missed"] for p in parts), **counts,
                "python_calls_per_keepalive": round(counts["python_calls"] / max(1, acked), 1),
                "c_calls_per_keepalive": round(counts["c_calls"] / max(1, acked), 1),
            }
            print(f"{kind}: {json.dumps(result['servers'][kind])}", flush=True)
            result["servers"][kind]["calls_per_keepalive_by_function"] = {
                name: round(n / max(1, acked), 2) for name, n in functions.items()}
        finally:
            server.close()
    monitor.stop()
    (out / f"keepalive-calls-{label}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _spread(values: list[float | None]) -> dict[str, float | None]:
    known = [v for v in values if v is not None]
    if not known:
        return {"median": None, "min": None, "max": None}
    return {"median": round(statistics.median(known), 3), "min": min(known), "max": max(known)}


if __name__ == "__main__":
    sys.exit(main())
