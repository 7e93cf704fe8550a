"""Sequences, not single requests: B's valid requests on every route in random order (so each
resource is used after it was deleted, deleted twice, re-created, ...), spoiled ones between them,
and A trying B's resources at any point. Hypothesis shrinks a failure to the shortest sequence.

Oracle after every step: no 5xx, no server traceback, an answer within the bound, errors in the
door's format (tests/fuzzing.py); A's request refused (unless B has given A a part in what it
names, e.g. added A to the group) and the platform's state unchanged by it; the
platform still healthy, its diagnostics and its state dump still readable. ``make test`` runs a
short derandomized budget, ``make fuzz`` a long random one (``KANDY_FUZZ_SEQUENCES``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from fake_platform.routing import Door
from tests.fuzzing import ALL_VARIANTS, FuzzTarget, Request, credentials, mutated, problems
from tests.platform_world import ADDRESS_VARIABLES, Party, Variant, World, snapshot

SEQUENCES = int(os.environ.get("KANDY_FUZZ_SEQUENCES", "12"))
LONG_RUN = "KANDY_FUZZ_SEQUENCES" in os.environ
STEPS = 40 if LONG_RUN else 25
#: The users' doors: the control plane resets and reconfigures the whole platform (tests/test_fuzz.py).
VARIANTS = [v for v in ALL_VARIANTS if v.route.door in (Door.CPAAS, Door.LINK, Door.OAUTH)]
RESOURCE_VARIABLES = {name for v in VARIANTS for name in v.variables} - ADDRESS_VARIABLES
OWNED = [v for v in VARIANTS if v.route.door in (Door.CPAAS, Door.LINK) and v.mode != "anonymous"]


def example(world: World, variant: Variant, sender: Party, body: Any = None, *, own_path: bool = False) -> Request:
    """``variant`` naming B's resources, with ``sender``'s credentials, on B's path (``{user}`` is
    B) or, with ``own_path``, on the sender's."""
    path = world.path(variant, owner=sender, resources=world.b) if own_path else world.path(variant)
    request = Request(variant, variant.route.method, path, headers=credentials(sender, variant))
    body = world.body(variant) if body is None else body
    if body is not None:
        request.body = json.dumps(body).encode()
        request.headers["Content-Type"] = "application/json"
    return request


@pytest.fixture(scope="module")
def target() -> Iterator[FuzzTarget]:
    fuzz = FuzzTarget()
    try:
        yield fuzz
    finally:
        fuzz.close()


class Sequences(RuleBasedStateMachine):
    target: FuzzTarget  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.target.bridge.run(self.target.rebuild(), timeout=60)
        self.failures: list[str] = []
        self.shared: set[str] = set()  # B's resource kinds A was given a part in (a group A was added to)

    @property
    def world(self) -> World:
        return self.target.world

    def _send(self, request: Request, what: str) -> int:
        outcome, errors = self.target.send(request)
        self.failures += [f"{what} {request.variant.key}: {p}\n    sent {request.describe()}"
                          for p in problems(request, outcome, errors)]
        return outcome.status

    def _send_as_b(self, request: Request, what: str) -> None:
        status = self._send(request, what)
        a = self.world.a.id.encode()
        if status < 300 and (a in request.path.encode() or a in (request.body or b"")):
            self.shared |= RESOURCE_VARIABLES & set(request.variant.variables)

    @rule(variant=st.sampled_from(VARIANTS))
    def b_asks(self, variant: Variant) -> None:
        self._send_as_b(example(self.world, variant, self.world.b), "B")

    @rule(variant=st.sampled_from([v for v in VARIANTS if v.route.method in ("POST", "PUT")]), data=st.data())
    def b_asks_wrongly(self, variant: Variant, data: st.DataObject) -> None:
        body = data.draw(mutated(self.world.body(variant)))
        self._send_as_b(example(self.world, variant, self.world.b, body), "B (spoiled)")

    @rule(variant=st.sampled_from(OWNED), own_path=st.booleans())
    def a_tries_bs_resources(self, variant: Variant, own_path: bool) -> None:
        """A names B's resources, on B's path or on A's own: refused, and nothing changes."""
        named = RESOURCE_VARIABLES & set(variant.variables)
        if own_path and (not named or named & self.shared):
            return  # on A's own path, naming nothing of B's or what B shared with A: legitimate
        before = self._state()
        request = example(self.world, variant, self.world.a, own_path=own_path)
        status = self._send(request, "A")
        if status < 400 and status != 101:
            self.failures.append(f"A {request.method} {request.path}: answered {status}")
        if self._state() != before:
            self.failures.append(f"A {request.method} {request.path}: changed the platform's state")

    def _state(self) -> str:
        async def read() -> str:
            return snapshot(self.world.platform)
        return str(self.target.bridge.run(read()))

    @invariant()
    def nothing_went_wrong(self) -> None:
        assert not self.failures, "\n".join(self.failures)

    @invariant()
    def still_healthy(self) -> None:
        async def check() -> tuple[int, int]:
            url = self.world.platform.url + "/_platform"
            async with self.world.session.get(url + "/health") as health, \
                    self.world.session.get(url + "/diagnostics") as diagnostics:
                json.loads(snapshot(self.world.platform))  # the whole state still dumps
                return health.status, diagnostics.status
        assert self.target.bridge.run(check()) == (200, 200)


def test_sequences_of_requests_break_nothing(target: FuzzTarget) -> None:
    Sequences.target = target
    run_state_machine_as_test(Sequences, settings=settings(
        max_examples=SEQUENCES, stateful_step_count=STEPS, derandomize=not LONG_RUN, deadline=None,
        database=None, phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck)))
    assert target.sent >= SEQUENCES * 5, f"only {target.sent} requests sent"
    assert target.healthy()
