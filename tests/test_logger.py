"""Logger: level filtering, LogEntry, timers, action logs, the default handler."""

from __future__ import annotations

import logging

import pytest

from sdk.logger import LogManager, LogSettings, format_entry, is_enabled, levels, state_diff


@pytest.mark.parametrize(("threshold", "expected"), [
    (levels.DEBUG, ["debug", "info", "warn", "error"]),
    (levels.INFO, ["info", "warn", "error"]),
    (levels.WARN, ["warn", "error"]),
    (levels.ERROR, ["error"]),
    (levels.SILENT, []),
])
def test_levels_filter_entries(threshold: str, expected: list[str]) -> None:
    got = []
    manager = LogManager(LogSettings(level=threshold, handler=got.append))
    log = manager.get("Unit", "u1")
    log.debug("d")
    log.info("i")
    log.warn("w")
    log.error("e")
    assert [e.level for e in got] == expected


def test_silent_is_never_enabled() -> None:
    assert not is_enabled(levels.SILENT, levels.DEBUG)


def test_a_broken_handler_does_not_break_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    def broken(entry: object) -> None:
        raise RuntimeError("handler bug")

    LogManager(LogSettings(handler=broken)).get("Unit").info("still fine")
    assert "LogHandler raised" in caplog.text


def test_default_handler_uses_python_logging(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="sdk")
    LogManager(LogSettings(level=levels.INFO)).get("Unit").warn("careful", {"k": 1})
    record = caplog.records[-1]
    assert record.name == "sdk.Unit" and record.levelno == logging.WARNING
    assert "WARN - careful" in record.getMessage() and '{"k": 1}' in record.getMessage()


def test_timer_methods_report_a_duration() -> None:
    got = []
    log = LogManager(LogSettings(handler=got.append)).get("Unit")
    log.time("op")
    log.timeLog("op", "halfway")
    log.timeEnd("op")
    log.timeEnd("op")  # unknown now: a warning, not a crash
    assert [e.method for e in got] == ["time", "timeLog", "timeEnd", "warn"]
    assert got[2].timer is not None and got[2].timer["duration"] >= 0


def test_action_logs_with_state_and_diff() -> None:
    got = []
    manager = LogManager(LogSettings(handler=got.append, actions={"actionOnly": False, "diff": True,
                                                                  "exposePayloads": True}))
    state = {"n": 0}
    manager.action("FIRST", {"a": 1}, lambda: dict(state))
    state["n"] = 1
    manager.action("SECOND", {"a": 2}, lambda: dict(state))
    details = got[-1].messages[1]
    assert details["action"] == {"type": "SECOND", "payload": {"a": 2}}
    assert details["prevState"] == {"n": 0} and details["nextState"] == {"n": 1}
    assert details["diff"] == [{"path": "n", "kind": "changed", "before": 0, "after": 1}]


def test_action_logs_without_grouping_are_separate_entries() -> None:
    got = []
    manager = LogManager(LogSettings(handler=got.append, enable_grouping=False,
                                     actions={"actionOnly": True, "exposePayloads": False}))
    manager.action("X", {"secret": 1})
    assert [e.messages[0] for e in got] == ["action X", "action"]
    assert got[1].messages[1] == {"type": "X"}


def test_action_level_is_filtered_by_the_log_level() -> None:
    got = []
    manager = LogManager(LogSettings(level=levels.INFO, handler=got.append, actions={"level": levels.DEBUG}))
    manager.action("X", None)
    assert got == []


def test_state_diff_reports_added_removed_and_changed() -> None:
    assert state_diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == [
        {"path": "b", "kind": "changed", "before": 2, "after": 3},
        {"path": "c", "kind": "added", "after": 4},
    ]


def test_format_entry_flattens_objects() -> None:
    got = []
    LogManager(LogSettings(handler=got.append)).get("Unit").info("x", {"b": [1, 2]})
    assert format_entry(got[0], flatten=True).endswith('x {"b": [1, 2]}')
