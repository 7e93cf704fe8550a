"""Run a load scenario end to end: platform, Locust (headless or distributed), plot, checks.

    python -m load.run                                   # `make load`: the default scenario
    python -m load.run --scenario short --users 60       # the pytest run
    python -m load.run --workers 2                       # distributed: a master and two workers

It starts ``python -m fake_platform serve --port 0`` (unless ``--platform-url`` names a running
one), runs ``locust`` as subprocesses with CSV (full history) and HTML reports in ``--out``, plots
``reconnects.png``, runs :mod:`load.checks`, stops the platform and exits with the checks' verdict.
Every wait has a deadline; every process it starts is stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import scenarios
from .capacity import raise_fd_limit
from .control import TOKEN_ENV

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "load" / "locustfile.py"
USER_CLASSES = {"cpaas": "CpaasUser", "link": "LinkUser"}
PLATFORM_START_TIMEOUT = 30.0
LOAD_PLATFORM_ARGS = "--no-journal --gc-freeze 5"  # the platform as load runs serve it
EXIT_MARGIN = 60.0  # seconds beyond the run time before Locust is stopped by force


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class StandalonePlatform:
    process: subprocess.Popen[str]
    url: str
    control_token: str | None = None

    def stop(self, timeout: float = 10.0) -> None:
        stop_process(self.process, timeout)


def stop_process(process: subprocess.Popen[str], timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def start_platform(log_path: Path, *extra: str, wrap: Sequence[str] = ()) -> StandalonePlatform:
    """``python [wrap] -m fake_platform serve --port 0``; its address is read from the JSON it prints."""
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen([sys.executable, *wrap, "-m", "fake_platform", "serve", "--port", "0", *extra],
                               stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT, env=subprocess_env())
    assert process.stdout is not None
    deadline = time.monotonic() + PLATFORM_START_TIMEOUT
    text = ""
    while time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()
        log.write(line)
        text += line
        if line.startswith("}"):  # the end of the start-up JSON
            info = json.loads(text[text.index("{"):])
            _drain_in_background(process.stdout, log)
            return StandalonePlatform(process, info["url"], info.get("controlToken"))
    stop_process(process)
    raise RuntimeError(f"the platform did not start within {PLATFORM_START_TIMEOUT} s: {text[-500:]}")


def _drain_in_background(stream: IO[str], log: IO[str]) -> None:
    import threading

    def copy() -> None:
        for line in stream:
            log.write(line)
        log.close()

    threading.Thread(target=copy, daemon=True, name="platform-log").start()


def clean(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for pattern in ("samples-*.jsonl", "timeline.jsonl", "locust*", "checks.json", "reconnects.png", "*.log"):
        for path in out.glob(pattern):
            path.unlink()


def locust_commands(args: argparse.Namespace, host: str, out: Path) -> list[tuple[list[str], Path]]:
    """The command line of each Locust process, with the log file it writes to."""
    scenario = scenarios.get(args.scenario)
    common = [sys.executable, "-m", "locust", "-f", str(args.locustfile),
              "--kandy-scenario", scenario.name, "--kandy-out", str(out), "--kandy-faults", args.faults,
              "--kandy-ping-ms", str(args.ping_ms), "--kandy-reconnect-delay-ms", str(args.reconnect_delay_ms),
              "--kandy-probe", args.probe, "--kandy-relay", "on" if args.relay else "off", "--loglevel", "WARNING"]
    if args.optional_tasks:
        common += ["--kandy-optional-tasks", args.optional_tasks, "--kandy-call-every", str(args.call_every),
                   "--kandy-media-share", str(args.media_share), "--kandy-message-every", str(args.message_every),
                   "--kandy-dense-media", str(args.dense_media), "--kandy-media-hold", str(args.media_hold)]
    classes = [USER_CLASSES[p] for p in args.products.split(",") if p]
    run = ["--headless", "-u", str(args.users or scenario.users), "-r", str(args.spawn_rate or scenario.spawn_rate),
           "-t", f"{int(args.run_time or scenario.run_time)}s", "--stop-timeout", "20",
           "--csv", str(out / "locust"), "--csv-full-history", "--html", str(out / "locust.html"),
           "--exit-code-on-error", "0", "--only-summary", "--host", host]
    if not args.workers:
        return [([*common, *run, *classes], out / "locust.log")]
    port = free_port()
    master = [*common, *run, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
              "--expect-workers", str(args.workers), "--expect-workers-max-wait", "60", *classes]
    worker = [*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port), *classes]
    return [(master, out / "locust-master.log")] + [
        (worker, out / f"locust-worker-{n}.log") for n in range(1, args.workers + 1)]


@contextlib.contextmanager
def running(commands: list[tuple[list[str], Path]]) -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    logs: list[IO[str]] = []
    try:
        for command, log_path in commands:
            log = log_path.open("w", encoding="utf-8")
            logs.append(log)
            processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True,
                                              cwd=ROOT, env=subprocess_env()))
        yield processes
    finally:
        for process in processes:
            stop_process(process)
        for log in logs:
            log.close()


def run(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    clean(out)
    scenario = scenarios.get(args.scenario)
    started = time.monotonic()
    platform = None if args.platform_url else start_platform(out / "platform.log", *shlex.split(args.platform_args))
    host = args.platform_url or (platform.url if platform else "")
    token = args.platform_token or (platform.control_token if platform else None)
    if token:  # Locust's processes reach the control plane with it (load/control.py)
        os.environ[TOKEN_ENV] = token
    phases = {"platform up": time.monotonic() - started}
    try:
        commands = locust_commands(args, host, out)
        with running(commands) as processes:
            limit = (args.run_time or scenario.run_time) + EXIT_MARGIN
            try:
                code = processes[0].wait(limit)
            except subprocess.TimeoutExpired:
                print(f"locust did not finish within {limit:.0f} s; stopping it", file=sys.stderr)
                code = -1
            phases["locust done"] = time.monotonic() - started
            for worker in processes[1:]:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(15)
            phases["workers done"] = time.monotonic() - started
    finally:
        if platform is not None:
            platform.stop()
    phases["platform stopped"] = time.monotonic() - started
    print(f"locust exited with {code}; reports in {out}; "
          + ", ".join(f"{k} at {v:.1f} s" for k, v in phases.items()))
    print((commands[0][1]).read_text(encoding="utf-8")[-6000:])
    if code != 0:
        return 2
    if not args.no_plot:
        from .plot import plot

        print(f"plot: {plot(out)}")
    if args.no_checks:
        return 0
    from .checks import main as checks_main

    return checks_main([str(out)])


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m load.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default", choices=sorted(scenarios.SCENARIOS))
    parser.add_argument("--users", type=int, default=0, help="default: the scenario's")
    parser.add_argument("--spawn-rate", type=float, default=0, help="default: the scenario's")
    parser.add_argument("--run-time", type=float, default=0, help="seconds; default: the scenario's")
    parser.add_argument("--workers", type=int, default=0, help="0: one local runner; N: a master and N workers")
    parser.add_argument("--products", default="cpaas,link", help="comma list of cpaas, link")
    parser.add_argument("--faults", default="on", choices=("on", "off"))
    parser.add_argument("--ping-ms", type=int, default=1000)
    parser.add_argument("--reconnect-delay-ms", type=int, default=500)
    parser.add_argument("--probe", default="notify", choices=("notify", "keepalive"))
    parser.add_argument("--optional-tasks", default="", help="comma list: call, message (default: none)")
    parser.add_argument("--call-every", type=float, default=20.0, help="seconds between one user's calls")
    parser.add_argument("--media-share", type=float, default=0.1, help="share of calls with checked audio")
    parser.add_argument("--message-every", type=float, default=5.0, help="seconds between one user's messages")
    parser.add_argument("--dense-media", type=int, default=0,
                        help="N > 0: calls send shared encoded tones and 1 in N is decoded (kandy_media.dense)")
    parser.add_argument("--media-hold", type=float, default=3.0, help="seconds a call with media stays up")
    parser.add_argument("--relay", action="store_true",
                        help="calls relay their media through the platform's TURN relay (network scenario)")
    parser.add_argument("--out", default="reports/load")
    parser.add_argument("--locustfile", default=str(LOCUSTFILE))
    parser.add_argument("--platform-url", default=None, help="use a running platform instead of starting one")
    parser.add_argument("--platform-token", default=os.environ.get(TOKEN_ENV),
                        help=f"the control token of --platform-url (default ${TOKEN_ENV})")
    parser.add_argument("--platform-args", default=LOAD_PLATFORM_ARGS,
                        help="`fake_platform serve` arguments, one string (default: no journal, it costs CPU per "
                             "keepalive, and a periodic heap freeze; pass '' for the defaults)")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--no-checks", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    raise_fd_limit()  # inherited by every process started here: one descriptor per channel
    return run(parse(argv))


if __name__ == "__main__":
    sys.exit(main())
