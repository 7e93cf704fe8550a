"""Fixtures of the dashboard's browser tests: Debian's Chromium through playwright, and axe-core.

Like the interop suite, a missing Chromium, playwright or npm registry skips these tests on a
developer's machine and fails them in CI (``CI=true``). axe-core (MPL-2.0, about 500 kB) is fetched
with ``npm pack`` into the same cache outside git as the official SDKs, never committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop import official_sdks
from tests.interop.browser import CHROMIUM_FLAGS, chromium_path, unavailable

AXE = "axe-core"
AXE_VERSION = "4.14.1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "ui"


@pytest.fixture(scope="session")
def axe_script() -> Path | str:
    """axe-core's browser build, or why it could not be had."""
    try:
        return official_sdks.fetch(AXE, AXE_VERSION, entry="axe.min.js").bundle
    except official_sdks.Unavailable as exc:
        return str(exc)


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    """A fresh page in headless Chromium; the page's CSP is bypassed only so axe-core can be injected."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("playwright is not installed (make test installs it)")
    if chromium_path() is None:
        unavailable("Chromium is not installed (make test installs Debian's chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
        try:
            yield await context.new_page()
        finally:
            await browser.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
