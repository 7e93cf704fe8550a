"""Real Locust runs, each in its own processes (locust is never imported into this pytest process).

``python -m load.run`` starts the standalone platform and Locust, plots and checks the run; these
tests hold it to the thresholds and look at what it wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.load, pytest.mark.slow]


def _run(out: Path, *args: str, timeout: float = 100) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "load.run", "--out", str(out), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    verdict_path = out / "checks.json"
    verdict = json.loads(verdict_path.read_text()) if verdict_path.exists() else {}
    return done, verdict


def _failures(done: subprocess.CompletedProcess[str], verdict: dict[str, Any]) -> str:
    failed = [c for c in verdict.get("checks", []) if not c["ok"]]
    return f"exit {done.returncode}; failed checks: {failed}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def test_short_headless_run_meets_the_thresholds(tmp_path: Path) -> None:
    """60 users of both products, 25 s: a storm, a blackout, refused reconnects and latency."""
    done, verdict = _run(tmp_path, "--scenario", "short")
    assert done.returncode == 0 and verdict.get("ok"), _failures(done, verdict)
    checks = {c["name"]: c for c in verdict["checks"]}
    assert [s["dropped"] for s in checks["storms"]["data"]["storms"]] == [60, 60, 60]
    summary = verdict["summary"]
    assert summary["users"] == 60
    assert summary["detection_ms"]["n"] >= 60  # every user detected the blackout
    assert summary["reconnect_ms"]["n"] >= 4 * 60  # three storms and the blackout, for everyone
    for name in ("locust_stats.csv", "locust_stats_history.csv", "locust.html", "reconnects.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    stats = (tmp_path / "locust_stats.csv").read_text()
    for row in ("WS,connect", "WS,keepalive", "WS,reconnect", "REST,Create notification channel",
                "REST,User subscription"):
        assert row in stats


def test_distributed_master_and_two_workers(tmp_path: Path) -> None:
    """A master and two worker processes share the users; the master's CSV has every sample. The
    users also call each other (a share with checked audio) and exchange chat messages."""
    done, verdict = _run(tmp_path, "--scenario", "distributed", "--workers", "2", "--optional-tasks", "call,message",
                         "--call-every", "3", "--media-share", "0.2", "--message-every", "2")
    assert done.returncode == 0 and verdict.get("ok"), _failures(done, verdict)
    counts = {c["name"]: c for c in verdict["checks"]}["traffic"]["data"]["counts"]
    assert counts["CALL setup"]["ok"] >= 10 and counts["MESSAGE delivery"]["ok"] >= 10, counts
    stats = (tmp_path / "locust_stats.csv").read_text()
    assert "CALL,setup" in stats and "MESSAGE,delivery" in stats
    per_worker = {}
    for path in tmp_path.glob("samples-*.jsonl"):
        users = {json.loads(line)["user"] for line in path.read_text().splitlines()}
        per_worker[path.name] = len(users)
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker.values()), per_worker
    assert sum(per_worker.values()) == 20
    assert {"locust-master.log", "locust-worker-1.log", "locust-worker-2.log"} <= {
        p.name for p in tmp_path.glob("locust-*.log")}
