"""Benchmark of the notification channels under load; writes reports/bench/load.json (and a PNG).

    python bench/load.py                 # all three parts (about 10 minutes on 2 cores)
    python bench/load.py --parts a --quick

(a) Channel capacity: how many notification channels one platform process holds with a keepalive
    every second and under 1 % missed acks, beside a plain aiohttp websocket echo server measured
    the same way in the same run. Lightweight protocol clients (load.capacity: bare asyncio
    protocols, two client processes per server) speak the CPaaS connCheck protocol on real channels.
    The servers are measured in turn at each step (the other fleets paused), so that all see the
    same machine: the plain echo server, the echo server with the heap freeze load runs give the
    platform (fake_platform/core/heap.py), the platform as load runs serve it, and the platform
    with its defaults. Targets: at least 5,000 channels and at least 0.8 of the echo's capacity.
(b) SDK clients per Locust worker: one Locust process (load/locustfile_ramp.py) steps up real SDK
    clients of both products, each pinging every second; a stage passes with under 1 % missed acks
    and every user started.
(c) Storm recovery: 1,000 SDK clients, every socket dropped at once; how long until all are back
    (socket up and a notification through it). Target: within reconnectDelay + 2 s.

The machine is shared: every window records the CPU used by processes that are not ours
("others_cores"), and a failed capacity step is measured once more after a rest. Figures are what
was measured here, nothing is extrapolated; near the cliff (where both vCPUs are busy) capacities
vary by about 2,000 channels between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import checks, metrics, scenarios  # noqa: E402
from load.capacity import raise_fd_limit  # noqa: E402
from load.metrics import read_samples  # noqa: E402
from load.run import LOAD_PLATFORM_ARGS, start_platform, stop_process, subprocess_env  # noqa: E402

MISSED_LIMIT = 0.01
RTT_P95_LIMIT_MS = 500  # (b): half the 1 s ping interval
NOISY_OTHERS = 0.25  # cores used by other processes that make a failed step worth measuring again
CLIENTS_PER_SERVER = 2
#: (a)'s servers and their arguments: the plain echo server the issue compares with, the same echo
#: server with the platform's default GC setting (apples to apples), the platform as load runs
#: serve it (python -m load.run), the platform with its defaults (journal on, heap frozen every
#: 5 s) and the same on uvloop (the optional extra).
KINDS = {
    "echo": [],
    "echo+gc-freeze": ["--gc-freeze", "5"],
    "platform": shlex.split(LOAD_PLATFORM_ARGS),
    "platform-defaults": [],
    "platform-defaults-uvloop": ["--loop", "uvloop"],
}


# -- CPU accounting ---------------------------------------------------------------------------------
class CpuMonitor:
    """Samples the CPU time of our processes and of the whole machine every ``period`` seconds."""

    def __init__(self, period: float = 0.5, max_seconds: float = 3600) -> None:
        self.period = period
        self.max_seconds = max_seconds
        self.samples: list[tuple[float, float, dict[str, float]]] = []
        self._procs: dict[str, psutil.Process] = {"bench": psutil.Process()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="cpu-monitor")

    def watch(self, name: str, pid: int) -> None:
        self._procs[name] = psutil.Process(pid)

    def start(self) -> CpuMonitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.wait(self.period) and time.monotonic() < deadline:
            times = psutil.cpu_times()
            # guest time is already inside user time; idle and iowait are not work
            busy = times.user + times.nice + times.system + sum(
                getattr(times, f, 0.0) for f in ("irq", "softirq", "steal"))
            ours: dict[str, float] = {}
            for name, proc in list(self._procs.items()):
                try:
                    t = proc.cpu_times()
                    ours[name] = t.user + t.system + t.children_user + t.children_system
                except psutil.Error:
                    continue
            self.samples.append((time.time(), busy, ours))

    def window(self, start: float, end: float) -> dict[str, float]:
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        (t0, busy0, ours0), (t1, busy1, ours1) = inside[0], inside[-1]
        dt = t1 - t0
        result = {name: round((ours1[name] - ours0[name]) / dt, 3) for name in ours1 if name in ours0}
        result["machine_cores"] = round((busy1 - busy0) / dt, 3)
        result["others_cores"] = round(max(0.0, result["machine_cores"] - sum(
            v for k, v in result.items() if k != "machine_cores")), 3)
        return result


def others_now(seconds: float = 2.0) -> float:
    """Cores busy right now (call it when none of our processes runs)."""
    return round(psutil.cpu_percent(interval=seconds) / 100 * (psutil.cpu_count() or 1), 3)


def wait_quiet(limit_cores: float = 0.3, max_wait: float = 120.0) -> float:
    """Wait (bounded) for other sessions on this machine to calm down; returns the last reading."""
    deadline = time.monotonic() + max_wait
    busy = others_now()
    while busy > limit_cores and time.monotonic() < deadline:
        busy = others_now(5.0)
    return busy


# -- (a) channel capacity ---------------------------------------------------------------------------
class LineProcess:
    """A child process spoken to in JSON lines (load.capacity client)."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen([sys.executable, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=ROOT, env=subprocess_env())

    def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"client process {self.process.pid} ended")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send({"quit": True})
                self.process.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                pass
        stop_process(self.process)


class Server:
    """One server under test and its client fleet."""

    def __init__(self, kind: str, monitor: CpuMonitor, log_dir: Path, wrap: Sequence[str] = ()) -> None:
        """``wrap``: interpreter arguments before the server's ``-m module`` (bench/callcount.py's)."""
        self.kind = kind
        self.clients: list[LineProcess] = []
        if kind.startswith("echo"):
            command = [sys.executable, *wrap, "-m", "load.capacity", "echo", *KINDS[kind]]
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=subprocess_env())
            assert self.process.stdout is not None
            self.url = json.loads(self.process.stdout.readline())["url"]
        else:
            started = start_platform(log_dir / f"{kind}.log", *KINDS[kind], wrap=wrap)
            self.process, self.url = started.process, started.url
        monitor.watch(kind, self.process.pid)
        for n in range(CLIENTS_PER_SERVER):
            client = LineProcess(["-m", "load.capacity", "client", "--url", self.url,
                                  "--kind", "echo" if kind.startswith("echo") else "platform"])
            self.clients.append(client)
            monitor.watch(f"{kind} client {n + 1}", client.process.pid)
        self.done = False
        self.capacity = 0
        self.steps: list[dict[str, Any]] = []

    def ask(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        for client in self.clients:
            client.send(command)
        return [client.receive() for client in self.clients]

    def close(self) -> None:
        for client in self.clients:
            client.close()
        stop_process(self.process)


def measure_step(server: Server, channels: int, hold: float, monitor: CpuMonitor) -> dict[str, Any]:
    """Resize the fleet to ``channels`` sockets, then measure its keepalives."""
    started = time.monotonic()
    grown = server.ask({"target": channels // CLIENTS_PER_SERVER})
    connected = sum(g["connected"] for g in grown)
    grow_s = time.monotonic() - started
    server.ask({"pause": False})
    server.ask({"measure": 2.0})  # settle: let the new sockets' first keepalives go by
    t0 = time.time()
    parts = server.ask({"measure": hold})
    window = monitor.window(t0, time.time())
    server.ask({"pause": True})
    answered = sum(p["acked"] for p in parts)
    missed = sum(p["missed"] for p in parts)
    rate = missed / max(1, answered + missed)
    server_cores = window.get(server.kind) or 0.0
    return {
        "channels": channels, "connected": connected, "failed_to_open": sum(g["failed"] for g in grown),
        "grow_s": round(grow_s, 1), "keepalives_sent": sum(p["sent"] for p in parts), "acked": answered,
        "missed": missed, "missed_rate": round(rate, 5),
        "rtt_p50_ms": max((p["rtt_p50_ms"] or 0) for p in parts), "rtt_p95_ms": max((p["rtt_p95_ms"] or 0)
                                                                                   for p in parts),
        "rtt_p99_ms": max((p["rtt_p99_ms"] or 0) for p in parts),
        "server_cores": window.get(server.kind),
        "server_us_per_keepalive": round(1e6 * server_cores * hold / answered, 1) if answered else None,
        "client_cores": round(sum(
            v for k, v in window.items() if k.startswith(f"{server.kind} client")), 3),
        "others_cores": window.get("others_cores"), "machine_cores": window.get("machine_cores"),
        "ok": connected >= channels and rate < MISSED_LIMIT,
    }


def part_a(quick: bool, out: Path, kinds: list[str] | None = None) -> dict[str, Any]:
    """``kinds``: the servers to measure (default all of KINDS; echo always)."""
    # 19,500 is the last step that fits the 20,000 descriptors a process may hold here
    steps = [1000, 2000, 5000] if quick else [2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 19500]
    hold = 5.0 if quick else 10.0
    kinds = ["echo", *(k for k in KINDS if k != "echo" and (kinds is None or k in kinds))]
    monitor = CpuMonitor().start()
    servers = [Server(kind, monitor, out) for kind in kinds]
    quiet = wait_quiet()
    try:
        for server in servers:
            server.ask({"pause": True})
        for n, channels in enumerate(steps):
            for server in servers if n % 2 == 0 else reversed(servers):  # alternate who goes first
                if server.done:
                    continue
                step = measure_step(server, channels, hold, monitor)
                if not step["ok"]:  # a transient collapse or a neighbour's burst: rest, then once more
                    busy = (step["others_cores"] or 0) > NOISY_OTHERS
                    server.steps.append({**step, "note": "measured again after a rest" +
                                         (": other processes were busy" if busy else "")})
                    time.sleep(5)
                    wait_quiet(max_wait=60)
                    step = measure_step(server, channels, hold, monitor)
                server.steps.append(step)
                print(f"(a) {server.kind:<17} {channels:>6} channels: missed {step['missed_rate']:.2%}, "
                      f"RTT p95 {step['rtt_p95_ms']} ms, server {step['server_cores']} cores, "
                      f"others {step['others_cores']}", flush=True)
                if step["ok"]:
                    server.capacity = channels
                else:
                    server.done = True
            if all(s.done for s in servers):
                break
        for server in servers:  # one step between the last pass and the first failure
            failed = next((s["channels"] for s in server.steps if not s["ok"] and "note" not in s), None)
            middle = (server.capacity + failed) // 2 // 500 * 500 if failed else 0
            if server.capacity < middle < (failed or 0) and server.capacity >= steps[0]:
                step = measure_step(server, middle, hold, monitor)
                server.steps.append({**step, "note": "between the last pass and the first failure"})
                print(f"(a) {server.kind:<17} {middle:>6} channels: missed {step['missed_rate']:.2%}", flush=True)
                if step["ok"]:
                    server.capacity = middle
    finally:
        for server in servers:
            server.close()
        monitor.stop()
    by_kind = {s.kind: {"capacity": s.capacity, "reached_last_step": s.capacity == steps[-1], "steps": s.steps}
               for s in servers}
    # Server CPU per keepalive at the first step (every server measured there): capacity's proxy that
    # other sessions' load disturbs least (a cliff moves with their bursts; a cost per keepalive less).
    first = {kind: next((st for st in data["steps"] if st["channels"] == steps[0]), None)
             for kind, data in by_kind.items()}
    echo_cost = (first["echo"] or {}).get("server_us_per_keepalive")
    cost_ratios = {kind: round(echo_cost / st["server_us_per_keepalive"], 3)
                   for kind, st in first.items() if st and st.get("server_us_per_keepalive") and echo_cost}
    capacity = {kind: data["capacity"] for kind, data in by_kind.items()}  # those measured
    echo, plat = capacity["echo"], capacity.get("platform", 0)
    ratio = round(plat / echo, 3) if echo else None
    tuned = capacity.get("echo+gc-freeze", 0)
    defaults = capacity.get("platform-defaults", 0)
    uvloop = capacity.get("platform-defaults-uvloop", 0)
    return {
        "question": "concurrent notification channels one platform process holds, keepalive every 1 s, "
                    "< 1 % missed acks",
        "method": f"{CLIENTS_PER_SERVER} lightweight client processes per server (load.capacity), CPaaS connCheck "
                  f"on real channels; step held {hold} s after 2 s settling; servers measured in turn (order "
                  "alternating per step, the others' keepalives paused); a failed step is measured once more after "
                  "a rest; then one step between the last pass and the first failure",
        "others_cores_at_start": quiet, "steps_tried": steps, "servers": by_kind,
        "platform_capacity": plat, "echo_capacity": echo, "ratio_to_echo": ratio,
        "echo_gc_freeze_capacity": tuned, "ratio_to_echo_gc_freeze": round(plat / tuned, 3) if tuned else None,
        "us_per_keepalive_at_first_step": {kind: (st or {}).get("server_us_per_keepalive")
                                           for kind, st in first.items()},
        "echo_cost_over_server_cost_at_first_step": cost_ratios,
        "platform_defaults_capacity": defaults,
        "ratio_defaults_to_echo": round(defaults / echo, 3) if echo else None,
        "platform_defaults_uvloop_capacity": uvloop,
        "ratio_defaults_uvloop_to_echo": round(uvloop / echo, 3) if echo else None,
        "platform_args": LOAD_PLATFORM_ARGS,
        "fd_limit_per_process": raise_fd_limit(),
        "targets": {"min_channels": 5000, "min_ratio": 0.8, "min_ratio_with_defaults": 0.9,
                    "uvloop_channels_aim": 12000},
        "met": bool(plat >= 5000 and ratio is not None and ratio >= 0.8 and echo
                    and defaults / echo >= 0.9),
    }


# -- (b) SDK clients per Locust worker --------------------------------------------------------------
@contextmanager
def platform_process(log: Path, monitor: CpuMonitor) -> Iterator[str]:
    started = start_platform(log, *shlex.split(LOAD_PLATFORM_ARGS))
    monitor.watch("platform", started.process.pid)
    try:
        yield started.url
    finally:
        started.stop()


def part_b(quick: bool, out: Path) -> dict[str, Any]:
    # each SDK client holds about 3 descriptors and a process may hold 20,000 here: 6,000 at most
    stages = [100, 200] if quick else [500, 1000, 2000, 3000, 4000, 5000, 6000]
    seconds = 12.0 if quick else 25.0
    run_dir = out / "load-ramp"
    run_dir.mkdir(parents=True, exist_ok=True)
    for old in list(run_dir.glob("samples-*.jsonl")) + list(run_dir.glob("timeline.jsonl")):
        old.unlink()
    monitor = CpuMonitor().start()
    quiet = wait_quiet()
    try:
        with platform_process(run_dir / "platform.log", monitor) as url:
            command = [sys.executable, "-m", "locust", "-f", str(ROOT / "load" / "locustfile_ramp.py"), "--headless",
                       "--host", url, "--kandy-faults", "off", "--kandy-out", str(run_dir),
                       "--kandy-ramp", ",".join(map(str, stages)), "--kandy-stage-seconds", str(seconds),
                       "--csv", str(run_dir / "locust"), "--html", str(run_dir / "locust.html"),
                       "--stop-timeout", "30", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
            with (run_dir / "locust.log").open("w") as log:
                locust = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                          env=subprocess_env())
                monitor.watch("locust", locust.pid)
                try:
                    locust.wait(len(stages) * seconds + 180)
                finally:
                    stop_process(locust)  # type: ignore[arg-type]
    finally:
        monitor.stop()
    samples = read_samples(run_dir)
    timeline = [e for e in scenarios.read_timeline(run_dir) if e["kind"] == "stage"]
    rows, capacity = [], 0
    for i, stage in enumerate(timeline):
        added = stage["users"] - (timeline[i - 1]["users"] if i else 0)
        start = stage["t"] + max(5.0, added / 100 + 4.0)  # after the stage's users have spawned and settled
        end = stage["t"] + seconds
        inside = [s for s in samples if start <= s.t <= end]
        keepalives = [s for s in inside if s.name == metrics.KEEPALIVE]
        ok_rtts = [s.ms for s in keepalives if s.ok]
        missed = sum(1 for s in keepalives if not s.ok)
        connects = [s for s in samples if s.name == metrics.CONNECT and s.t <= end]
        started_ok = sum(1 for s in connects if s.ok)
        rate = missed / max(1, len(keepalives))
        cpu = monitor.window(start, end)
        row = {"users": stage["users"], "users_started": started_ok,
               "start_failures": sum(1 for s in connects if not s.ok), "keepalives": len(keepalives),
               "missed": missed, "missed_rate": round(rate, 5),
               "rtt_p50_ms": checks.percentile(ok_rtts, 50), "rtt_p95_ms": checks.percentile(ok_rtts, 95),
               "rtt_p99_ms": checks.percentile(ok_rtts, 99), "locust_cores": cpu.get("locust"),
               "platform_cores": cpu.get("platform"), "others_cores": cpu.get("others_cores")}
        row["ok"] = bool(keepalives) and rate < MISSED_LIMIT and started_ok >= stage["users"] \
            and row["start_failures"] == 0 and (row["rtt_p95_ms"] or 0) < RTT_P95_LIMIT_MS
        rows.append(row)
        print(f"(b) {stage['users']:>5} SDK clients: missed {rate:.2%}, RTT p95 {row['rtt_p95_ms']} ms, "
              f"locust {row['locust_cores']} cores, platform {row['platform_cores']}", flush=True)
        if row["ok"] and capacity == (rows[-2]["users"] if len(rows) > 1 else 0):
            capacity = stage["users"]
    return {
        "question": "SDK clients (both products, keepalive every 1 s) one Locust worker process drives",
        "method": f"load/locustfile_ramp.py, stages {stages} of {seconds} s; a stage passes with < 1 % missed "
                  f"acks, keepalive RTT p95 < {RTT_P95_LIMIT_MS} ms and every user started; the platform runs "
                  f"in its own process ({LOAD_PLATFORM_ARGS})",
        "others_cores_at_start": quiet, "stages": rows, "sdk_clients_per_worker": capacity,
        "reached_last_stage": capacity == stages[-1],
    }


# -- (c) storm recovery ---------------------------------------------------------------------------
def part_c(quick: bool, out: Path, workers: int) -> dict[str, Any]:
    from load.run import main as run_main

    users = 200 if quick else 1000
    run_dir = out / (f"load-storm-{workers}w" if workers else "load-storm")
    quiet = wait_quiet()
    code = run_main(["--scenario", "storm", "--users", str(users), "--spawn-rate", "100", "--workers", str(workers),
                     "--out", str(run_dir), "--no-plot"])
    timeline = scenarios.read_timeline(run_dir)
    storm = next((e for e in timeline if e["kind"] == "storm"), None)
    settings = next((e["settings"] for e in timeline if e["kind"] == "start"), {})
    result: dict[str, Any] = {"users": users, "locust_workers": max(1, workers), "checks_exit_code": code,
                              "others_cores_at_start": quiet}
    if storm is None:
        return {**result, "error": "no storm happened (see the run's logs)"}
    start = storm["start"]
    back = [s for s in read_samples(run_dir) if s.name == metrics.RECONNECT and "lost_t" in s.detail
            and start - 0.05 <= s.detail["lost_t"] <= storm["t"] + checks.STORM_MATCH_S]
    usable = sorted(float(s.detail["lost_t"]) + s.ms / 1000 - start for s in back if s.ok)
    socket_up = sorted(float(s.detail["lost_t"]) + float(s.detail.get("socket_ms", 0)) / 1000 - start
                       for s in back if s.ok)
    delay = settings.get("reconnect_delay_ms", 500) / 1000
    all_back = usable[-1] if usable and len(usable) >= storm["dropped"] else None
    return {
        **result,
        "dropped": storm["dropped"], "back": len(usable), "failed": sum(1 for s in back if not s.ok),
        "all_back_s": None if all_back is None else round(all_back, 3),
        "all_sockets_up_s": round(socket_up[-1], 3) if socket_up else None,
        "sockets_up_p50_s": checks.percentile(socket_up, 50),
        "back_p50_s": checks.percentile(usable, 50), "back_p95_s": checks.percentile(usable, 95),
        "reconnect_delay_s": delay, "target_s": delay + 2.0,
        "met": all_back is not None and all_back <= delay + 2.0,
        "definition": "storm request sent -> last user's socket up and a probe notification received through it",
    }


# -- report ---------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "os": platform.platform(), "load_average": os.getloadavg(),
            "note": "a shared machine: other sessions' processes ran at the same time (see others_cores)"}


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures, with the targets they are held to."""
    out: dict[str, Any] = {}
    a = report.get("a_channel_capacity")
    if a:
        out["a"] = {"platform_channels": a["platform_capacity"], "echo_channels": a["echo_capacity"],
                    "ratio_to_echo": a["ratio_to_echo"], "echo_gc_freeze_channels": a["echo_gc_freeze_capacity"],
                    "ratio_to_echo_gc_freeze": a["ratio_to_echo_gc_freeze"],
                    "platform_defaults_channels": a["platform_defaults_capacity"],
                    "ratio_defaults_to_echo": a["ratio_defaults_to_echo"],
                    "platform_defaults_uvloop_channels": a["platform_defaults_uvloop_capacity"],
                    "ratio_defaults_uvloop_to_echo": a["ratio_defaults_uvloop_to_echo"],
                    "echo_cost_over_server_cost_at_first_step": a["echo_cost_over_server_cost_at_first_step"],
                    "target": ">= 5000 and >= 0.8 x echo; defaults >= 0.9 x echo", "met": a["met"]}
    b = report.get("b_sdk_clients_per_worker")
    if b:
        out["b"] = {"sdk_clients_per_worker": b["sdk_clients_per_worker"],
                    "reached_last_stage": b["reached_last_stage"]}
    c = report.get("c_storm_recovery")
    if c:
        out["c"] = {f"{r['locust_workers']}_worker(s)": {"users": r["users"], "all_back_s": r.get("all_back_s"),
                                                         "target_s": r.get("target_s"), "met": r.get("met")}
                    for r in c["runs"]}
    return out


def plot(report: dict[str, Any], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    a = report.get("a_channel_capacity")
    if a:
        cost = left.twinx()
        for kind, data in a["servers"].items():
            steps = sorted((s for s in data["steps"] if "measured again" not in s.get("note", "")),
                           key=lambda s: s["channels"])
            xs = [s["channels"] for s in steps]
            line, = left.plot(xs, [100 * s["missed_rate"] for s in steps], linestyle="--", marker="x",
                              label=f"{kind}: missed acks (%)")
            cost.plot(xs, [s["server_us_per_keepalive"] or 0 for s in steps], marker="o", color=line.get_color(),
                      alpha=0.6, label=f"{kind}: CPU per keepalive (us)")
        left.axhline(100 * MISSED_LIMIT, color="grey", linewidth=0.8)
        left.set_xlabel("channels, keepalive every 1 s")
        left.set_ylabel("missed acks (%), dashed")
        cost.set_ylabel("server CPU per keepalive (us), solid")
        left.set_title(f"(a) capacity: platform {a['platform_capacity']}, echo {a['echo_capacity']}, "
                       f"echo+gc-freeze {a['echo_gc_freeze_capacity']}")
        left.legend(fontsize=6, loc="upper left")
        left.grid(alpha=0.3)
    b = report.get("b_sdk_clients_per_worker")
    if b:
        rows = b["stages"]
        right.plot([r["users"] for r in rows], [r["rtt_p95_ms"] or 0 for r in rows], marker="o", label="RTT p95 (ms)")
        right.plot([r["users"] for r in rows], [100 * r["missed_rate"] for r in rows], marker="x",
                   label="missed acks (%)")
        right.plot([r["users"] for r in rows], [100 * (r["locust_cores"] or 0) for r in rows], marker=".",
                   label="Locust CPU (% of a core)")
        right.set_xlabel("SDK clients in one Locust worker")
        right.set_title(f"(b) SDK clients per worker: {b['sdk_clients_per_worker']}")
        right.legend(fontsize=7)
        right.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="abc", help="which parts to run: any of a, b, c")
    parser.add_argument("--quick", action="store_true", help="small steps, for a smoke run")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench" / "load.json"))
    parser.add_argument("--storm-workers", default="0,2", help="Locust workers for (c): 0 = one local runner")
    parser.add_argument("--kinds", default=",".join(KINDS), help="(a)'s servers (echo always)")
    args = parser.parse_args(argv)
    raise_fd_limit()
    target = Path(args.out)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent
    report: dict[str, Any] = {"benchmark": "load", "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                              "machine": machine(), "quick": args.quick}
    if "a" in args.parts:
        report["a_channel_capacity"] = part_a(args.quick, work, args.kinds.split(","))
    if "b" in args.parts:
        report["b_sdk_clients_per_worker"] = part_b(args.quick, work)
    if "c" in args.parts:
        runs = [part_c(args.quick, work, int(w)) for w in args.storm_workers.split(",") if w.strip()]
        report["c_storm_recovery"] = {"runs": runs, "met": all(r.get("met") for r in runs)}
    report["summary"] = summary(report)
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    report["machine"]["load_average_end"] = os.getloadavg()
    target.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    plot(report, target.with_suffix(".png"))
    print(json.dumps(report["summary"], indent=2))
    print(f"wrote {target} and {target.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
