"""Sampling a benchmark's measured phase with py-spy, and saying where the time went.

``Sampler`` attaches py-spy (the ``bench`` extra) to this very process for the duration of a
``with`` block, so that set-up and imports stay out of the profile, and writes the collapsed stacks
py-spy records (one ``frame;frame;... count`` line per distinct stack). From those:

* ``flame_svg`` draws a flame graph (root at the bottom, width = share of samples; hover a box for
  its function, file and share), coloured by side: platform, SDK, baseline, event loop;
* ``breakdown`` attributes every sample to a side by the frames on its stack (the platform's and
  aiohttp's server modules, the SDK's and aiohttp's client modules, ...) and lists, per side, the
  functions the samples were in (self time) and under (inclusive time).

Samples show where CPU went in Python frames; time inside C code (json, the socket write) counts
for the Python frame that called it. The cycle collector's pauses fall on whatever allocation
triggered them, so the benchmarks also time them apart (``GcTimer``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import html
import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Sides = tuple[tuple[str, tuple[str, ...]], ...]
#: Which side a sample belongs to: the side of the frame nearest the root (the task or callback the
#: loop ran) that carries one of its markers. The SDK run: platform, SDK and the benchmark driver.
SDK_RUN_SIDES: Sides = (
    ("platform", ("/fake_platform/", "/aiohttp/web_")),
    ("sdk", ("/sdk/", "/aiohttp/client")),
    ("benchmark", ("/bench/",)),
)
#: The raw baseline: a plain aiohttp server and plain aiohttp clients, both written in the benchmark.
RAW_RUN_SIDES: Sides = (
    ("server (plain aiohttp)", ("/aiohttp/web_", "bench_raw.<locals>.publish", "bench_raw.<locals>.websocket")),
    ("clients (plain aiohttp)", ("/aiohttp/client", "bench_raw.<locals>.read", "bench_raw.<locals>.send")),
)
OTHER = "event loop and other"
PALETTE = ((230, 140, 40), (60, 120, 220), (170, 110, 190), (120, 170, 80))
GREY = (150, 150, 150)
START_TIMEOUT = 20.0
STOP_TIMEOUT = 60.0


def py_spy() -> str | None:
    """The py-spy executable beside this interpreter (or on PATH), if installed."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Sampler:
    """``async with Sampler(path):`` samples this process with py-spy while the block runs."""

    def __init__(self, collapsed: Path, rate: int = 200) -> None:
        self.collapsed = collapsed
        self.rate = rate
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Sampler:
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed: pip install -e '.[bench]'")
        self.collapsed.parent.mkdir(parents=True, exist_ok=True)
        # --nonblocking: read the stacks without pausing the process (less overhead, rare torn stacks)
        self._process = process = await asyncio.create_subprocess_exec(
            exe, "record", "--pid", str(os.getpid()), "--rate", str(self.rate), "--format", "raw",
            "--nonblocking", "--full-filenames", "-o", str(self.collapsed),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        assert process.stdout is not None
        async with asyncio.timeout(START_TIMEOUT):  # py-spy prints this line once it samples
            while b"Sampling process" not in await process.stdout.readline():
                if process.stdout.at_eof():
                    raise RuntimeError(f"py-spy could not sample this process (exit code {await process.wait()})")
        return self

    async def __aexit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await process.communicate()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


class GcTimer:
    """Counts the cycle collector's runs and times its pauses while enabled (``with GcTimer() as t``)."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # the collector's own CPU: what a busy machine's preemptions do not inflate
        self.longest = 0.0
        self._started = 0.0
        self._started_cpu = 0.0

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            self._started_cpu = time.thread_time()
            return
        self.cpu_seconds += time.thread_time() - self._started_cpu
        pause = time.perf_counter() - self._started
        self.collections[info["generation"]] += 1
        self.seconds += pause
        self.longest = max(self.longest, pause)

    def result(self) -> dict[str, Any]:
        return {"collections_by_generation": list(self.collections), "pause_s": round(self.seconds, 3),
                "pause_cpu_s": round(self.cpu_seconds, 3), "longest_pause_ms": round(self.longest * 1000, 1)}


# -- reading collapsed stacks ------------------------------------------------------------------------
def read_collapsed(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def side_of(frames: list[str], sides: Sides) -> str:
    # What the loop ran starts after its Handle._run frame (above it: asyncio.run and the script).
    start = next((i + 1 for i, f in enumerate(frames) if f.startswith("Handle._run ")), 0)
    for frame in frames[start:]:  # root first
        for side, markers in sides:
            if any(marker in frame for marker in markers):
                return side
    return OTHER


def function_of(frame: str, root: str = "") -> str:
    """``Class.method (/abs/path/file.py:123)`` -> ``Class.method (path/file.py)``: one function's lines merge,
    paths are shown from the repository (or site-packages, or the standard library)."""
    name, _, where = frame.partition(" (")
    if not where:
        return name
    path = where.rsplit(":", 1)[0]
    for prefix in (root, "site-packages/", "/lib/python"):
        if prefix and prefix in path:
            path = path.split(prefix, 1)[1].lstrip("/")
            path = path.split("/", 1)[1] if prefix == "/lib/python" and "/" in path else path
            break
    return f"{name} ({path})"


def breakdown(stacks: list[tuple[list[str], int]], sides: Sides, top: int = 12) -> dict[str, Any]:
    """Share of samples per side, and per side the functions with the most self and inclusive samples."""
    root = str(Path(__file__).resolve().parents[1]) + "/"
    total = sum(count for _frames, count in stacks) or 1
    per_side: Counter[str] = Counter()
    own: dict[str, Counter[str]] = {}
    under: dict[str, Counter[str]] = {}
    for frames, count in stacks:
        side = side_of(frames, sides)
        per_side[side] += count
        start = next((i + 1 for i, f in enumerate(frames) if f.startswith("Handle._run ")), 0)
        names = [function_of(f, root) for f in frames[start:]] or ["(the loop itself)"]
        own.setdefault(side, Counter())[names[-1]] += count
        for name in set(names):
            under.setdefault(side, Counter())[name] += count

    def pct(n: int) -> float:
        return round(100 * n / total, 1)

    order = [side for side, _n in per_side.most_common()]
    return {
        "samples": total,
        "sides_pct": {side: pct(per_side[side]) for side in order},
        "self_pct": {side: {name: pct(n) for name, n in own[side].most_common(top)} for side in order},
        "inclusive_pct": {side: {name: pct(n) for name, n in under[side].most_common(3 * top)}
                          for side in order},
    }


# -- the flame graph -----------------------------------------------------------------------------------
@dataclass
class _Node:
    name: str
    count: int = 0
    colour: tuple[int, int, int] = GREY
    children: dict[str, _Node] = field(default_factory=dict)


def _tree(stacks: list[tuple[list[str], int]], sides: Sides) -> _Node:
    colours = {side: PALETTE[i % len(PALETTE)] for i, (side, _markers) in enumerate(sides)}
    root = _Node("all")
    for frames, count in stacks:
        colour = colours.get(side_of(frames, sides), GREY)
        root.count += count
        node = root
        for frame in frames:
            node = node.children.setdefault(frame, _Node(frame, colour=colour))
            node.count += count
    return root


def flame_svg(stacks: list[tuple[list[str], int]], svg: Path, title: str, sides: Sides,
              width: int = 1800) -> None:
    """Draw the collapsed stacks as a flame graph SVG (boxes under 0.05 % of samples are left out)."""
    root = _tree(stacks, sides)
    repo = str(Path(__file__).resolve().parents[1]) + "/"
    row, min_share = 16, 0.0005
    boxes: list[str] = []
    depth_max = 0

    def draw(node: _Node, x: float, depth: int) -> None:
        nonlocal depth_max
        share = node.count / root.count
        w = share * width
        depth_max = max(depth_max, depth)
        r, g, b = node.colour if depth else (200, 200, 200)
        shade = (hash(node.name) % 40) - 20
        fill = f"rgb({min(255, max(0, r + shade))},{min(255, max(0, g + shade))},{min(255, max(0, b + shade))})"
        name = node.name.replace(repo, "")
        label = html.escape(name)
        text = html.escape(name[: int(w / 7)]) if w > 35 else ""
        boxes.append(f'<g><title>{label} ({node.count} samples, {100 * share:.2f}%)</title>'
                     f'<rect x="{x:.1f}" y="{{y{depth}}}" width="{max(w - 0.5, 0.1):.1f}" height="{row - 1}" '
                     f'fill="{fill}" rx="2"/>'
                     + (f'<text x="{x + 3:.1f}" y="{{t{depth}}}">{text}</text>' if text else "") + "</g>")
        offset = x
        for child in sorted(node.children.values(), key=lambda c: c.name):
            if child.count / root.count >= min_share:
                draw(child, offset, depth + 1)
            offset += child.count / root.count * width

    draw(root, 0.0, 0)
    height = (depth_max + 1) * row + 60
    body = "\n".join(boxes)
    for depth in range(depth_max + 1):  # root at the bottom
        y = height - 20 - (depth + 1) * row
        body = body.replace(f"{{y{depth}}}", str(y)).replace(f"{{t{depth}}}", str(y + row - 4))
    legend = "  ".join(f"{side}: rgb{PALETTE[i % len(PALETTE)]}" for i, (side, _m) in enumerate(sides))
    legend += f"  {OTHER}: rgb{GREY}"
    svg.parent.mkdir(parents=True, exist_ok=True)
    svg.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
        f'font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n'
        f'<text x="4" y="16" font-size="14">{html.escape(title)} ({root.count} samples)</text>\n'
        f'<text x="4" y="32" fill="#555">colours by side: {html.escape(legend)}</text>\n{body}\n</svg>\n',
        encoding="utf-8")


def report(collapsed: Path, svg: Path, title: str, sides: Sides) -> dict[str, Any]:
    """Flame graph beside the collapsed stacks, and the breakdown (also written beside them as JSON)."""
    stacks = read_collapsed(collapsed)
    flame_svg(stacks, svg, title, sides)
    summary = {"flame_graph": svg.name, "collapsed_stacks": collapsed.name, **breakdown(stacks, sides)}
    svg.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
