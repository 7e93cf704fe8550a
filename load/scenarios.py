"""Fault schedules and the driver that plays them through the platform's control plane.

A scenario is a finite list of steps at fixed offsets from the start of the test:

* ``storm``    drop every websocket at once (``code`` 1006 = abort without a close frame);
* ``blackout`` stop answering keepalives (CPaaS connAck, websocket pongs) for ``duration`` s;
* ``refuse``   refuse websocket upgrades for ``duration`` s, then storm: reconnects are refused;
* ``latency``  delay every HTTP request (REST and upgrades) by ``ms`` for ``duration`` s, then storm;
* ``census``   count connected channels (the checks want every channel connected at the end);
* ``network``  impair every user's media for ``duration`` s (a fault of kind ``impairment``:
               ``params`` name a profile or parameters); it acts on relayed calls (``--kandy-relay``)
               and calls to the scripted endpoints.

Every step is bounded (faults carry a duration, the platform expires them) and the driver stops
after the last step or at its deadline, whichever comes first. It records what it did, with wall
times, in ``timeline.jsonl``; the checks match samples against it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .control import ControlPlane

ACTIONS = ("storm", "blackout", "refuse", "latency", "census", "network")


@dataclass(frozen=True)
class Step:
    at: float  # seconds after the test started
    action: str
    duration: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown step action {self.action!r}; expected one of {ACTIONS}")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    run_time: float  # seconds: the Locust -t of the run (the last step comes well before)
    users: int
    spawn_rate: float
    steps: tuple[Step, ...]


def _scenario(name: str, description: str, run_time: float, users: int, spawn_rate: float,
              *steps: Step) -> Scenario:
    return Scenario(name, description, run_time, users, spawn_rate, tuple(steps))


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    _scenario(
        "default", "make load: 200 users, two storms, a keepalive blackout, refused reconnects, latency",
        75, 200, 50,
        Step(10, "storm"),
        Step(18, "blackout", 5),
        Step(30, "refuse", 3),
        Step(40, "latency", 5, {"ms": 300}),
        Step(50, "storm", params={"code": 1001}),
        Step(60, "census"),
    ),
    _scenario(
        "short", "pytest: 60 users, every fault kind once, ~20 s",
        19, 60, 40,
        Step(3.5, "storm"),
        Step(6, "blackout", 3),
        Step(11, "refuse", 2),
        Step(15, "latency", 1.5, {"ms": 200}),
        Step(17.5, "census"),
    ),
    _scenario(
        "distributed", "a small distributed run: 20 users, a storm and a blackout",
        12, 20, 20,
        Step(3, "storm"),
        Step(5, "blackout", 2.5),
        Step(10.5, "census"),
    ),
    _scenario(
        "storm", "one storm over a settled crowd (benchmark: time until everyone is back)",
        40, 1000, 50,
        Step(30, "storm"),
        Step(36, "census"),
    ),
    _scenario("hold", "no faults: just hold the channels (capacity ramps)", 60, 100, 50),
    _scenario(
        "network", "relayed calls with audio through a storm, 3G, a 5 s blackout and poor Wi-Fi (call quality)",
        45, 20, 20,
        Step(5, "storm"),
        Step(10, "network", 8, {"profile": "3G"}),
        Step(21, "network", 5, {"profile": "blackout"}),
        Step(29, "network", 8, {"profile": "poor wifi"}),
        Step(40, "census"),
    ),
)}


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; expected one of {sorted(SCENARIOS)}") from None


class Timeline:
    """Appends what the driver did to ``timeline.jsonl`` (wall-clock times)."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / "timeline.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        entry = {"kind": kind, "t": time.time(), **fields}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
        return entry


def read_timeline(directory: str | Path) -> list[dict[str, Any]]:
    path = Path(directory) / "timeline.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Driver:
    """Plays a scenario's steps against the control plane (sync: a greenlet or a thread)."""

    def __init__(self, control: ControlPlane, scenario: Scenario, timeline: Timeline,
                 *, sleep: Callable[[float], None] = time.sleep, settings: dict[str, Any] | None = None) -> None:
        self.control = control
        self.scenario = scenario
        self.timeline = timeline
        self._sleep = sleep
        self._settings = settings or {}
        self.stopped = False

    def run(self, started: float | None = None) -> None:
        started = time.time() if started is None else started
        deadline = started + self.scenario.run_time
        self.timeline.record("start", scenario=self.scenario.name, settings=self._settings,
                             steps=[asdict(s) for s in self.scenario.steps])
        for step in self.scenario.steps:
            wait = started + step.at - time.time()
            if wait > 0:
                self._sleep(min(wait, max(0.0, deadline - time.time())))
            if self.stopped or time.time() >= deadline:
                self.timeline.record("aborted", at_step=asdict(step))
                return
            try:
                self.play(step)
            except Exception as exc:  # one failed step must not kill the run; the checks see it
                self.timeline.record("step_error", step=asdict(step), error=f"{type(exc).__name__}: {exc}")
        self.timeline.record("done")

    def play(self, step: Step) -> None:
        c = self.control
        if step.action == "storm":
            self._storm(int(step.params.get("code", 1006)))
        elif step.action == "blackout":
            self._window("keepalive_blackout", step.duration)
        elif step.action == "refuse":
            window = self._window("refuse_upgrades", step.duration, status=503)
            self._storm(int(step.params.get("code", 1006)), refused_until=window["end"])
        elif step.action == "latency":
            ms = float(step.params.get("ms", 200))
            self._window("latency", step.duration, ms=ms)
            self._storm(int(step.params.get("code", 1006)), latency_ms=ms)
        elif step.action == "network":
            self._window("impairment", step.duration, **step.params)
        elif step.action == "census":
            channels = c.sockets()
            self.timeline.record("census", channels=len(channels),
                                 connected=sum(1 for ch in channels if ch.get("connected")))

    def _window(self, fault: str, duration: float, **params: Any) -> dict[str, Any]:
        start = time.time()
        added = self.control.add_fault(fault, duration=duration, **params)
        return self.timeline.record("window", fault=fault, start=start, end=start + duration, id=added["id"],
                                    **params)

    def _storm(self, code: int, **extra: Any) -> dict[str, Any]:
        start = time.time()  # before the request: sockets start closing as soon as it arrives
        dropped = self.control.drop_sockets(code=code)
        return self.timeline.record("storm", start=start, dropped=dropped, code=code, **extra)
