"""Verdicts on a finished load run: ``python -m load.checks reports/load`` exits 1 on any failure.

Reads Locust's ``<prefix>_stats.csv`` / ``<prefix>_failures.csv`` (aggregates), the users'
``samples-*.jsonl`` (each measurement with its time) and the driver's ``timeline.jsonl`` (what
fault happened when). What is checked, with the bounds stated here:

* ``started``      every user subscribed and connected (no failed ``WS connect``);
* ``storms``       after every storm, every dropped user is back (socket up *and* a notification
                   through it) within ``reconnectDelay + RECOVERY_BOUND_S`` after the drop, plus
                   the refusal window still to run for a ``refuse`` storm and the injected latency
                   for a ``latency`` storm;
* ``blackouts``    a keepalive blackout is detected, and everyone it cut off is back within
                   ``pingInterval x maxMissedPings + reconnectDelay + RECOVERY_BOUND_S`` of its end;
* ``lost_for_good`` no reconnect gave up or stayed unusable, every user was connected when it
                   stopped, and the last census found every channel connected;
* ``keepalive``    missed acks only inside blackout windows (up to one ``pingInterval`` +
                   ``WINDOW_SLACK_S`` after the end, when the last unanswered ping times out), and the
                   CSV's failure count equals the samples';
* ``detection``    missed-ping detection took ``pingInterval x maxMissedPings`` within
                   [-DETECTION_EARLY_S, +DETECTION_LATE_S] (the CSV's min and max).
* ``traffic``      with the optional call / message tasks: every call set up, carried its audio and
                   ended, and every message arrived, except those that overlapped a fault (its window
                   plus the time to notice it and reconnect, ``RECOVERY_BOUND_S`` included); and
                   something was measured.
* ``quality``      with calls that carry audio: the calls measured outside every network impairment
                   had a median audio MOS of at least ``CLEAN_MOS`` and median gaps of at most
                   ``CLEAN_GAPS`` % (loopback is a perfect network); the figures of each impaired
                   network (profile) are reported beside them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import metrics
from .metrics import Sample, read_samples
from .scenarios import read_timeline

RECOVERY_BOUND_S = 2.0
DETECTION_EARLY_S = 0.05
DETECTION_LATE_S = 0.5
WINDOW_SLACK_S = 0.5
STORM_MATCH_S = 1.0  # a drop is noticed at once: losses this close after a storm belong to it
CLEAN_MOS = 4.0
CLEAN_GAPS = 5.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


def percentile(values: Iterable[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[rank]


def read_stats(prefix: str | Path) -> dict[tuple[str, str], dict[str, str]]:
    path = Path(f"{prefix}_stats.csv")
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}


def read_failures(prefix: str | Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class RunData:
    def __init__(self, out: Path, csv_prefix: Path) -> None:
        self.samples = read_samples(out)
        self.timeline = read_timeline(out)
        self.stats = read_stats(csv_prefix)
        self.failures = read_failures(csv_prefix)
        start = next((e for e in self.timeline if e["kind"] == "start"), {})
        self.settings: dict[str, Any] = start.get("settings", {})
        self.t0: float = start.get("t", self.samples[0].t if self.samples else 0.0)

    def of(self, name: str, type_: str = metrics.WS) -> list[Sample]:
        return [s for s in self.samples if s.type == type_ and s.name == name]

    @property
    def finals(self) -> list[Sample]:
        return [s for s in self.samples if s.type == metrics.FINAL]

    def windows(self, fault: str) -> list[dict[str, Any]]:
        return [e for e in self.timeline if e["kind"] == "window" and e["fault"] == fault]

    @property
    def delay_s(self) -> float:
        return float(self.settings.get("reconnect_delay_ms", 500)) / 1000

    @property
    def interval_s(self) -> float:
        return float(self.settings.get("ping_interval_ms", 1000)) / 1000

    @property
    def detection_s(self) -> float:
        return self.interval_s * int(self.settings.get("max_missed_pings", 3))


def _back_at(s: Sample) -> float:
    return float(s.detail["lost_t"]) + s.ms / 1000


def check_started(d: RunData) -> Check:
    connects = d.of(metrics.CONNECT)
    failed = [s for s in connects if not s.ok]
    row = d.stats.get((metrics.WS, metrics.CONNECT), {})
    csv_failed = int(row.get("Failure Count", 0) or 0)
    users = len(d.finals)
    ok = users > 0 and not failed and csv_failed == 0 and sum(s.ok for s in connects) >= users
    return Check("started", ok, f"{users} users, {len(connects) - len(failed)} connected, "
                 f"{max(len(failed), csv_failed)} failed to start", {"users": users})


def check_storms(d: RunData) -> Check:
    reconnects = [s for s in d.of(metrics.RECONNECT) if "lost_t" in s.detail]
    storms = [e for e in d.timeline if e["kind"] == "storm"]
    problems, rows = [], []
    for storm in storms:
        start = float(storm.get("start", storm["t"]))
        allowed = d.delay_s + RECOVERY_BOUND_S
        allowed += max(0.0, float(storm.get("refused_until", start)) - start)
        allowed += float(storm.get("latency_ms", 0)) / 1000
        mine = [s for s in reconnects if start - 0.05 <= s.detail["lost_t"] <= storm["t"] + STORM_MATCH_S]
        back = [s for s in mine if s.ok and _back_at(s) - start <= allowed]
        worst = max((_back_at(s) - start for s in mine if s.ok), default=0.0)
        rows.append({"at": round(start - d.t0, 2), "dropped": storm["dropped"], "back": len(back),
                     "worst_s": round(worst, 3), "allowed_s": round(allowed, 3)})
        if storm["dropped"] == 0 or len(back) < storm["dropped"]:
            problems.append(f"storm at +{start - d.t0:.1f} s: {len(back)}/{storm['dropped']} back within "
                            f"{allowed:.2f} s (worst {worst:.2f} s)")
    ok = bool(storms) and not problems
    detail = "; ".join(problems) if problems else (
        ", ".join(f"+{r['at']} s: {r['back']}/{r['dropped']} back, worst {r['worst_s']} s (<= {r['allowed_s']} s)"
                  for r in rows) or "no storm in the run")
    return Check("storms", ok, detail, {"storms": rows, "bound_s": RECOVERY_BOUND_S})


def check_blackouts(d: RunData) -> Check:
    windows = d.windows("keepalive_blackout")
    if not windows:
        return Check("blackouts", True, "no blackout window in the run")
    reconnects = [s for s in d.of(metrics.RECONNECT) if "lost_t" in s.detail]
    misses = [s for s in d.of(metrics.KEEPALIVE) if not s.ok]
    problems, rows = [], []
    for w in windows:
        allowed_end = w["end"] + d.detection_s + d.delay_s + RECOVERY_BOUND_S
        cut = [s for s in reconnects if w["start"] <= s.detail["lost_t"] <= w["end"] + d.detection_s + WINDOW_SLACK_S]
        late = [s for s in cut if not s.ok or _back_at(s) > allowed_end]
        seen = [s for s in misses if w["start"] <= s.t <= w["end"] + d.interval_s + WINDOW_SLACK_S]
        rows.append({"start": round(w["start"] - d.t0, 2), "duration": round(w["end"] - w["start"], 2),
                     "missed_acks": len(seen), "reconnects": len(cut), "late": len(late)})
        if not seen:
            problems.append(f"blackout at +{w['start'] - d.t0:.1f} s: no missed ack (fault had no effect)")
        if late:
            problems.append(f"blackout at +{w['start'] - d.t0:.1f} s: {len(late)} users not back by "
                            f"{allowed_end - w['end']:.2f} s after its end")
    return Check("blackouts", not problems, "; ".join(problems) or
                 ", ".join(f"+{r['start']} s for {r['duration']} s: {r['missed_acks']} missed acks, "
                           f"{r['reconnects']} reconnects, all back" for r in rows), {"windows": rows})


def check_lost_for_good(d: RunData) -> Check:
    failed = [s for s in d.of(metrics.RECONNECT) if not s.ok]
    finals = d.finals
    down = [s for s in finals if not s.ok]
    censuses = [e for e in d.timeline if e["kind"] == "census"]
    census = censuses[-1] if censuses else None
    problems = []
    if failed:
        problems.append(f"{len(failed)} reconnects failed ({failed[0].error})")
    if down:
        problems.append(f"{len(down)}/{len(finals)} users not connected at the end")
    if census is not None and census["connected"] < census["channels"]:
        problems.append(f"census: {census['connected']}/{census['channels']} channels connected")
    if not finals:
        problems.append("no user reported its final state")
    detail = "; ".join(problems) or (f"all {len(finals)} users connected at the end" +
                                     (f"; census {census['connected']}/{census['channels']}" if census else ""))
    return Check("lost_for_good", not problems, detail)


def check_keepalive(d: RunData) -> Check:
    misses = [s for s in d.of(metrics.KEEPALIVE) if not s.ok]
    windows = d.windows("keepalive_blackout")
    outside = [s for s in misses
               if not any(w["start"] <= s.t <= w["end"] + d.interval_s + WINDOW_SLACK_S for w in windows)]
    row = d.stats.get((metrics.WS, metrics.KEEPALIVE), {})
    csv_failures = int(row.get("Failure Count", 0) or 0)
    problems = []
    if outside:
        first = outside[0]
        problems.append(f"{len(outside)} missed acks outside blackout windows (first at +{first.t - d.t0:.2f} s, "
                        f"{first.user})")
    if row and csv_failures != len(misses):
        problems.append(f"CSV counts {csv_failures} keepalive failures, samples {len(misses)}")
    if not row:
        problems.append("no WS keepalive row in the Locust CSV")
    return Check("keepalive", not problems, "; ".join(problems) or
                 f"{len(misses)} missed acks, all inside {len(windows)} blackout window(s)")


def check_detection(d: RunData) -> Check:
    expected = d.detection_s
    low, high = expected - DETECTION_EARLY_S, expected + DETECTION_LATE_S
    row = d.stats.get((metrics.WS, metrics.DETECTION))
    if not d.windows("keepalive_blackout"):
        return Check("detection", True, "no blackout window: nothing to detect")
    if not row or int(row["Request Count"]) == 0:
        return Check("detection", False, "a blackout ran but no missed-ping detection was measured")
    lo, hi = float(row["Min Response Time"]) / 1000, float(row["Max Response Time"]) / 1000
    ok = low <= lo and hi <= high
    return Check("detection", ok, f"{row['Request Count']} detections in [{lo:.3f}, {hi:.3f}] s; expected "
                 f"{expected:.3f} s within [-{DETECTION_EARLY_S}, +{DETECTION_LATE_S}] s",
                 {"min_s": lo, "max_s": hi, "expected_s": expected})


def fault_spans(d: RunData) -> list[tuple[float, float]]:
    """When faults can disturb traffic: each window or storm, plus noticing and recovering from it."""
    recover = d.detection_s + d.delay_s + RECOVERY_BOUND_S
    spans = [(float(w["start"]), float(w["end"]) + recover) for w in d.timeline if w["kind"] == "window"]
    for storm in (e for e in d.timeline if e["kind"] == "storm"):
        start = float(storm.get("start", storm["t"]))
        end = max(start, float(storm.get("refused_until", start))) + float(storm.get("latency_ms", 0)) / 1000
        spans.append((start, end + recover))
    return spans


def check_traffic(d: RunData) -> Check:
    traffic = [s for s in d.samples if s.type in (metrics.CALL, metrics.MESSAGE)]
    if not traffic:
        return Check("traffic", True, "no optional call or message task in the run")
    spans = fault_spans(d)

    def excused(s: Sample) -> bool:
        begun = s.t - s.ms / 1000
        return any(begun <= end and s.t >= start for start, end in spans)

    failed = [s for s in traffic if not s.ok]
    unexcused = [s for s in failed if not excused(s)]
    counts = {f"{s_type} {name}": (sum(1 for s in traffic if (s.type, s.name) == (s_type, name) and s.ok),
                                   sum(1 for s in traffic if (s.type, s.name) == (s_type, name)))
              for s_type, name in sorted({(s.type, s.name) for s in traffic})}
    detail = ", ".join(f"{k}: {ok}/{n} ok" for k, (ok, n) in counts.items())
    if unexcused:
        first = unexcused[0]
        detail = (f"{len(unexcused)} failures outside fault windows (first {first.type} {first.name} at "
                  f"+{first.t - d.t0:.2f} s, {first.user}: {first.error}); " + detail)
    elif failed:
        detail += f"; {len(failed)} failures, all during faults"
    never = [k for k, (ok, _n) in counts.items() if ok == 0]
    if never:
        detail = f"never succeeded: {', '.join(never)}; " + detail
    return Check("traffic", not never and not unexcused, detail,
                 {"counts": {k: {"ok": ok, "total": n} for k, (ok, n) in counts.items()},
                  "failed_in_faults": len(failed) - len(unexcused), "failed_outside": len(unexcused)})


def quality_by_network(d: RunData) -> dict[str, dict[str, Any]]:
    """QUALITY samples grouped by the network their window ran in: ``clean``, a profile, or
    ``mixed`` when the window straddled a change."""
    impairments = d.windows("impairment")
    groups: dict[str, dict[str, list[float]]] = {}
    for s in (x for x in d.samples if x.type == metrics.QUALITY):
        begun = s.t - float(s.detail.get("window_s", 0))
        overlapping = [w for w in impairments if begun < float(w["end"]) and s.t > float(w["start"])]
        inside = [w for w in overlapping if begun >= float(w["start"]) and s.t <= float(w["end"])]
        network = "clean" if not overlapping else (
            str(inside[0].get("profile") or "impaired") if len(inside) == 1 == len(overlapping) else "mixed")
        key = "mos" if s.name == metrics.QUALITY_MOS else "gaps"
        groups.setdefault(network, {"mos": [], "gaps": []})[key].append(s.ms / 100 if key == "mos" else s.ms)
    return {network: {"calls": len(v["mos"]), "mos_p50": percentile(v["mos"], 50),
                      "mos_min": min(v["mos"], default=None), "gaps_p50": percentile(v["gaps"], 50),
                      "gaps_max": max(v["gaps"], default=None)}
            for network, v in sorted(groups.items())}


def check_quality(d: RunData) -> Check:
    networks = quality_by_network(d)
    if not networks:
        return Check("quality", True, "no call with audio was measured (no call task, or no media share)")
    clean = networks.get("clean")
    detail = "; ".join(f"{n}: {v['calls']} calls, MOS p50 {v['mos_p50']:.2f}"
                       + (f", gaps p50 {v['gaps_p50']:.1f} %" if v["gaps_p50"] is not None else "")
                       for n, v in networks.items() if v["mos_p50"] is not None)
    if clean is None or clean["mos_p50"] is None:
        return Check("quality", True, f"every measured call ran under an impairment: {detail}", networks)
    ok = clean["mos_p50"] >= CLEAN_MOS and (clean["gaps_p50"] is None or clean["gaps_p50"] <= CLEAN_GAPS)
    if not ok:
        detail = f"clean-network calls below MOS {CLEAN_MOS} or above {CLEAN_GAPS} % gaps; " + detail
    return Check("quality", ok, detail, networks)


def summary(d: RunData) -> dict[str, Any]:
    def ms(values: list[float]) -> dict[str, Any]:
        return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
                "p99": percentile(values, 99), "max": max(values, default=None)}

    reconnect = [s for s in d.of(metrics.RECONNECT) if s.ok]
    storm_reconnect = [s.ms for s in reconnect if str(s.detail.get("reason", "")).startswith("CLOSED")]
    return {
        "users": len(d.finals),
        "reconnect_ms": ms([s.ms for s in reconnect]),
        "reconnect_after_plain_drop_ms": ms([s.ms for s in reconnect if not s.detail.get("failed_attempts")
                                             and s.ms < 1000 * (d.delay_s + RECOVERY_BOUND_S)]),
        "reconnect_after_close_ms": ms(storm_reconnect),
        "socket_up_ms": ms([float(s.detail["socket_ms"]) for s in reconnect if "socket_ms" in s.detail]),
        "keepalive_rtt_ms": ms([s.ms for s in d.of(metrics.KEEPALIVE) if s.ok]),
        "keepalive_missed": sum(1 for s in d.of(metrics.KEEPALIVE) if not s.ok),
        "detection_ms": ms([s.ms for s in d.of(metrics.DETECTION)]),
        "connect_ms": ms([s.ms for s in d.of(metrics.CONNECT) if s.ok]),
        "rest_ms": {name: ms([s.ms for s in d.samples if s.type == metrics.REST and s.name == name])
                    for name in sorted({s.name for s in d.samples if s.type == metrics.REST})},
        "call_setup_ms": ms([s.ms for s in d.of(metrics.CALL_SETUP, metrics.CALL) if s.ok]),
        "call_media_ms": ms([s.ms for s in d.of(metrics.CALL_MEDIA, metrics.CALL) if s.ok]),
        "message_delivery_ms": ms([s.ms for s in d.of(metrics.MESSAGE_DELIVERY, metrics.MESSAGE) if s.ok]),
        "quality_by_network": quality_by_network(d),
        "settings": d.settings,
    }


CHECKS = (check_started, check_storms, check_blackouts, check_lost_for_good, check_keepalive, check_detection,
          check_traffic, check_quality)


def run_checks(out: str | Path, csv_prefix: str | Path | None = None) -> tuple[bool, list[Check], dict[str, Any]]:
    out = Path(out)
    data = RunData(out, Path(csv_prefix) if csv_prefix else out / "locust")
    results = [check(data) for check in CHECKS]
    figures = summary(data)
    ok = all(c.ok for c in results)
    (out / "checks.json").write_text(json.dumps(
        {"ok": ok, "checks": [asdict(c) for c in results], "summary": figures,
         "bounds": {"recovery_s": RECOVERY_BOUND_S, "detection_early_s": DETECTION_EARLY_S,
                    "detection_late_s": DETECTION_LATE_S, "window_slack_s": WINDOW_SLACK_S}},
        indent=2, default=str), encoding="utf-8")
    return ok, results, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a finished load run's thresholds")
    parser.add_argument("out", nargs="?", default="reports/load", help="the run's output directory")
    parser.add_argument("--csv", default=None, help="Locust --csv prefix (default: <out>/locust)")
    args = parser.parse_args(argv)
    ok, results, figures = run_checks(args.out, args.csv)
    for c in results:
        print(f"[{'PASS' if c.ok else 'FAIL'}] {c.name:<14} {c.detail}")
    r, k = figures["reconnect_ms"], figures["keepalive_rtt_ms"]
    print(f"reconnect ms: n={r['n']} p50={r['p50']} p95={r['p95']} max={r['max']}; "
          f"keepalive RTT ms: n={k['n']} p50={k['p50']} p95={k['p95']} p99={k['p99']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
