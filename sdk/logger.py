"""The SDK logger: levels, LogEntry, LogHandler, and action logs.

Basic logs are lines about what the SDK is doing; each becomes a :class:`LogEntry` handed to the
configured LogHandler when its level is at or above ``logs.logLevel``. Action logs describe one
state-changing step (an API call, a notification, a state transition) with, unless ``actionOnly``,
the client's state before and after it and optionally their diff.

The default handler is a thin wrapper over Python's :mod:`logging` (logger ``sdk.<target type>``),
the Python counterpart of the browser console the documents describe.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kandy_media.clock import SYSTEM_CLOCK, Clock


class levels:
    """Possible levels for the SDK logger (documented ``logger.levels``)."""

    SILENT = "silent"
    ERROR = "error"
    WARN = "warn"
    INFO = "info"
    DEBUG = "debug"


LEVEL_ORDER = {levels.DEBUG: 0, levels.INFO: 1, levels.WARN: 2, levels.ERROR: 3, levels.SILENT: 4}
# Log methods and the level each one logs at (timers log at debug, as the documented example does).
METHOD_LEVELS = {
    "debug": levels.DEBUG,
    "log": levels.DEBUG,
    "info": levels.INFO,
    "warn": levels.WARN,
    "error": levels.ERROR,
    "time": levels.DEBUG,
    "timeLog": levels.DEBUG,
    "timeEnd": levels.DEBUG,
}
_PY_LEVELS = {
    levels.DEBUG: logging.DEBUG,
    levels.INFO: logging.INFO,
    levels.WARN: logging.WARNING,
    levels.ERROR: logging.ERROR,
}

LogHandler = Callable[["LogEntry"], None]


@dataclass
class LogEntry:
    """The data compiled when information is logged (documented ``LogEntry``)."""

    timestamp: int
    method: str
    level: str
    target: dict[str, Any]
    messages: list[Any]
    timer: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:  # logEntry['level'] as in the documented handlers
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        entry = {
            "timestamp": self.timestamp,
            "method": self.method,
            "level": self.level,
            "target": dict(self.target),
            "messages": list(self.messages),
        }
        if self.timer is not None:
            entry["timer"] = dict(self.timer)
        return entry


def is_enabled(level: str, threshold: str) -> bool:
    """True when a log at ``level`` passes a logger set to ``threshold``."""
    if level == levels.SILENT:
        return False
    return LEVEL_ORDER.get(level, 0) >= LEVEL_ORDER.get(threshold, 0)


def _stringify(message: Any) -> str:
    if isinstance(message, str):
        return message
    try:
        return json.dumps(message, default=repr, sort_keys=True)
    except (TypeError, ValueError):
        return repr(message)


def format_entry(entry: LogEntry, *, flatten: bool = False) -> str:
    """Human-readable one-line form: ``<timestamp> - <type> - <LEVEL> - <messages>``."""
    head = f"{entry.timestamp} - {entry.target.get('name', entry.target.get('type'))} - {entry.level.upper()}"
    parts = [_stringify(m) if flatten or not isinstance(m, str) else m for m in entry.messages]
    if entry.timer:
        parts.append(f"({entry.timer.get('duration', 0):.1f} ms)")
    return " - ".join([head, " ".join(parts)]) if parts else head


def default_log_handler(entry: LogEntry, *, flatten: bool = False) -> None:
    """The default LogHandler: forwards the entry to the ``sdk.<type>`` Python logger."""
    py_logger = logging.getLogger(f"sdk.{entry.target.get('type', 'SDK')}")
    py_logger.log(_PY_LEVELS.get(entry.level, logging.DEBUG), format_entry(entry, flatten=flatten))


@dataclass
class LogSettings:
    """The parts of ``config.logs`` the logger consults on every entry (refreshed on updateConfig)."""

    level: str = levels.DEBUG
    handler: LogHandler | None = None
    flatten: bool = False
    enable_grouping: bool = True
    actions: Mapping[str, Any] | None = None  # None/False = no action logs


class Logger:
    """A named logger for one target (``type`` + optional ``id``)."""

    def __init__(self, manager: LogManager, target_type: str, target_id: str | None = None) -> None:
        self._manager = manager
        name = target_type if target_id is None else f"{target_type}/{target_id}"
        self.target = {"type": target_type, "id": target_id, "name": name}
        self._timers: dict[str, float] = {}

    def _log(self, method: str, messages: tuple[Any, ...], timer: dict[str, Any] | None = None) -> None:
        self._manager.emit(method, METHOD_LEVELS[method], self.target, list(messages), timer)

    def debug(self, *messages: Any) -> None:
        self._log("debug", messages)

    def log(self, *messages: Any) -> None:
        self._log("log", messages)

    def info(self, *messages: Any) -> None:
        self._log("info", messages)

    def warn(self, *messages: Any) -> None:
        self._log("warn", messages)

    warning = warn

    def error(self, *messages: Any) -> None:
        self._log("error", messages)

    def time(self, label: str) -> None:
        start = self._manager.clock.monotonic()
        self._timers[label] = start
        self._log("time", (label,), {"label": label, "startTime": start})

    def timeLog(self, label: str, *messages: Any) -> None:
        self._timer_log("timeLog", label, messages, keep=True)

    def timeEnd(self, label: str, *messages: Any) -> None:
        self._timer_log("timeEnd", label, messages, keep=False)

    def _timer_log(self, method: str, label: str, messages: tuple[Any, ...], *, keep: bool) -> None:
        start = self._timers.get(label) if keep else self._timers.pop(label, None)
        if start is None:
            self.warn(f"Timer '{label}' does not exist")
            return
        now = self._manager.clock.monotonic()
        timer = {"label": label, "startTime": start, "endTime": now, "duration": (now - start) * 1000}
        self._log(method, (label, *messages), timer)


class LogManager:
    """Creates loggers for one client and routes their entries to the configured handler."""

    def __init__(self, settings: LogSettings | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.debug = False
        self.settings = settings or LogSettings()
        self.clock = clock
        self._last_state: Any = None

    @property
    def settings(self) -> LogSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: LogSettings) -> None:
        self._settings = settings
        # Read on every API call (every getter an app calls per received message): a plain attribute.
        self.debug = is_enabled(levels.DEBUG, settings.level)

    def configure(self, logs_config: Mapping[str, Any]) -> None:
        actions = logs_config.get("logActions")
        self.settings = LogSettings(
            level=logs_config.get("logLevel", levels.DEBUG),
            handler=logs_config.get("handler"),
            flatten=bool(logs_config.get("flatten", False)),
            enable_grouping=bool(logs_config.get("enableGrouping", True)),
            actions=actions if isinstance(actions, Mapping) else None,
        )

    def get(self, target_type: str, target_id: str | None = None) -> Logger:
        return Logger(self, target_type, target_id)

    def emit(
        self,
        method: str,
        level: str,
        target: Mapping[str, Any],
        messages: list[Any],
        timer: dict[str, Any] | None = None,
        handler: LogHandler | None = None,
    ) -> None:
        if not is_enabled(level, self.settings.level):
            return
        entry = LogEntry(self.clock.wall_ms(), method, level, dict(target), messages, timer)
        handler = handler or self.settings.handler
        try:
            if handler is None:
                default_log_handler(entry, flatten=self.settings.flatten)
            else:
                handler(entry)
        except Exception:  # a broken handler must not break the SDK
            logging.getLogger("sdk").exception("LogHandler raised")

    # -- action logs -------------------------------------------------------------------------
    def action(self, action_type: str, payload: Any, state: Callable[[], Any] | None = None) -> None:
        """Log one action when action logs are enabled (``logs.logActions``)."""
        options = self.settings.actions
        if not options:
            return
        level = options.get("level", levels.DEBUG)
        if not is_enabled(level, self.settings.level):
            return
        action: dict[str, Any] = {"type": action_type}
        if options.get("exposePayloads"):
            action["payload"] = payload
        details: dict[str, Any] = {"action": action}
        if not options.get("actionOnly", True) and state is not None:
            next_state = state()
            details["prevState"] = self._last_state
            details["nextState"] = next_state
            if options.get("diff"):
                details["diff"] = state_diff(self._last_state, next_state)
            self._last_state = next_state
        summary = f"action {action_type}"
        target = {"type": "ACTION", "id": None, "name": "ACTION"}
        handler = options.get("handler") or self.settings.handler
        collapsed = bool(options.get("collapsed"))
        if self.settings.enable_grouping or collapsed:
            messages: list[Any] = [summary] if collapsed else [summary, details]
            self.emit("debug" if level == levels.DEBUG else level, level, target, messages, handler=handler)
        else:
            self.emit("debug" if level == levels.DEBUG else level, level, target, [summary], handler=handler)
            for key, value in details.items():
                self.emit("debug" if level == levels.DEBUG else level, level, target, [key, value],
                          handler=handler)


def state_diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """A small structural diff: a list of {path, kind (added|removed|changed), before, after}."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        changes: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                changes.append({"path": sub, "kind": "added", "after": after[key]})
            elif key not in after:
                changes.append({"path": sub, "kind": "removed", "before": before[key]})
            else:
                changes.extend(state_diff(before[key], after[key], sub))
        return changes
    if before != after:
        return [{"path": path, "kind": "changed", "before": before, "after": after}]
    return []


@dataclass
class LoggerNamespace:
    """``client.logger``: exposes the documented ``levels`` constant set."""

    levels: type[levels] = field(default=levels)
