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
