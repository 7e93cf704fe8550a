"""Plots of the benchmark figures: each emulator figure beside the baseline measured in the same run.

Reads whichever of reports/bench/{calls,messaging,media_density,load,keepalive}.json exist and the messaging
profiles (messaging-profile-<tag>-sdk.json), and writes a PNG beside each: calls.png,
messaging.png (latency and throughput per pair, both GC policies, with the targets),
media_density.png, load-capacity.png, keepalive.png (CPU per keepalive beside the echo server),
messaging-profile.png (where the samples went, per side and tag). Usage: ``python bench/plot.py``.
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
    """Per pair: SDK over baseline for p50, p99 and throughput (the spread of repeated runs), by GC policy."""
    config, pairs = data["config"], data.get("pairs") or [data]
    fig, (ratios, absolute) = plt.subplots(1, 2, figsize=(12, 4.5))
    keys = [("latency_p50", "p50 latency"), ("latency_p99", "p99 latency"), ("messages_per_s", "throughput"),
            ("cpu_per_delivery", "CPU per delivery")]
    policies = sorted({p.get("gc", "default") for p in pairs})
    width = 0.8 / max(1, len(policies))
    for n, policy in enumerate(policies):
        mine = [p for p in pairs if p.get("gc", "default") == policy]
        for k, (key, _label) in enumerate(keys):
            values = [p["ratios"][key] for p in mine if key in p["ratios"]]
            if not values:
                continue
            x = k + (n - (len(policies) - 1) / 2) * width
            ratios.bar(x, sorted(values)[len(values) // 2], width, color=EMULATOR if n == 0 else BASELINE,
                       label=f"GC: {policy}" if k == 0 else None)
            ratios.scatter([x] * len(values), values, color="black", s=10, zorder=3)
    ratios.axhline(1.0, color="grey", linewidth=0.8)
    targets = data.get("targets", {})
    if targets:
        ratios.plot([0.6, 1.4], [targets["latency_p99_ratio_max"]] * 2, color="red", linewidth=1.5,
                    label="target: p99 <= 3x")
        ratios.plot([1.6, 2.4], [targets["messages_per_s_ratio_min"]] * 2, color="green", linewidth=1.5,
                    label="target: throughput >= 0.5x")
    ratios.set_xticks(range(len(keys)), [label for _key, label in keys])
    ratios.set_ylabel("SDK + platform / raw aiohttp (same run)")
    ratios.set_title("ratios per pair (bar: median, dots: each pair)", fontsize=10)
    ratios.legend(fontsize=8)
    sdk, raw = data["sdk_over_platform"], data["raw_aiohttp_fanout"]
    _pair(absolute, f"headline pair ({data.get('gc', 'default')} GC)", "ms  |  messages / s",
          ["p50 ms", "p99 ms", "msg/s"], [raw["latency_ms"]["p50"], raw["latency_ms"]["p99"], raw["messages_per_s"]],
          [sdk["latency_ms"]["p50"], sdk["latency_ms"]["p99"], sdk["messages_per_s"]])
    absolute.set_yscale("log")
    fig.suptitle(f"group chat: {config['members']} members, {config['messages']} messages, window {config['window']} "
                 "(baseline: plain aiohttp websocket fan-out in the same process)")
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def plot_media_density(data: dict[str, Any], target: Path) -> Path:
    summary, config = data["summary"], data["config"]
    fig, (per_core, delivered) = plt.subplots(1, 2, figsize=(12, 4.5))
    kinds = [("raw_aiortc_calls_per_core", f"raw aiortc\n(encode+decode, {config['raw_calls']} calls)"),
             ("raw_aiortc_pre_encoded_calls_per_core", f"raw aiortc\npre-encoded ({config['calls']})"),
             ("sdk_dense_calls_per_core", f"SDK dense, 1 in {config['verify_every']}\ndecoded ({config['calls']})")]
    medians = [summary[key]["median"] for key, _label in kinds]
    bars = per_core.bar([label for _key, label in kinds], medians, color=[BASELINE, BASELINE, EMULATOR])
    for bar, (key, _label) in zip(bars, kinds, strict=True):
        spread = summary[key]
        per_core.annotate(f"{spread['median']:.0f}\n({spread['min']:.0f}-{spread['max']:.0f})",
                          (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    per_core.axhline(data["target"]["calls_per_core_min"], color="red", linewidth=1, label="target: 100 per core")
    per_core.set_ylabel("two-way PCMU calls per core (1 / CPU-s per s per call)")
    per_core.set_title("calls with media per core (same run)", fontsize=10)
    per_core.legend(fontsize=8)
    runs = data["runs"]
    delivered.plot(range(1, len(runs) + 1), [r["sdk_dense"]["delivered_share"] for r in runs], marker="o",
                   label="SDK dense: packets delivered")
    delivered.plot(range(1, len(runs) + 1), [r["raw_aiortc"]["delivered_share"] for r in runs], marker="x",
                   label="raw aiortc: frames delivered")
    delivered.axhline(data["target"]["delivered_share_min"], color="red", linewidth=1)
    delivered.set_ylim(0, 1.1)
    delivered.set_xlabel("run")
    delivered.set_ylabel("share of expected (50 / s / direction)")
    delivered.set_title(f"at {config['calls']} calls in one process", fontsize=10)
    delivered.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def plot_load_capacity(data: dict[str, Any], target: Path) -> Path:
    part = data["a_channel_capacity"]
    servers = part["servers"]
    fig, axis = plt.subplots(figsize=(9, 4.5))
    names = list(servers)
    values = [servers[n]["capacity"] for n in names]
    echo = part["echo_capacity"] or 1
    colours = [BASELINE if n.startswith("echo") else EMULATOR for n in names]
    bars = axis.bar(names, values, color=colours)
    for bar, value in zip(bars, values, strict=True):
        axis.annotate(f"{value}\n({value / echo:.2f}x echo)", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=8)
    axis.axhline(0.9 * echo, color="red", linewidth=1, label="0.9 x echo (target for the defaults)")
    axis.set_ylabel("channels held (keepalive 1/s, < 1 % missed)")
    axis.set_title("notification channels per platform process, beside a plain aiohttp echo server (same run)",
                   fontsize=10)
    axis.legend(fontsize=8)
    axis.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def _round_name(round_: dict[str, Any], n: int) -> str:
    return f"run {round_['run']}\nround {n + 1}" if "run" in round_ else f"round {n + 1}"


def plot_keepalive(data: dict[str, Any], target: Path) -> Path:
    """Server CPU per keepalive per round, and echo's cost over each server's (capacity's proxy)."""
    rounds = data["rounds"]
    kinds = list(rounds[0]["us_per_keepalive"])
    fig, (cost, ratio) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        values = [r["us_per_keepalive"].get(kind) or 0 for r in rounds]
        cost.bar([n + k * width for n in range(len(rounds))], values, width, label=kind,
                 color=BASELINE if kind == "echo" else None)
    cost.set_xticks([n + 0.4 - width / 2 for n in range(len(rounds))],
                    [f"{_round_name(r, n)}\nload {r['load_average'][0]:.1f}" for n, r in enumerate(rounds)],
                    fontsize=7)
    cost.set_ylabel("server CPU us per keepalive answered")
    cost.set_title(f"CPU per keepalive at {data['config']['channels']} channels", fontsize=10)
    cost.legend(fontsize=8)
    summary = data["summary"]["echo_cost_over_server_cost"]
    names = list(summary)
    medians = [summary[n]["median"] or 0 for n in names]
    bars = ratio.bar(names, medians, color=EMULATOR)
    for bar, name in zip(bars, names, strict=True):
        spread = summary[name]
        ratio.annotate(f"{spread['median']} ({spread['min']}-{spread['max']})",
                       (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ratio.axhline(data["target"]["echo_cost_over_defaults_cost_min"], color="red", linewidth=1,
                  label="target for the defaults")
    ratio.set_ylabel("echo's CPU per keepalive / the server's (median of rounds)")
    ratio.set_title("capacity's proxy beside the plain echo server (same run)", fontsize=10)
    ratio.tick_params(axis="x", labelsize=8)
    ratio.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def plot_profiles(profiles: dict[str, dict[str, Any]], target: Path) -> Path:
    """Share of samples per side, and CPU per delivery while sampled, per profile tag (before, after)."""
    tags = sorted(profiles, key=lambda t: (t != "before", t))
    sides = sorted({side for p in profiles.values() for side in p["sides_pct"]})
    fig, (shares, cost) = plt.subplots(1, 2, figsize=(12, 4.5))
    bottom = [0.0] * len(tags)
    for side in sides:
        values = []
        for tag in tags:
            per_delivery = profiles[tag]["figures_while_sampled"]["cpu_us_per_delivery"]
            values.append(profiles[tag]["sides_pct"].get(side, 0.0) / 100 * per_delivery)
        shares.bar(tags, values, bottom=bottom, label=side)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    shares.set_ylabel("CPU us per delivery while sampled, split by side")
    shares.set_title("where the time went (py-spy samples)", fontsize=10)
    shares.legend(fontsize=8)
    pauses = [profiles[t]["figures_while_sampled"]["gc"]["pause_s"] for t in tags]
    cost.bar(tags, pauses, color=BASELINE)
    cost.set_ylabel("cycle collector pauses during the run (s)")
    cost.set_title("collector pauses while sampled", fontsize=10)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def main() -> int:
    written = []
    for name, plot, png in (("calls", plot_calls, "calls"), ("messaging", plot_messaging, "messaging"),
                            ("media_density", plot_media_density, "media_density"),
                            ("load", plot_load_capacity, "load-capacity"),
                            ("keepalive", plot_keepalive, "keepalive")):
        source = BENCH / f"{name}.json"
        if source.exists():
            data = json.loads(source.read_text())
            if name == "load" and "a_channel_capacity" not in data:
                continue
            written.append(plot(data, BENCH / f"{png}.png"))
    profiles = {path.name.removeprefix("messaging-profile-").removesuffix("-sdk.json"): json.loads(path.read_text())
                for path in sorted(BENCH.glob("messaging-profile-*-sdk.json"))}  # the tag may hold a hyphen
    if profiles:
        written.append(plot_profiles(profiles, BENCH / "messaging-profile.png"))
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"no benchmark figures in {BENCH}: run make bench", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
