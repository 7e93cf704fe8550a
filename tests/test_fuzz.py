"""No input breaks the platform: every route of every door, B's credentials, spoiled input
(tests/fuzzing.py). ``make test`` runs the systematic sweep and a short derandomized Hypothesis
budget; ``make fuzz`` runs ``KANDY_FUZZ_EXAMPLES`` random examples (``KANDY_FUZZ_SEED`` to replay)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.fuzzing import (
    ALL_VARIANTS,
    ODD_LEAVES,
    ODD_LEAVES_MORE,
    FuzzTarget,
    Outcome,
    Request,
    problems,
    requests,
    sweep,
)

EXAMPLES = int(os.environ.get("KANDY_FUZZ_EXAMPLES", "120"))
LONG_RUN = "KANDY_FUZZ_EXAMPLES" in os.environ
SEED = int(os.environ.get("KANDY_FUZZ_SEED", "0")) or None
ORDER = {"GET": 0, "PUT": 1, "POST": 2, "DELETE": 3}  # destructive last: the resources stay for the others


@pytest.fixture(scope="module", params=[False, True] if LONG_RUN else [False],
                ids=lambda contract: "contract" if contract else "handlers")
def target(request: pytest.FixtureRequest) -> Iterator[FuzzTarget]:
    """The platform as ``serve`` runs it (no contract: the handlers alone must hold), and in the long
    run also with ``contract=True`` (the contract's middleware in front of them)."""
    fuzz = FuzzTarget(contract=request.param)
    try:
        yield fuzz
    finally:
        fuzz.close()


def _judge(request: Request, outcome: Outcome, errors: list[logging.LogRecord], failures: list[str]) -> None:
    for problem in problems(request, outcome, errors):
        failures.append(f"{request.variant.key}: {problem}\n    sent {request.describe()}")


def _report(failures: list[str], sent: int) -> str:
    """One example per route and kind of problem (the first words of its description)."""
    examples: dict[str, str] = {}
    for failure in failures:
        route, problem = failure.split(": ", 1)
        examples.setdefault(f"{route}: {problem.split(':', 1)[0][:80]}", failure)
    return (f"{len(failures)} of {sent} requests went wrong, {len(examples)} distinct (route, problem):\n"
            + "\n".join(examples.values()))


def test_the_sweep_finds_no_5xx_and_no_crash(target: FuzzTarget) -> None:
    """Every position of every route's example body given each odd value, and the raw bodies that
    broke something once: all answered with a 4xx (or success) in the door's format."""
    failures: list[str] = []
    before = target.sent
    chosen = sorted(ALL_VARIANTS, key=lambda v: ORDER[v.route.method])
    leaves = ODD_LEAVES + (ODD_LEAVES_MORE if LONG_RUN else [])
    for request, outcome, errors in target.sweep(sweep(lambda: target.world, chosen, leaves)):
        _judge(request, outcome, errors, failures)
    sent = target.sent - before
    assert sent > 800
    assert not failures, _report(failures, sent)
    assert target.healthy()


def test_random_requests_find_no_5xx_and_no_crash(target: FuzzTarget) -> None:
    failures: list[str] = []
    before = target.sent

    @settings(max_examples=EXAMPLES, derandomize=not LONG_RUN and SEED is None, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data())
    def one(data: st.DataObject) -> None:
        request = data.draw(requests(target.world, ALL_VARIANTS))
        _judge(request, *target.send(request), failures)

    (seed(SEED)(one) if SEED is not None else one)()
    sent = target.sent - before
    assert not failures, _report(failures, sent)
    assert target.healthy()
