"""What the Allure report gets from the plugin beyond pytest's own: real times and call ladders.

* **Real times.** allure-pytest and allure-pytest-bdd stamp every result, step and fixture with
  ``allure_commons.utils.now()``, which reads ``time.time()``; a test on frozen wall time
  (freezegun: the ``wall_clock`` fixture moved two hours on) wrote its frozen or moved time into
  the report, which then claimed a two-minute run took "2h 0m". freezegun's own ignore list makes
  ``time.time()`` real for callers in the listed modules, so the report's modules are put on it,
  and pytest's and xdist's own (test durations, ``--durations``, JUnit XML).
  (looptime moves only the event loop's clock, never ``time.time()``.)
* **Ladders.** The ladder diagram (SVG) of every call the platform saw is attached to a failing
  scenario's result, and to passing ones on request: ``--kandy-ladders=all`` or the environment
  variable ``KANDY_LADDERS=all`` (``failed`` is the default, ``none`` attaches nothing).
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fake_platform import Platform

    from .world import World

REPORT_MODULES = ("allure_commons", "allure_pytest", "allure_pytest_bdd", "allure", "_pytest", "xdist")
LADDER_MODES = ("failed", "all", "none")
LADDERS_ENV = "KANDY_LADDERS"
LADDER_TIMEOUT = 10.0


def keep_reports_on_real_time() -> None:
    """Reports stamp the real wall clock even while a test runs on frozen time."""
    try:
        import freezegun
    except ImportError:
        return
    freezegun.configure(extend_ignore_list=list(REPORT_MODULES))


def add_options(parser: pytest.Parser) -> None:
    default = os.environ.get(LADDERS_ENV, "failed").strip().lower() or "failed"
    parser.getgroup("kandy_emulator").addoption(
        "--kandy-ladders", choices=LADDER_MODES, default=default if default in LADDER_MODES else "failed",
        help=f"attach call ladder diagrams to the Allure results of failing tests (default), all tests or "
             f"none; or set {LADDERS_ENV}")


def ladders_wanted(config: pytest.Config, *, failed: bool) -> bool:
    """Whether to draw ladders for a test: only for an Allure run, per ``--kandy-ladders``."""
    if not any(config.pluginmanager.hasplugin(name) for name in ("allure_pytest", "allure_pytest_bdd")):
        return False
    mode = config.getoption("kandy_ladders", "failed")
    return mode == "all" or (mode == "failed" and failed)


def ladder_svgs(platform: Platform) -> list[tuple[str, str]]:
    """``(name, svg)`` for every call the platform saw, oldest first (call it on the platform's loop)."""
    from fake_platform.ui.svg import ladder_svg

    return [(f"ladder of call {ladder.call_id} ({ladder.state})", ladder_svg(ladder))
            for ladder in platform.call_ladders()]


def attach_scenario_ladders(node: pytest.Item, world: World, *, failed: bool) -> None:
    """Attach the ladders of a scenario's calls once (drawn on the scenario's loop thread)."""
    if world.platform is None or getattr(node, "kandy_ladders_attached", False) \
            or not ladders_wanted(node.config, failed=failed):
        return
    node.kandy_ladders_attached = True  # type: ignore[attr-defined]
    try:
        ladders = world.bridge.call(ladder_svgs, world.platform, timeout=LADDER_TIMEOUT)
    except Exception as exc:  # a report extra must never hide the real failure
        ladders = [("ladders could not be drawn", f"<!-- {type(exc).__name__}: {exc} -->")]
    _attach(ladders)


def attach_test_ladders(item: pytest.Item, *, failed: bool) -> None:
    """Attach the ladders of a plain test's ``platform`` fixture (its loop is idle between phases)."""
    platform: Platform | None = getattr(item, "funcargs", {}).get("platform")
    if platform is None or not ladders_wanted(item.config, failed=failed):
        return
    try:
        ladders = ladder_svgs(platform)
    except Exception as exc:
        ladders = [("ladders could not be drawn", f"<!-- {type(exc).__name__}: {exc} -->")]
    _attach(ladders)


def _attach(ladders: list[tuple[str, str]]) -> None:
    try:
        import allure
    except ImportError:
        return
    with contextlib.suppress(Exception):
        for name, svg in ladders:
            allure.attach(svg, name=name, attachment_type=allure.attachment_type.SVG)
