"""The Locust side: user classes, command-line options, the metric drain and the fault hook.

Importing this module imports locust (and so gevent's monkey-patching): never import it into a
pytest process; tests start Locust as a subprocess.

Threads and greenlets: every Locust process has one asyncio loop thread (``sdk.bridge``, started
lazily by the first user, so after ``--processes`` forks). Users run the SDK on it through
``SyncBridge.run``, which parks only the calling greenlet. The loop thread never touches Locust:
it appends samples to a deque, and one greenlet per process drains that deque into
``events.request.fire`` (Locust's stats have no locks) and into ``samples-<pid>.jsonl``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiortc  # noqa: F401  (imported in the main greenlet, before the loop thread uses it: see below)
import gevent
import gevent.event
from locust import User, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from sdk.bridge import SyncBridge, get_bridge

from . import scenarios
from .client import PROBES, ClientSettings, LoadClient
from .control import AsyncControlPlane, ControlPlane
from .metrics import FINAL, SampleLog, SampleSink
from .traffic import CALL_TIMEOUT_S, DELIVERY_TIMEOUT_S, MEDIA_HOLD_S, MEDIA_TIMEOUT_S, Traffic

# The SDK and aiohttp are imported (by load.client) here, in the main greenlet: importing them
# first inside the loop thread of a gevent-patched process can fail (notes/harness-anchors.md §2.3:
# ifaddr -> ldconfig subprocess -> gevent's child watchers). aiortc too, for the call task.

log = logging.getLogger("kandy.load")
DRAIN_EVERY = 0.2  # seconds
FREEZE_AFTER = 5.0  # seconds after spawning completes: the last users' on_start are done by then
#: Optional per-user tasks (``--kandy-optional-tasks call,message``), measured by load.traffic.
OPTIONAL_TASKS = {
    "call": "calls between this process's users: CALL setup (signalling), CALL media for a share, CALL end",
    "message": "CPaaS one-to-one chat between this process's users: MESSAGE delivery",
}


@events.init_command_line_parser.add_listener
def _add_options(parser: Any) -> None:
    parser.add_argument("--kandy-scenario", default="default", choices=sorted(scenarios.SCENARIOS),
                        env_var="KANDY_LOAD_SCENARIO", help="fault schedule played during the run")
    parser.add_argument("--kandy-faults", default="on", choices=("on", "off"), env_var="KANDY_LOAD_FAULTS",
                        help="play the scenario's faults (off: just hold the channels)")
    parser.add_argument("--kandy-out", default="reports/load", env_var="KANDY_LOAD_OUT",
                        help="directory for samples-*.jsonl and timeline.jsonl")
    parser.add_argument("--kandy-ping-ms", type=int, default=1000, env_var="KANDY_LOAD_PING_MS",
                        help="connectivity.pingInterval of every client")
    parser.add_argument("--kandy-max-missed", type=int, default=3, env_var="KANDY_LOAD_MAX_MISSED",
                        help="connectivity.maxMissedPings")
    parser.add_argument("--kandy-reconnect-delay-ms", type=int, default=500, env_var="KANDY_LOAD_RECONNECT_DELAY_MS",
                        help="connectivity.reconnectDelay")
    parser.add_argument("--kandy-reconnect-limit", type=int, default=20, env_var="KANDY_LOAD_RECONNECT_LIMIT",
                        help="connectivity.reconnectLimit (0 = never give up)")
    parser.add_argument("--kandy-probe", default="notify", choices=PROBES, env_var="KANDY_LOAD_PROBE",
                        help="what proves a reconnect usable: a notification round trip or a keepalive ack")
    parser.add_argument("--kandy-ramp", default="100,200", env_var="KANDY_LOAD_RAMP",
                        help="RampShape (locustfile_ramp.py): comma list of user counts, one per stage")
    parser.add_argument("--kandy-stage-seconds", type=float, default=20, env_var="KANDY_LOAD_STAGE_SECONDS",
                        help="RampShape: how long each stage holds its user count")
    parser.add_argument("--kandy-optional-tasks", default="", env_var="KANDY_LOAD_OPTIONAL_TASKS",
                        help=f"comma list of optional tasks ({', '.join(OPTIONAL_TASKS)}); off by default")
    parser.add_argument("--kandy-call-every", type=float, default=20.0, env_var="KANDY_LOAD_CALL_EVERY",
                        help="call task: seconds between one user's calls (jittered)")
    parser.add_argument("--kandy-media-share", type=float, default=0.1, env_var="KANDY_LOAD_MEDIA_SHARE",
                        help="call task: share of calls that carry checked audio (the rest: signalling only)")
    parser.add_argument("--kandy-message-every", type=float, default=5.0, env_var="KANDY_LOAD_MESSAGE_EVERY",
                        help="message task: seconds between one CPaaS user's messages (jittered)")
    parser.add_argument("--kandy-dense-media", type=int, default=0, env_var="KANDY_LOAD_DENSE_MEDIA",
                        help="call task: N > 0 sends the process's shared encoded tones and decodes 1 call in N "
                             "(the others' packets are counted): many more calls with media per core")
    parser.add_argument("--kandy-media-hold", type=float, default=MEDIA_HOLD_S, env_var="KANDY_LOAD_MEDIA_HOLD",
                        help="call task: seconds a call with media stays up after its check (its quality window)")
    parser.add_argument("--kandy-relay", default="off", choices=("on", "off"), env_var="KANDY_LOAD_RELAY",
                        help="calls relay their media through the platform's TURN relay (where impairments act)")
    parser.add_argument("--kandy-network", default="clean,3G,poor wifi,satellite", env_var="KANDY_LOAD_NETWORK",
                        help="NetworkShape (locustfile_network.py): comma list of network profiles, one per "
                             "stage of --kandy-stage-seconds ('clean': no impairment)")


def settings_from(environment: Environment) -> ClientSettings:
    o = environment.parsed_options
    if o is None:
        return ClientSettings()
    return ClientSettings(ping_interval_ms=o.kandy_ping_ms, max_missed_pings=o.kandy_max_missed,
                          reconnect_delay_ms=o.kandy_reconnect_delay_ms, reconnect_limit=o.kandy_reconnect_limit,
                          probe=o.kandy_probe, dense_media=max(0, int(getattr(o, "kandy_dense_media", 0) or 0)),
                          relay=getattr(o, "kandy_relay", "off") == "on")


def _option(environment: Environment, name: str, default: Any) -> Any:
    return getattr(environment.parsed_options, name, default) if environment.parsed_options else default


# -- per-process state --------------------------------------------------------------------------
@dataclass
class ProcessState:
    sink: SampleSink = field(default_factory=SampleSink)
    log: SampleLog | None = None
    control: AsyncControlPlane | None = None
    stop: gevent.event.Event = field(default_factory=gevent.event.Event)
    drainer: gevent.Greenlet | None = None
    driver: scenarios.Driver | None = None
    driver_greenlet: gevent.Greenlet | None = None
    traffic: Traffic = field(default_factory=Traffic)

    @property
    def bridge(self) -> SyncBridge:
        return get_bridge()  # started on first use, i.e. after any --processes fork

    def control_for(self, host: str) -> AsyncControlPlane:
        if self.control is None:
            self.control = AsyncControlPlane(host)
        return self.control


STATE = ProcessState()


def _flush(environment: Environment) -> None:
    samples = STATE.sink.drain()
    if not samples:
        return
    fire = environment.events.request.fire
    for s in samples:
        if s.is_metric:
            fire(request_type=s.type, name=s.name, response_time=s.ms, response_length=0,
                 exception=None if s.ok else RuntimeError(s.error or "failed"), context={"user": s.user})
    if STATE.log is None:
        STATE.log = SampleLog(_option(environment, "kandy_out", "reports/load"))
    STATE.log.write(samples)


def _drain(environment: Environment) -> None:
    while not STATE.stop.wait(DRAIN_EVERY):  # ends at quitting
        _flush(environment)
    _flush(environment)


def optional_tasks(environment: Environment) -> set[str]:
    wanted = {t.strip() for t in str(_option(environment, "kandy_optional_tasks", "")).split(",") if t.strip()}
    unknown = wanted - set(OPTIONAL_TASKS)
    if unknown:
        raise SystemExit(f"unknown optional task(s) {sorted(unknown)}; known: {sorted(OPTIONAL_TASKS)}")
    return wanted


@events.init.add_listener
def _on_init(environment: Environment, **_kwargs: Any) -> None:
    optional_tasks(environment)  # fail fast on a typo, in every process
    if not isinstance(environment.runner, MasterRunner):
        STATE.drainer = gevent.spawn(_drain, environment)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or _option(environment, "kandy_faults", "on") != "on":
        return
    scenario = scenarios.get(_option(environment, "kandy_scenario", "default"))
    out = Path(_option(environment, "kandy_out", "reports/load"))
    settings = settings_from(environment)
    STATE.driver = scenarios.Driver(ControlPlane(environment.host or ""), scenario, scenarios.Timeline(out),
                                    sleep=gevent.sleep, settings=asdict(settings))
    STATE.driver_greenlet = gevent.spawn(STATE.driver.run)


@events.spawning_complete.add_listener
def _on_spawning_complete(**_kwargs: Any) -> None:
    # Thousands of SDK clients are millions of long-lived objects: every full collection walks
    # them all and stalls the loop thread (0.6-0.8 s with 3,000 clients, keepalive RTT p95 234 ms;
    # frozen: 0.1-0.2 s and 82 ms). Freeze what the started users hold; garbage is still collected.
    gevent.spawn_later(FREEZE_AFTER, gc.freeze)


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **_kwargs: Any) -> None:
    if STATE.driver is not None:
        STATE.driver.stopped = True
    if STATE.driver_greenlet is not None:
        STATE.driver_greenlet.kill(block=True, timeout=5)
        STATE.driver_greenlet = None
    _flush(environment)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_kwargs: Any) -> None:
    _flush(environment)
    STATE.stop.set()
    if STATE.drainer is not None:
        STATE.drainer.join(timeout=2)
    if STATE.log is not None:
        STATE.log.close()


# -- users ----------------------------------------------------------------------------------------
class KandyUser(User):
    """A real SDK client of ``product`` holding its notification channel for the whole run."""

    abstract = True
    product = "cpaas"
    wait_time = constant(1)

    def on_start(self) -> None:
        settings = settings_from(self.environment)
        self.load = LoadClient(self.product, self.host or "", settings, STATE.sink, STATE.control_for(self.host or ""))
        try:
            STATE.bridge.run(self.load.start(), timeout=settings.start_timeout + 5)
        except Exception as exc:
            self.environment.events.request.fire(
                request_type="WS", name="connect", response_time=0, response_length=0,
                exception=RuntimeError(f"start failed: {type(exc).__name__}: {exc}"), context={})
            log.warning("%s user could not start: %s", self.product, exc)
            with contextlib.suppress(Exception):
                STATE.bridge.run(self.load.stop(), timeout=15)
            raise StopUser() from None
        self.optional = optional_tasks(self.environment)
        if self.optional:
            STATE.bridge.call(STATE.traffic.join, self.load)
        # First turns spread over one period, so users do not all call at once.
        self.call_due = time.monotonic() + random.uniform(0, self._every("call"))
        self.message_due = time.monotonic() + random.uniform(0, self._every("message"))

    def _every(self, task_name: str) -> float:
        return max(0.1, float(_option(self.environment, f"kandy_{task_name}_every", 10.0)))

    @task
    def hold(self) -> None:
        """The loop thread keeps the channel alive and measures it; optional traffic is placed here."""
        now = time.monotonic()
        if "call" in self.optional and now >= self.call_due:
            self.call_due = now + self._every("call") * random.uniform(0.5, 1.5)
            with_media = random.random() < float(_option(self.environment, "kandy_media_share", 0.1))
            hold = max(0.0, float(_option(self.environment, "kandy_media_hold", MEDIA_HOLD_S)))
            self._traffic(STATE.traffic.place_call(self.load, with_media, hold),
                          2 * CALL_TIMEOUT_S + MEDIA_TIMEOUT_S + hold + 5)
        if "message" in self.optional and self.product == "cpaas" and now >= self.message_due:
            self.message_due = now + self._every("message") * random.uniform(0.5, 1.5)
            self._traffic(STATE.traffic.send_message(self.load), DELIVERY_TIMEOUT_S + 5)

    def _traffic(self, work: Any, timeout: float) -> None:
        try:
            STATE.bridge.run(work, timeout=timeout)
        except Exception as exc:  # the samples carry the verdict; a stuck task must not stop the user
            log.warning("%s: %s task failed: %s", self.load.user_id, type(work).__name__, exc)

    def on_stop(self) -> None:
        load = getattr(self, "load", None)
        if load is not None and not load._stopping:
            STATE.traffic.leave(load)
            try:
                STATE.bridge.run(load.stop(), timeout=15)
            except Exception as exc:
                log.warning("%s stop failed: %s", load.user_id, exc)


class CpaasUser(KandyUser):
    """CPaaS: setTokens + services.subscribe(call, chat, presence); connCheck keepalive."""

    product = "cpaas"


class LinkUser(KandyUser):
    """Link: connect({username, password}); message_type ping + websocket ping keepalive."""

    product = "link"


__all__ = ["FINAL", "CpaasUser", "KandyUser", "LinkUser"]
