"""Fixtures of the interop suite: the official SDK builds, a TLS platform, Chromium.

A failing test prints what the browser logged and the platform's journal for that test. When
Chromium, playwright or the npm registry cannot be had, the tests skip and say why on a developer's
machine, and fail in CI (``CI=true``): a CI run must not be green with no check against the official
SDKs.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_platform import Platform

from ..contract import recordings
from . import official_sdks
from .browser import AppServer, Browser, chromium_path, unavailable, write_tone

JOURNAL_LINES = 150
CONSOLE_LINES = 1500
# The official apps' logs (harness.js), kept by the browser fixture for the platform fixture's recording.
OFFICIAL_LOGS = pytest.StashKey[list[recordings.OfficialLog]]()


@pytest.fixture(scope="session")
def official_builds() -> dict[str, official_sdks.OfficialSdk | str]:
    """Each official build, or the reason it could not be fetched."""
    builds: dict[str, official_sdks.OfficialSdk | str] = {}
    for name, package in (("cpaas", official_sdks.CPAAS), ("callme", official_sdks.CALLME)):
        try:
            builds[name] = official_sdks.fetch(package)
        except official_sdks.Unavailable as exc:
            builds[name] = str(exc)
    return builds


@pytest.fixture
async def platform(request: pytest.FixtureRequest) -> AsyncIterator[Platform]:
    """The platform as a browser app reaches it: TLS (a trustme certificate) and CORS; its traffic
    validated against the contract, and recorded for tests/contract when ``make record-interop``
    asks (KANDY_RECORD_INTEROP)."""
    async with Platform(tls=True, contract=True) as running:
        monitor = running.state.contract
        if recordings.recording_enabled() and monitor is not None:
            monitor.recording = []
            running.state.calls.endpoints.keep_audio = True  # the in-band DTMF media oracle
        yield running
        if monitor is not None and monitor.recording and not _failed(request):
            name = f"{request.node.module.__name__.rsplit('.', 1)[-1]}__{request.node.name}"
            logs = request.node.stash.get(OFFICIAL_LOGS, [])
            recordings.save(name, running, logs)
            recordings.save_media(name, running, logs)


@pytest.fixture
def tone_file(tmp_path: Path) -> Path:
    return write_tone(tmp_path / "browser-tone.wav")


@pytest.fixture
async def browser(request: pytest.FixtureRequest, platform: Platform, official_builds: dict[str, Any],
                  tone_file: Path) -> AsyncIterator[Browser]:
    try:
        import playwright  # noqa: F401
    except ImportError:
        unavailable("playwright is not installed (make test installs it)")
    if chromium_path() is None:
        unavailable("Chromium is not installed (make test installs Debian's chromium)")
    builds = {name: b for name, b in official_builds.items() if not isinstance(b, str)}
    missing = {name: b for name, b in official_builds.items() if isinstance(b, str)}
    server = await AppServer(builds).start()
    running = Browser(server, platform.certificate_spki, tone_file, missing)
    try:
        await running.start()
        yield running
        if recordings.recording_enabled():  # the pages close with the browser: keep their logs first
            request.node.stash[OFFICIAL_LOGS] = [
                recordings.OfficialLog(app.sdk, await app.sdk_log(), builds[app.sdk].version)
                for app in running.apps]
    finally:
        await running.stop()
        await server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """A failure shows the browser's console and the platform's journal for the test (in the
    terminal report, and as Allure attachments when the report plugin is on)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]  # the platform fixture records only passes
    if report.when != "call" or not report.failed:
        return
    for title, text in _diagnostics(getattr(item, "funcargs", {})):
        report.sections.append((title, text))
        _attach(title, text)


def _diagnostics(funcargs: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    running: Browser | None = funcargs.get("browser")
    if running is not None:
        found.append(("browser console", "\n".join(running.log[-CONSOLE_LINES:])))
    platform: Platform | None = funcargs.get("platform")
    if platform is not None:
        lines = [json.dumps(entry, default=str)[:600] for entry in platform.journal()[-JOURNAL_LINES:]]
        found.append(("platform journal", "\n".join(lines)))
    return found


def _attach(title: str, text: str) -> None:
    try:
        import allure
    except ImportError:
        return
    with contextlib.suppress(Exception):  # it must never hide the failure itself
        allure.attach(text, name=title, attachment_type=allure.attachment_type.TEXT)


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed
