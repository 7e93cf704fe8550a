"""Plots of the benchmark figures: each emulator figure beside the baseline measured in the same run.

Reads reports/bench/calls.json and reports/bench/messaging.json (whichever exist) and writes
reports/bench/calls.png and reports/bench/messaging.png. Usage: ``python bench/plot.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

BENCH = Path(__file__).resolve().parent.parent / "reports" / "bench"
BASELINE, EMULATOR = "#9e9e9e", "#1f77b4"


def _pair(axis: Any, title: str, unit: str, labels: list[str], raw: list[float], sdk: list[float]) -> None:
    """Grouped bars: the baseline and the emulator, per label."""
    positions = range(len(labels))
    width = 0.38
    axis.bar([p - width / 2 for p in positions], raw, width, label="baseline", color=BASELINE)
    axis.bar([p + width / 2 for p in positions], sdk, width, label="SDK + platform", color=EMULATOR)
    for p, (a, b) in enumerate(zip(raw, sdk, strict=True)):
        axis.annotate(f"{a:.3g}", (p - width / 2, a), ha="center", va="bottom", fontsize=8)
        axis.annotate(f"{b:.3g}", (p + width / 2, b), ha="center", va="bottom", fontsize=8)
    axis.set_xticks(list(positions), labels)
    axis.set_title(title, fontsize=10)
    axis.set_ylabel(unit)
    axis.legend(fontsize=8)


def plot_calls(data: dict[str, Any], target: Path) -> Path:
    setup, one, many, dtmf = data["setup"], data["media_cpu_one_call"], data["concurrent_calls"], data["dtmf"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    _pair(axes[0][0], f"call set-up to first media (p50, {setup['rounds']} rounds)", "seconds",
          ["first media"], [setup["raw_aiortc_first_media_s"]["p50"]], [setup["sdk_first_media_both_ends_s"]["p50"]])
    _pair(axes[0][1], "CPU per call (plain aiortc vs SDK call)", "CPU s per s",
          ["1 call", f"{many['calls']} calls"],
          [one["raw_aiortc_cpu_s_per_s_per_call"], many["raw_aiortc_cpu_s_per_s_per_call"]],
          [one["sdk_cpu_s_per_s_per_call"], many["sdk_cpu_s_per_s_per_call"]])
    _pair(axes[1][0], "audio frames delivered", "share of frames sent",
          ["1 call", f"{many['calls']} calls"],
          [one["raw_frames_delivered_share"], many["raw_frames_delivered_share"]],
          [one["sdk_frames_delivered_share"], many["sdk_frames_delivered_share"]])
    modes = ["rfc4733", "inband"]
    bars = axes[1][1].bar(modes, [dtmf[m]["accuracy"] for m in modes], color=EMULATOR)
    for bar, mode in zip(bars, modes, strict=True):
        axes[1][1].annotate(f"{dtmf[mode]['digits_correct']}/{dtmf[mode]['digits_sent']}",
                            (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom")
    axes[1][1].set_ylim(0, 1.1)
    axes[1][1].set_title(f"DTMF digits heard by the IVR ({dtmf['sequences']} sequences per mode)", fontsize=10)
    axes[1][1].set_ylabel("accuracy")
    fig.suptitle(f"calls: {data['machine']['cpus']} CPUs, Python {data['machine']['python']}")
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def plot_messaging(data: dict[str, Any], target: Path) -> Path:
    sdk, raw, config = data["sdk_over_platform"], data["raw_aiohttp_fanout"], data["config"]
    fig, (latency, rate) = plt.subplots(1, 2, figsize=(11, 4))
    _pair(latency, "send to arrival at every member", "ms", ["p50", "p99"],
          [raw["latency_ms"]["p50"], raw["latency_ms"]["p99"]], [sdk["latency_ms"]["p50"], sdk["latency_ms"]["p99"]])
    _pair(rate, "messages fanned out per second", "messages / s", ["throughput"],
          [raw["messages_per_s"]], [sdk["messages_per_s"]])
    fig.suptitle(f"group chat: {config['members']} members, {config['messages']} messages "
                 "(baseline: plain aiohttp websocket fan-out)")
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def main() -> int:
    written = []
    for name, plot in (("calls", plot_calls), ("messaging", plot_messaging)):
        source = BENCH / f"{name}.json"
        if source.exists():
            written.append(plot(json.loads(source.read_text()), BENCH / f"{name}.png"))
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"no benchmark figures in {BENCH}: run make bench", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
