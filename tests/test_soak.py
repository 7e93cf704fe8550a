"""The soak's short run (load/soak.py) in ``make test``: mixed traffic of both products with real
media, faults and abusive clients against a standalone platform, then no socket, channel, call
leg, media peer, task or descriptor left on either side. ``make soak`` runs ten minutes and judges
the RSS slope; ``make test-load`` runs a minute."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _soak(tmp_path: Path, seconds: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "load.soak", "--duration", str(seconds), "--wave", "6",
                           "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=seconds + 90)
    result: dict[str, object] = json.loads((tmp_path / "soak.json").read_text())
    assert done.returncode == 0 and result["ok"], done.stdout[-3000:] + done.stderr[-3000:]
    return result


@pytest.mark.slow
def test_a_short_soak_leaves_nothing_behind(tmp_path: Path) -> None:
    result = _soak(tmp_path, 20)
    assert result["waves"] >= 2
    assert (tmp_path / "rss.png").exists()


@pytest.mark.load
def test_a_one_minute_soak_leaves_nothing_behind_and_its_memory_flat(tmp_path: Path) -> None:
    result = _soak(tmp_path, 60)
    judged = {c["name"]: c for c in result["checks"]}  # type: ignore[attr-defined]
    assert judged["rss flat"].get("judged", True), judged["rss flat"]


def _rss_verdict(waves: int, mb_per_wave: float) -> dict[str, object]:
    from load.soak import Report, Sample, checks

    empty = {"sockets": 0, "channels": 0, "legs": 0, "sessions": 0, "peers": 0, "tasks": 4}
    report = Report(samples=[Sample(w, float(w), 130 + mb_per_wave * w, 8, empty) for w in range(waves + 2)])
    side = {"tasks": 1, "fds": 10, "peers": 0}
    found = checks(report, report.samples[0], report.samples[-1], side, side)
    return next(c for c in found if c["name"] == "rss flat")


def test_a_long_soak_sees_a_leak_of_tens_of_kilobytes_a_call() -> None:
    assert not _rss_verdict(50, 0.45)["ok"], "the frozen-cycles leak: +0.45 MB a wave over 50 waves"
    assert _rss_verdict(50, 0.05)["ok"]
    assert _rss_verdict(8, 0.45)["ok"], "a short run's slope is too coarse to judge that finely"
    assert not _rss_verdict(8, 2.5)["ok"]
