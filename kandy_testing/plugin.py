"""The ``kandy_emulator`` pytest plugin: fixtures for apps tested against the emulated platform.

Async tests (pytest-asyncio):

* ``platform``: a fresh in-process :class:`~fake_platform.Platform` per test on 127.0.0.1;
  ``@pytest.mark.platform(tls=True, seed=7)`` passes options;
* ``make_cpaas`` / ``make_link``: factories of SDK clients bound to that platform (signed in,
  optionally subscribed), destroyed after the test, each wrapped in a
  :class:`~kandy_testing.clients.TestClient` (``.client``, ``.recorder``, ``.account``);
  ``make_user`` makes platform users;
* ``wall_clock``: frozen wall time you can move (token expiry); ``@pytest.mark.looptime`` (from
  looptime) runs a test on virtual loop time (keepalives, reconnects, timers).

Gherkin scenarios (pytest-bdd, synchronous steps):

* ``bridge``: a loop thread per scenario (virtual loop time with ``@virtual_time``);
* ``world``: the scenario world the step library acts on (see :mod:`kandy_testing.world`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from fake_platform import Platform
from fake_platform.auth.models import User
from sdk import trace
from sdk.bridge import SyncBridge

from . import reporting
from .clients import Product, TestClient, create_client
from .world import World, is_observation

STEP_MODULES = [
    "kandy_testing.steps.common",
    "kandy_testing.steps.sdk_core",
    "kandy_testing.steps.connectivity",
    "kandy_testing.steps.platform",
    "kandy_testing.steps.push",
    "kandy_testing.steps.calls",
    "kandy_testing.steps.midcall",
    "kandy_testing.steps.media",
    "kandy_testing.steps.configuration",
    "kandy_testing.steps.payloads",
    "kandy_testing.steps.network",
    "kandy_testing.steps.event_shapes",
    "kandy_testing.steps.cpaas.accounts",
    "kandy_testing.steps.cpaas.messaging",
    "kandy_testing.steps.cpaas.files",
    "kandy_testing.steps.cpaas.offline",
    "kandy_testing.steps.cpaas.sms",
    "kandy_testing.steps.cpaas.presence",
    "kandy_testing.steps.cpaas.groups",
    "kandy_testing.steps.cpaas.conversations",  # after the modules it imports
    "kandy_testing.steps.cpaas.contacts",
    "kandy_testing.steps.cpaas.directory",
    "kandy_testing.steps.contract",
    "kandy_testing.steps.negative",
]

# Step helpers shared between step modules (e.g. steps/cpaas/support.py) get pytest's assertion
# messages too: they are imported before the step modules are registered as plugins.
pytest.register_assert_rewrite("kandy_testing.steps")


@pytest.hookimpl
def pytest_addoption(parser: pytest.Parser) -> None:
    reporting.add_options(parser)
    parser.addini("kandy_contract", "validate every request, response and frame of the platform fixtures "
                  "against the contract documents (fake_platform/contract): an app's invalid request gets the "
                  "protocol's 400, the platform's own violations fail the test (default true)",
                  type="bool", default=True)
    parser.addini("kandy_contract_drift", "write this run's part of the contract drift report to "
                  "reports/contract/ (documented operations and frames no test exercised)", type="bool", default=False)


def contract_default(config: pytest.Config) -> bool:
    return bool(config.getini("kandy_contract"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """This process's API trace is written now (not only at exit, which an xdist worker may not
    reach); with ``kandy_contract_drift`` (this project), its part of the drift report goes to
    reports/contract/: a user's run on the defaults writes no files of ours."""
    trace.dump()
    if contract_default(session.config) and session.config.getini("kandy_contract_drift"):
        from fake_platform.contract.report import RUN, worker_name

        RUN.write_part(session.config.rootpath / "reports" / "contract", worker_name())


def pytest_configure(config: pytest.Config) -> None:
    reporting.keep_reports_on_real_time()
    config.addinivalue_line("markers", "platform(**options): options for the in-process Platform")
    config.addinivalue_line("markers", "virtual_time: run the scenario's loop on virtual time (looptime)")
    for module in STEP_MODULES:
        if not config.pluginmanager.has_plugin(module):
            config.pluginmanager.import_plugin(module)


# -- async fixtures ----------------------------------------------------------------------------
@pytest.fixture
async def platform(request: pytest.FixtureRequest) -> AsyncIterator[Platform]:
    marker = request.node.get_closest_marker("platform")
    options = {"contract": contract_default(request.config), **(marker.kwargs if marker else {})}
    async with Platform(**options) as running:
        yield running
        _attach_contract(running)


ClientFactory = Callable[..., Awaitable[Any]]


@pytest.fixture
async def make_user(platform: Platform) -> ClientFactory:
    """``await make_user(first_name=..., password=...)`` -> a Faker-made platform user."""

    async def factory(**fields: Any) -> User:
        return await platform.users.create(**fields)

    return factory


@pytest.fixture
def wall_clock() -> Iterator[Any]:
    """Frozen wall-clock time (freezegun, asyncio-safe): ``wall_clock.tick(seconds)`` or
    ``wall_clock.move_to(datetime)``. Token expiry and timestamps follow it; loop timers and media
    do not (use ``@pytest.mark.looptime`` for virtual loop time)."""
    from freezegun import freeze_time

    with freeze_time(real_asyncio=True) as frozen:
        yield frozen


@pytest.fixture
async def make_cpaas(platform: Platform) -> AsyncIterator[ClientFactory]:
    """``await make_cpaas(user=None, services=None, **config)`` -> a signed-in CPaaS
    :class:`TestClient`: ``.client`` (the SDK client; its namespaces also read through the wrapper,
    ``alice.conversation``), ``.account`` (its platform user: ``user_id``, ``password``, ...) and
    ``.recorder`` (attached at creation, so a wait never misses an event that already happened).
    """
    clients: list[TestClient] = []

    async def factory(user: User | None = None, *, services: list[str] | None = None,
                      **config: Any) -> TestClient:
        user = user or await platform.users.create()
        wrapped = create_client(Product.CPAAS, user, platform.sdk_config(user, product="cpaas", **config))
        clients.append(wrapped)
        client = wrapped.client
        client.setTokens(await platform.tokens_for(user, sdk_form=True))
        if services:
            await client.services.subscribe(services)
            missing = set(services) - set(client.services.getSubscriptions()["subscribed"])
            if missing:
                raise AssertionError(f"could not subscribe {user.user_id} to {sorted(missing)}")
        return wrapped

    yield factory
    await asyncio.gather(*(asyncio.wait_for(c.client.aclose(), 10) for c in clients), return_exceptions=True)


@pytest.fixture
async def make_link(platform: Platform) -> AsyncIterator[ClientFactory]:
    """``await make_link(user=None, connect=False, **config)`` -> a Link :class:`TestClient`
    (connected if asked, with a new user when none is given); ``.account`` is None for a client
    that has no platform user (anonymous CallMe)."""
    clients: list[TestClient] = []

    async def factory(user: User | None = None, *, connect: bool = False, **config: Any) -> TestClient:
        if connect:
            user = user or await platform.users.create()
        wrapped = create_client(Product.LINK, user, platform.sdk_config(user, product="link", **config))
        clients.append(wrapped)
        if connect and user is not None:
            await wrapped.client.connect({"username": user.user_id, "password": user.password})
        return wrapped

    yield factory
    await asyncio.gather(*(asyncio.wait_for(c.client.aclose(), 10) for c in clients), return_exceptions=True)


# -- Gherkin fixtures --------------------------------------------------------------------------
@pytest.fixture
def bridge(request: pytest.FixtureRequest) -> Iterator[SyncBridge]:
    factory = None
    if request.node.get_closest_marker("virtual_time") is not None:
        import looptime

        factory = looptime.new_event_loop
    running = SyncBridge("scenario", loop_factory=factory, stepped=factory is not None)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def world(bridge: SyncBridge, request: pytest.FixtureRequest) -> Iterator[World]:
    scenario_world = World(bridge)
    scenario_world.platform_defaults["contract"] = contract_default(request.config)
    request.node.kandy_world = scenario_world
    yield scenario_world
    scenario_world.close()


@pytest.hookimpl
def pytest_bdd_before_step_call(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                                step_func: Any, step_func_args: dict[str, Any]) -> None:
    """Events after their cause: a Given or When step that acts marks every actor's recorder."""
    scenario_world: World | None = step_func_args.get("world") or getattr(request.node, "kandy_world", None)
    if scenario_world is not None and step.type in ("given", "when") and not is_observation(step_func):
        scenario_world.mark_cause(f"{step.type.capitalize()} {step.name}")


@pytest.hookimpl
def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                                      exception: Exception) -> None:
    """A step that matches no phrase only because a closed-set value is misspelt says so."""
    from .steps.values import UnknownValue, near_miss  # after the step modules (assertion rewriting)

    hint = near_miss(step.name)
    if hint is not None:
        raise UnknownValue(f"{exception}\n{hint}") from exception


def _diagnostics(scenario_world: World) -> dict[str, Any]:
    try:
        return scenario_world.bridge.call(scenario_world.diagnostics, timeout=5)
    except Exception as exc:  # diagnostics must never hide the real failure
        return {"error": f"could not collect diagnostics: {exc}"}


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: Exception) -> None:
    """A failing Gherkin step carries the platform journal excerpt and the SDK logs (Allure)."""
    scenario_world: World | None = getattr(request.node, "kandy_world", None)
    if scenario_world is not None:
        diagnostics = _diagnostics(scenario_world)
        request.node.kandy_diagnostics = diagnostics
        _attach_to_allure(diagnostics)
        reporting.attach_scenario_ladders(request.node, scenario_world, failed=True)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Ladders of a passing scenario's calls, when asked for (``--kandy-ladders=all``)."""
    scenario_world: World | None = getattr(request.node, "kandy_world", None)
    if scenario_world is not None:
        reporting.attach_scenario_ladders(request.node, scenario_world, failed=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    scenario_world: World | None = getattr(item, "kandy_world", None)
    if report.when == "call" and scenario_world is None:
        reporting.attach_test_ladders(item, failed=report.failed)
    if report.when == "call" and report.failed and scenario_world is not None:
        diagnostics = getattr(item, "kandy_diagnostics", None) or _diagnostics(scenario_world)
        text = json.dumps(diagnostics, indent=1, default=repr)
        report.sections.append(("kandy platform journal and SDK logs", text[-20000:]))


def _attach_to_allure(diagnostics: dict[str, Any]) -> None:
    try:
        import allure
    except ImportError:
        return
    try:
        allure.attach(json.dumps(diagnostics.get("journal", []), indent=1, default=repr),
                      name="platform journal", attachment_type=allure.attachment_type.JSON)
        allure.attach(json.dumps(diagnostics.get("logs", {}), indent=1, default=repr),
                      name="SDK logs", attachment_type=allure.attachment_type.JSON)
        allure.attach(json.dumps(diagnostics.get("events", {}), indent=1, default=repr),
                      name="SDK events", attachment_type=allure.attachment_type.JSON)
    except Exception:
        return


def _attach_contract(platform: Platform) -> None:
    """An Allure attachment with the test's contract violations (when there are any)."""
    report = platform.contract_report()
    if report is None or not (report["counts"]["client"] or report["counts"]["platform"]):
        return
    try:
        import allure
    except ImportError:
        return
    allure.attach(json.dumps(report, indent=1), name="contract violations",
                  attachment_type=allure.attachment_type.JSON)
