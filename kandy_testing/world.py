"""The scenario world of the Gherkin step library: a platform, named users and their clients.

Steps are synchronous (pytest-bdd has no async steps); the world runs everything on one asyncio
loop thread through the shared :class:`~sdk.bridge.SyncBridge` pattern. Names in steps ("Alice")
map to platform users created with that first name and to one SDK client each.

Events after their cause: before every Given or When step that acts, the plugin calls
:meth:`World.mark_cause`, which marks every actor's recorder; a check (a Then step, or a wait inside
an acting step) matches only events recorded after the latest cause. Steps that only observe
(``When Bob receives the call``) are decorated with :func:`observes` and mark nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fake_platform import Platform
from fake_platform.auth.models import User
from sdk.bridge import SyncBridge
from sdk.logger import LogEntry, levels

from .clients import Product, TestClient, create_client
from .recorder import EventRecorder, RecordedEvent
from .scenario import ActorState, ScenarioState

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_TIMEOUT = 10.0
NO_PLATFORM = "no platform yet: start the scenario (or its Background) with 'Given the platform is running'"
# Each actor's emulated microphone plays its own tone, so a test can tell who is heard.
TONES = [440, 660, 880, 550, 770, 990]
COLOURS = [(200, 30, 30), (30, 30, 200), (30, 160, 30), (200, 200, 30), (160, 30, 160), (30, 160, 160)]


def observes(step: F) -> F:
    """Mark a Given/When step that only checks what happened: it is not a cause of later events."""
    step.kandy_observation = True  # type: ignore[attr-defined]
    return step


def is_observation(step: Callable[..., Any]) -> bool:
    return getattr(step, "kandy_observation", False) is True


def sets_up(step: F) -> F:
    """Mark a step that creates users or clients (the documentation lists them first)."""
    step.kandy_setup = True  # type: ignore[attr-defined]
    return step


def is_setup(step: Callable[..., Any]) -> bool:
    return getattr(step, "kandy_setup", False) is True


@dataclass
class Cause:
    """The latest step that acted: later checks look only at what happened after it."""
    step: str
    journal_seq: int = 0  # the platform journal's last entry before the step
    at: float = 0.0  # loop time


@dataclass(eq=False)
class Actor:
    """A named person of the scenario: one SDK client under test, what it logged, the tone its
    microphone plays and the colour its camera shows, and what the steps remember about it."""

    name: str
    test_client: TestClient
    logs: list[LogEntry] = field(default_factory=list)
    tone: float = 440.0
    colour: tuple[int, int, int] = (200, 30, 30)
    call_id: str | None = None  # the call the call steps act on
    state: ActorState = field(default_factory=ActorState)

    @property
    def client(self) -> Any:  # sdk.cpaas.CpaasClient | sdk.link.LinkClient: namespaces differ by product
        return self.test_client.client

    @property
    def recorder(self) -> EventRecorder:
        return self.test_client.recorder

    @property
    def account(self) -> User | None:
        """The platform user this client acts for (None: an anonymous CallMe caller)."""
        return self.test_client.account

    @property
    def user(self) -> User:
        """The platform user this client acts for; a clear failure when it has none."""
        assert self.account is not None, f"{self.name} has no platform user"
        return self.account

    @property
    def product(self) -> Product:
        return self.test_client.product

    def credentials(self) -> dict[str, str]:
        """Link ``connect`` credentials: the user's name and password."""
        return {"username": self.user.user_id, "password": self.user.password}


class World:
    def __init__(self, bridge: SyncBridge) -> None:
        self.bridge = bridge
        self.platform: Platform | None = None
        self.users: dict[str, User] = {}
        self.actors: dict[str, Actor] = {}
        self.scenario = ScenarioState()
        self.last_error: BaseException | None = None
        self.last_response: Any = None
        self.platform_defaults: dict[str, Any] = {}  # Platform options from the plugin (contract=...)
        self.cause: Cause | None = None
        self.timeout = DEFAULT_TIMEOUT  # of event waits that do not choose their own

    # -- running on the loop -------------------------------------------------------------------
    def run(self, awaitable: Awaitable[T], timeout: float = DEFAULT_TIMEOUT * 3) -> T:
        return self.bridge.run(awaitable, timeout)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.bridge.call(fn, *args, **kwargs)

    def attempt(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` on the loop; keep what it raised in ``last_error`` instead of failing."""
        self.last_error = None
        try:
            return self.bridge.call(fn, *args, **kwargs)
        except Exception as exc:
            self.last_error = exc
            return None

    # -- platform and actors -------------------------------------------------------------------
    def start_platform(self, **kwargs: Any) -> Platform:
        self.platform = Platform(**{**self.platform_defaults, **kwargs})
        self.run(self.platform.start())
        return self.platform

    def user(self, name: str) -> User:
        if name not in self.users:
            assert self.platform is not None, NO_PLATFORM
            self.users[name] = self.run(self.platform.users.create(first_name=name))
        return self.users[name]

    def actor(self, name: str) -> Actor:
        try:
            return self.actors[name]
        except KeyError:
            raise AssertionError(f"{name} has no SDK client yet; known: {sorted(self.actors)}") from None

    def create_client(self, name: str, product: Product | str, config: dict[str, Any] | None = None, *,
                      with_user: bool = True, raw_config: dict[str, Any] | None = None) -> Actor:
        """Create ``name``'s client of ``product`` on the loop thread, recording events and logs."""
        assert self.platform is not None, NO_PLATFORM
        user = self.user(name) if with_user else None
        logs: list[LogEntry] = []
        index = len(self.actors) % len(TONES)
        tone, colour = TONES[index], COLOURS[index]
        if raw_config is not None:
            full = dict(raw_config)
        else:
            devices = {"microphone": [{"deviceId": f"mic-{name.lower()}", "label": f"{name}'s microphone",
                                       "frequency": tone}],
                       "camera": [{"deviceId": f"cam-{name.lower()}", "label": f"{name}'s camera",
                                   "color": list(colour)}],
                       "speaker": [{"deviceId": f"spk-{name.lower()}", "label": f"{name}'s speaker"}]}
            runtime = {"devices": devices, "codecs": ["PCMU", "VP8"]}
            merged = dict(config or {})
            merged["runtime"] = {**runtime, **merged.get("runtime", {})}
            full = self.platform.sdk_config(user, product=product, **merged)
        full.setdefault("logs", {})
        # Scenario clients log everything to the actor (attached to the report when a step fails),
        # unless the scenario configures logging itself.
        chosen = raw_config is not None or "logLevel" in (config or {}).get("logs", {})
        level = {} if chosen else {"logLevel": levels.DEBUG}
        full["logs"] = {**full["logs"], **level, "handler": full["logs"].get("handler") or logs.append}

        async def build() -> Actor:
            return Actor(name, create_client(product, user, full, name=name), logs, tone=tone, colour=colour)

        actor = self.run(build())
        self.actors[name] = actor
        self.scenario.current = name
        return actor

    def sign_in(self, name: str) -> None:
        """CPaaS: tokens from the real token endpoint, given to setTokens."""
        actor = self.actor(name)
        assert self.platform is not None, NO_PLATFORM
        tokens = self.run(self.platform.tokens_for(actor.user, sdk_form=True))
        self.call(actor.client.setTokens, tokens)

    # -- causes and checks ---------------------------------------------------------------------
    def mark_cause(self, step: str) -> None:
        """``step`` is about to act: checks from now on look only at what happens after this."""
        journal_seq = self.platform.journal_seq if self.platform is not None else 0
        self.cause = Cause(step, journal_seq, self.bridge.loop.time())

        async def mark() -> None:
            for actor in self.actors.values():
                actor.recorder.cause()

        if self.actors:
            self.run(mark())

    @property
    def cause_seq(self) -> int:
        """The platform journal's position at the latest cause (0 before any)."""
        return self.cause.journal_seq if self.cause is not None else 0

    def after_cause(self) -> str:
        return f"after '{self.cause.step}'" if self.cause is not None else "since the scenario started"

    def wait_event(self, name: str, event: str, predicate: Callable[[dict[str, Any]], bool] | None = None,
                   *, timeout: float | None = None, expected: str | None = None,
                   since: int | None = None) -> dict[str, Any]:
        """The first ``event`` of ``name``'s client after the latest cause that matches ``predicate``.

        ``since`` is for a step that waits for its own effect from a mark it took while acting
        (a step that other steps call, whose caller's cause mark is too early).
        """
        actor = self.actor(name)
        limit = self.timeout if timeout is None else timeout
        wanted = f"{expected or f'{name} to receive {event!r}'} {self.after_cause()}"
        waiting = actor.recorder.wait(event, predicate, timeout=limit, expected=wanted, since=since)
        return self.run(waiting, limit + 5)

    def expect_no_event(self, name: str, event: str, predicate: Callable[[dict[str, Any]], bool] | None = None,
                        *, seconds: float, expected: str) -> None:
        """No matching ``event`` of ``name``'s client from the latest cause until ``seconds`` after
        it: fails at once on the first one, waits out the rest of the window otherwise."""
        actor = self.actor(name)
        loop = self.bridge.loop
        start = self.cause.at if self.cause is not None else loop.time()

        async def watch() -> RecordedEvent | None:
            remaining = max(0.0, start + seconds - loop.time())
            return await actor.recorder.absent(event, predicate, seconds=remaining)

        found = self.run(watch(), seconds + 5)
        if found is not None:
            raise AssertionError(f"expected {expected} within {seconds:g} s {self.after_cause()}; "
                                 f"got {event!r} {found.at - start:+.3f} s after it: {found.params}")

    def expect_no_push(self, *, seconds: float, expected: str, **filters: str) -> None:
        """No push matching ``filters`` (outbox filters: token, user, ...) from the latest cause
        until ``seconds`` after it: the window is waited out, then the journal read."""
        assert self.platform is not None, NO_PLATFORM
        platform, loop = self.platform, self.bridge.loop
        start = self.cause.at if self.cause is not None else loop.time()
        self.run(asyncio.sleep(max(0.0, start + seconds - loop.time())), seconds + 5)  # the window itself
        pushes = [e for e in platform.journal(kind="push", since=self.cause_seq)
                  if all((e.get("detail") or {}).get(k, e.get(k)) == v for k, v in filters.items())]
        assert not pushes, f"expected {expected} within {seconds:g} s {self.after_cause()}; got {pushes}"

    def close(self) -> None:
        async def shutdown() -> None:
            for actor in self.actors.values():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(actor.client.aclose(), 10)
            if self.platform is not None:
                await self.platform.stop()

        self.run(shutdown(), timeout=30)

    # -- diagnostics for reports ---------------------------------------------------------------
    def diagnostics(self) -> dict[str, Any]:
        journal = self.platform.journal()[-200:] if self.platform is not None else []
        return {
            "journal": journal,
            "events": {n: a.recorder.summary()[-100:] for n, a in self.actors.items()},
            "logs": {n: [f"{e.level} {e.target.get('name')} {e.messages}" for e in a.logs[-200:]]
                     for n, a in self.actors.items()},
        }
