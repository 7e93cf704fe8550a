"""The load-run checks on hand-made runs: they pass a healthy run and catch each kind of failure."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from load import checks, metrics
from load.metrics import Sample, SampleLog

T0 = 1_000_000.0
SETTINGS = {"ping_interval_ms": 1000, "max_missed_pings": 3, "reconnect_delay_ms": 500}
USERS = ("u1", "u2")


class Run:
    """A fake run directory: timeline, samples and a Locust stats CSV derived from the samples."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.timeline: list[dict[str, object]] = [{"kind": "start", "t": T0, "settings": SETTINGS}]
        self.samples: list[Sample] = []
        for user in USERS:
            self.add(metrics.WS, metrics.CONNECT, 10, True, user, T0 + 0.1)
            self.add(metrics.WS, metrics.KEEPALIVE, 2, True, user, T0 + 1)

    def add(self, type_: str, name: str, ms: float, ok: bool, user: str, t: float, **detail: object) -> None:
        self.samples.append(Sample(type_, name, ms, ok, user, t, None if ok else "failed", dict(detail)))

    def storm(self, at: float, back_after: dict[str, float], **extra: object) -> None:
        self.timeline.append({"kind": "storm", "t": T0 + at + 0.01, "start": T0 + at, "dropped": len(back_after),
                              **extra})
        for user, seconds in back_after.items():
            self.add(metrics.WS, metrics.RECONNECT, seconds * 1000, True, user, T0 + at + seconds,
                     lost_t=T0 + at + 0.005, reason="CLOSED code=1006", socket_ms=5)

    def blackout(self, at: float, duration: float, detection_ms: float = 3002) -> None:
        self.timeline.append({"kind": "window", "t": T0 + at, "fault": "keepalive_blackout",
                              "start": T0 + at, "end": T0 + at + duration})
        for user in USERS:
            self.add(metrics.WS, metrics.KEEPALIVE, 1000, False, user, T0 + at + 2)
            self.add(metrics.WS, metrics.DETECTION, detection_ms, True, user, T0 + at + 3)
            self.add(metrics.WS, metrics.RECONNECT, 30, True, user, T0 + at + 3.03,
                     lost_t=T0 + at + 3, reason="no keepalive answer for 3.0 s")

    def finish(self, connected: bool = True) -> tuple[bool, dict[str, checks.Check]]:
        for user in USERS:
            self.add(metrics.FINAL, metrics.FINAL, 0, connected, user, T0 + 60)
        self.timeline.append({"kind": "census", "t": T0 + 55, "channels": 2, "connected": 2 if connected else 1})
        (self.out / "timeline.jsonl").write_text("".join(json.dumps(e) + "\n" for e in self.timeline))
        log = SampleLog(self.out)
        log.write(self.samples)
        log.close()
        self._write_stats()
        ok, results, _ = checks.run_checks(self.out)
        return ok, {c.name: c for c in results}

    def _write_stats(self) -> None:
        rows: dict[tuple[str, str], list[Sample]] = {}
        for s in self.samples:
            if s.is_metric:
                rows.setdefault((s.type, s.name), []).append(s)
        with (self.out / "locust_stats.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Type", "Name", "Request Count", "Failure Count", "Min Response Time",
                             "Max Response Time"])
            for (type_, name), group in rows.items():
                writer.writerow([type_, name, len(group), sum(not s.ok for s in group),
                                 min(s.ms for s in group), max(s.ms for s in group)])


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path)


def test_a_healthy_run_passes_every_check(run: Run) -> None:
    run.storm(10, {"u1": 0.05, "u2": 0.08})
    run.blackout(20, 4)
    run.storm(30, {"u1": 2.2, "u2": 2.3}, refused_until=T0 + 32)
    ok, results = run.finish()
    assert ok, {n: c.detail for n, c in results.items() if not c.ok}
    assert results["storms"].data["storms"][1]["allowed_s"] == pytest.approx(4.5)
    summary = json.loads((run.out / "checks.json").read_text())["summary"]
    assert summary["reconnect_ms"]["n"] == 6 and summary["keepalive_missed"] == 2


def test_a_user_back_after_the_bound_fails_the_storm_check(run: Run) -> None:
    run.storm(10, {"u1": 0.05, "u2": 0.5 + checks.RECOVERY_BOUND_S + 0.1})
    ok, results = run.finish()
    assert not ok
    assert not ok and not results["storms"].ok
    assert "1/2 back" in results["storms"].detail


def test_a_user_missing_after_a_storm_fails_the_storm_check(run: Run) -> None:
    run.storm(10, {"u1": 0.05})
    run.timeline[-1]["dropped"] = 2  # two sockets dropped, one reconnect seen
    ok, results = run.finish()
    assert not ok
    assert not results["storms"].ok


def test_a_missed_ack_outside_fault_windows_fails_the_keepalive_check(run: Run) -> None:
    run.storm(10, {"u1": 0.05, "u2": 0.05})
    run.add(metrics.WS, metrics.KEEPALIVE, 1000, False, "u2", T0 + 40)
    ok, results = run.finish()
    assert not ok
    assert not results["keepalive"].ok and "outside blackout windows" in results["keepalive"].detail
    assert results["storms"].ok


def test_slow_missed_ping_detection_fails_the_detection_check(run: Run) -> None:
    run.storm(10, {"u1": 0.05, "u2": 0.05})
    run.blackout(20, 4, detection_ms=3000 + checks.DETECTION_LATE_S * 1000 + 100)
    ok, results = run.finish()
    assert not ok
    assert not results["detection"].ok and results["blackouts"].ok


def test_users_down_at_the_end_fail_the_lost_for_good_check(run: Run) -> None:
    run.storm(10, {"u1": 0.05, "u2": 0.05})
    ok, results = run.finish(connected=False)
    assert not ok
    assert not results["lost_for_good"].ok and "not connected at the end" in results["lost_for_good"].detail


def _traffic(run: Run, *, call_ok: bool = True, call_at: float = 20, message_ok: bool = True) -> None:
    run.add(metrics.CALL, metrics.CALL_SETUP, 150, call_ok, "u1", T0 + call_at)
    run.add(metrics.MESSAGE, metrics.MESSAGE_DELIVERY, 12, message_ok, "u2", T0 + 21)


def test_calls_and_messages_pass_when_each_succeeds(run: Run) -> None:
    run.storm(5, {"u1": 0.2, "u2": 0.2})
    _traffic(run)
    ok, results = run.finish()
    assert ok and results["traffic"].ok, results["traffic"]
    assert results["traffic"].data["counts"]["CALL setup"] == {"ok": 1, "total": 1}


def test_a_failed_call_outside_any_fault_fails_the_run(run: Run) -> None:
    run.storm(5, {"u1": 0.2, "u2": 0.2})
    _traffic(run)
    run.add(metrics.CALL, metrics.CALL_SETUP, 15000, False, "u2", T0 + 40)  # 25-40 s: nothing was injected
    ok, results = run.finish()
    assert not ok and not results["traffic"].ok
    assert results["traffic"].data["failed_outside"] == 1


def test_a_failure_during_a_storm_is_excused(run: Run) -> None:
    run.storm(20, {"u1": 0.2, "u2": 0.2})
    _traffic(run, call_at=20.5)
    run.add(metrics.CALL, metrics.CALL_SETUP, 400, False, "u2", T0 + 20.3)  # overlaps the storm
    ok, results = run.finish()
    assert ok and results["traffic"].data["failed_in_faults"] == 1, results["traffic"]


def test_a_kind_of_traffic_that_never_succeeds_fails_the_run(run: Run) -> None:
    run.storm(20, {"u1": 0.2, "u2": 0.2})
    _traffic(run, message_ok=False)  # during the storm's recovery: excused, but nothing was ever delivered
    ok, results = run.finish()
    assert not ok and "never succeeded: MESSAGE delivery" in results["traffic"].detail


def _quality(run: Run, at: float, mos: float, gaps: float, window_s: float = 3.0) -> None:
    detail = {"mos": mos, "gaps": gaps, "window_s": window_s}
    run.add(metrics.QUALITY, metrics.QUALITY_MOS, mos * 100, True, "u1", T0 + at, **detail)
    run.add(metrics.QUALITY, metrics.QUALITY_GAPS, gaps, True, "u1", T0 + at, **detail)


def test_call_quality_is_read_per_network_and_clean_calls_must_sound_clean(run: Run) -> None:
    run.storm(5, {"u1": 0.2, "u2": 0.2})
    run.timeline.append({"kind": "window", "t": T0 + 20, "fault": "impairment", "start": T0 + 20, "end": T0 + 30,
                         "profile": "3G"})
    _quality(run, 15, 4.4, 0.0)
    _quality(run, 18, 4.3, 1.0)
    _quality(run, 25, 3.6, 4.0)  # inside the 3G window
    _quality(run, 31, 3.9, 2.0)  # straddles its end
    ok, results = run.finish()
    assert ok, results["quality"].detail
    networks = results["quality"].data
    assert networks["clean"]["calls"] == 2 and networks["clean"]["mos_p50"] == pytest.approx(4.3)
    assert networks["3G"]["calls"] == 1 and networks["3G"]["gaps_p50"] == 4.0
    assert networks["mixed"]["calls"] == 1


def test_clean_calls_that_sound_bad_fail_the_quality_check(run: Run) -> None:
    run.storm(5, {"u1": 0.2, "u2": 0.2})
    _quality(run, 15, 3.1, 12.0)
    ok, results = run.finish()
    assert not ok and not results["quality"].ok and "below MOS" in results["quality"].detail
