"""The knockout command: plan, run the scenarios under pytest-xdist, write the verdicts, gate."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

from sdk.knockout import Knockout

from ..traces import load
from . import plan as planning
from . import recorded, report, targets

PYTEST_FLAGS = ["-p", "no:cacheprovider", "-p", "no:allure_pytest", "-p", "no:allure_pytest_bdd"]


def default_seed() -> int:
    """The commit under test picks the sample (reproducible with ``--seed``); 0 outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        head = ""
    return zlib.crc32(head.strip().encode()) if head.strip() else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kandy_testing.knockout",
                                     description="Knock out each documented function and event; "
                                                 "does a scenario notice?")
    parser.add_argument("--traces", default="reports/coverage", help="folder of KANDY_API_TRACE files")
    parser.add_argument("--suite", default="features", help="the test folder whose scenarios count")
    parser.add_argument("--out", default="reports/conformance", help="where knockout.json/.md go")
    parser.add_argument("--workers", default=os.environ.get("WORKERS", "2"), help="pytest-xdist workers")
    parser.add_argument("--budget", type=float, default=180.0,
                        help="seconds of scenario time one knockout may use (its verdict rests on what ran)")
    parser.add_argument("--sample", type=int, default=0, help="run only this many knockouts, drawn with --seed")
    parser.add_argument("--seed", type=int, default=None, help="the sample's seed (default: from the commit)")
    parser.add_argument("--only", nargs="*", default=None, help="knockout ids (product:api:path, "
                        "product:event:type:drop|empty)")
    parser.add_argument("--record", action="store_true", help="after a full run, record the verdicts in "
                        "kandy_testing/data/knockout-verdicts.json (what the coverage gate reads)")
    parser.add_argument("--gate", action="store_true",
                        help="exit 1 when a knockout survives (known survivors excepted on a full run)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    traces = load(Path(args.traces), args.suite)
    if not traces:
        print(f"no {args.suite} traces in {args.traces}: run the scenarios with KANDY_API_TRACE set "
              "(make test does)", file=sys.stderr)
        return 1
    knockouts = targets.all_knockouts()
    if args.only:
        knockouts = [Knockout.parse(text) for text in args.only]
    before = recorded.load()
    entries = planning.plan(knockouts, traces, targets.refusing(), before)
    seed = args.seed if args.seed is not None else default_seed()
    if args.sample:
        entries = planning.sample([e for e in entries if targets.gated(e.knockout)], args.sample, seed, before)
        print(f"knockout sample of {len(entries)} (seed {seed}; rerun with --sample {args.sample} --seed {seed}): "
              + ", ".join(e.knockout.id for e in entries))
    out = Path(args.out)
    name = "knockout-sample" if args.sample else "knockout" if not args.only else "knockout-only"
    work = out / f"{name}.work"
    shutil.rmtree(work, ignore_errors=True)
    runnable = [e for e in entries if e.tests and e.knockout.id not in targets.excused()]
    planning.write(runnable, work / "plan.json")
    started = time.monotonic()
    if runnable:
        run_pytest(work, args.workers, args.suite, args.budget)
    wall = time.monotonic() - started
    found = report.verdicts(entries, work / "results.jsonl", targets.excused(), targets.KNOWN_SURVIVORS)
    what = (f"sample of {len(entries)} knockouts, seed {seed}" if args.sample else
            f"{len(entries)} knockouts" + (" (chosen with --only)" if args.only else ""))
    document = report.write(found, out / f"{name}.json",
                            {"what": what, "seed": seed if args.sample else None, "workers": args.workers,
                             "wall_seconds": round(wall, 1)})
    print("\n".join(report.summary_lines(document)))
    print(f"knockout: {what} in {wall:.0f} s; table in {out / (name + '.md')}")
    if args.record and not (args.sample or args.only):
        recorded.save({v.id: {"verdict": v.verdict, "killed_by": v.killed_by, "seconds": v.kill_seconds}
                       for v in found})
        print(f"verdicts recorded in {recorded.PATH}")
    return gate(found, args) if args.gate else 0


def run_pytest(work: Path, workers: str, suite: str, budget: float) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KANDY_API_TRACE"}  # keep make test's traces intact
    planned = json.loads((work / "plan.json").read_text())
    files = sorted({test.split("::", 1)[0] for tests in planned.values() for test in tests})  # collect no more
    command = [sys.executable, "-m", "pytest", "-p", "kandy_testing.knockout.plugin", *PYTEST_FLAGS,
               "--knockout-plan", str(work / "plan.json"), "--knockout-results", str(work),
               "--knockout-budget", str(budget), "-q", "-rN", "--no-header", *(files or [suite])]
    if workers not in ("0", "1"):
        command[3:3] = ["-n", workers]
    with open(work / "pytest.log", "w", encoding="utf-8") as log:
        subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)


def gate(found: list[report.Verdict], args: argparse.Namespace) -> int:
    alive = [v for v in found if v.verdict in (report.SURVIVED, report.UNTOUCHED) and targets.gated(v.knockout)]
    if not args.sample and not args.only:
        for v in found:
            if v.verdict == report.KILLED and v.id in targets.KNOWN_SURVIVORS:
                print(f"now killed, remove from KNOWN_SURVIVORS: {v.id}")
        alive = [v for v in alive if v.id not in targets.KNOWN_SURVIVORS]
    for v in alive:
        why = (f"its recorded killer {recorded.load().get(v.id, {}).get('killed_by')} and every other scenario "
               "that touches it pass now" if args.sample else v.reason or "every scenario that touches it passes")
        print(f"SURVIVED {v.id}: {why}", file=sys.stderr)
    return 1 if alive else 0
