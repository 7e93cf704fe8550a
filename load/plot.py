"""The PNG of a run: reconnect times over the run, with the fault timeline behind them.

``python -m load.plot reports/load`` writes ``reports/load/reconnects.png``: the top panel has
one dot per reconnect (x = when the loss was noticed, y = time until usable again), storms as
vertical lines and fault windows as bands; the bottom panel has keepalive round trips and missed
acks per second.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from . import metrics
from .checks import percentile
from .metrics import read_samples
from .scenarios import read_timeline

WINDOW_COLOURS = {"keepalive_blackout": "tab:red", "refuse_upgrades": "tab:orange", "latency": "tab:purple"}
PRODUCT_COLOURS = {"cpaas": "tab:blue", "link": "tab:green"}


def plot(out: str | Path, png: str | Path | None = None) -> Path:
    out = Path(out)
    target = Path(png) if png else out / "reconnects.png"
    samples, timeline = read_samples(out), read_timeline(out)
    start = next((e["t"] for e in timeline if e["kind"] == "start"), samples[0].t if samples else 0.0)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True, height_ratios=(3, 2))
    for entry in timeline:
        if entry["kind"] == "window":
            for ax in (top, bottom):
                ax.axvspan(entry["start"] - start, entry["end"] - start, alpha=0.15,
                           color=WINDOW_COLOURS.get(entry["fault"], "grey"))
        elif entry["kind"] == "storm":
            for ax in (top, bottom):
                ax.axvline(entry.get("start", entry["t"]) - start, color="black", linestyle="--", linewidth=0.8)

    by_product: dict[str, list[tuple[float, float]]] = defaultdict(list)
    failed: list[tuple[float, float]] = []
    for s in samples:
        if s.type == metrics.WS and s.name == metrics.RECONNECT and "lost_t" in s.detail:
            point = (float(s.detail["lost_t"]) - start, s.ms)
            (by_product[str(s.detail.get("product", "?"))] if s.ok else failed).append(point)
    for product, points in sorted(by_product.items()):
        top.scatter(*zip(*points, strict=True), s=8, alpha=0.6, label=f"{product} reconnect",
                    color=PRODUCT_COLOURS.get(product))
    if failed:
        top.scatter(*zip(*failed, strict=True), s=24, marker="x", color="red", label="reconnect failed")
    top.set_ylabel("drop noticed → usable again (ms)")
    top.set_yscale("symlog", linthresh=100)
    top.set_title(f"Reconnects over the run ({sum(map(len, by_product.values()))} ok, {len(failed)} failed); "
                  "dashed = storm, bands = blackout / refused / latency")
    top.legend(loc="upper right", fontsize=8)
    top.grid(alpha=0.3)

    rtts: dict[int, list[float]] = defaultdict(list)
    misses: dict[int, int] = defaultdict(int)
    for s in samples:
        if s.type == metrics.WS and s.name == metrics.KEEPALIVE:
            second = int(s.t - start)
            if s.ok:
                rtts[second].append(s.ms)
            else:
                misses[second] += 1
    if rtts:
        seconds = sorted(rtts)
        bottom.plot(seconds, [percentile(rtts[x], 50) for x in seconds], label="keepalive RTT p50 (ms)")
        bottom.plot(seconds, [percentile(rtts[x], 95) for x in seconds], label="keepalive RTT p95 (ms)")
    if misses:
        bottom.bar(sorted(misses), [misses[x] for x in sorted(misses)], color="tab:red", alpha=0.6,
                   label="missed acks / s")
    bottom.set_xlabel("seconds since the test started")
    bottom.legend(loc="upper right", fontsize=8)
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plot reconnect times of a finished load run")
    parser.add_argument("out", nargs="?", default="reports/load")
    parser.add_argument("--png", default=None)
    args = parser.parse_args(argv)
    print(plot(args.out, args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
