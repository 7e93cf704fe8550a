"""Headless Chromium (Debian's package) driven by playwright, with the project's interop page.

One browser per test, started with fake media devices (the microphone plays a tone file the test
writes) and told to accept exactly the platform's TLS certificate (its SPKI hash). Each
:class:`BrowserApp` is one page in its own browser context: one user of an official SDK.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web

from .official_sdks import OfficialSdk

PAGE_DIR = Path(__file__).parent / "page"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google hosts this sandbox refuses.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
BROWSER_TONE_HZ = 660.0
SETTLE_MS = 2000  # how long a recorded page may take to finish what the test's last step started


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Something the interop suite needs cannot be had: skip on a developer's machine, saying why;
    fail in CI (``CI=true``), where a skip would make a run green with no check against the
    official SDKs at all."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the interop suite must run in CI)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def write_tone(path: Path, frequency: float = BROWSER_TONE_HZ, seconds: float = 5.0, rate: int = 48000,
               amplitude: float = 0.5) -> Path:
    """A WAV of a steady sine; Chromium's fake microphone plays it in a loop."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


class AppServer:
    """Serves the interop page, its harness and the cached official SDK builds on 127.0.0.1
    (a loopback origin is a secure context, so getUserMedia works; the platform is cross-origin)."""

    def __init__(self, sdks: dict[str, OfficialSdk]) -> None:
        self.sdks = sdks
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> AppServer:
        app = web.Application()
        app.router.add_get("/", self._file("index.html"))
        app.router.add_get("/harness.js", self._file("harness.js"))
        app.router.add_get("/sdk/{name}.js", self._sdk)
        app.router.add_get("/favicon.ico", self._no_icon)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    @staticmethod
    def _file(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(_: web.Request) -> web.StreamResponse:
            return web.FileResponse(PAGE_DIR / name, headers={"Cache-Control": "no-store"})
        return serve

    @staticmethod
    async def _no_icon(_: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def _sdk(self, request: web.Request) -> web.StreamResponse:
        sdk = self.sdks.get(request.match_info["name"])
        if sdk is None:
            raise web.HTTPNotFound(text="no such SDK build")
        return web.FileResponse(sdk.bundle, headers={"Cache-Control": "no-store"})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class BrowserApp:
    """One page running one official SDK: evaluate JS in it, wait for the SDK's events."""

    def __init__(self, page: Any, name: str, log: list[str], sdk: str = "cpaas") -> None:
        self.page = page
        self.name = name
        self.sdk = sdk  # which official build: cpaas | callme
        self.log = log
        self._seen = 0
        self._console_grew = asyncio.Event()

    def console(self, line: str) -> None:
        """Keep one line this page printed (shown when a test fails; ``wait_console`` reads it)."""
        self.log.append(f"[{self.name}] {line}"[:2000])
        self._console_grew.set()

    async def wait_console(self, text: str, timeout: float = 15.0) -> None:
        """Until this page has printed a line containing ``text``: the official SDK's debug log and
        its redux actions say what it did without an event (e.g. that TURN credentials arrived)."""
        prefix = f"[{self.name}] "
        try:
            async with asyncio.timeout(timeout):
                while not any(line.startswith(prefix) and text in line for line in self.log):
                    self._console_grew.clear()
                    await self._console_grew.wait()
        except TimeoutError:
            raise TimeoutError(f"{self.name}: the console printed no {text!r} within {timeout} s") from None

    async def js(self, expression: str, arg: Any = None) -> Any:
        return await self.page.evaluate(expression, arg)

    async def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        events = await self.js("harness.events")
        return [e for e in events if type_ is None or e["type"] == type_]

    async def wait_event(self, type_: str, where: Callable[[dict[str, Any]], bool] | None = None,
                         timeout: float = 15.0, *, since: int = 0) -> dict[str, Any]:
        """The first ``type_`` event (from index ``since`` on) whose payload satisfies ``where``."""
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            events = await self.js("harness.events")
            for event in events[checked:]:
                if event["type"] == type_ and (where is None or where(event["payload"])):
                    return event
            checked = len(events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = json.dumps(events[-15:], default=str)[-3000:]
                raise TimeoutError(f"{self.name}: no {type_} event within {timeout} s; last events: {recent}")
            try:  # wakes when a new event is recorded
                await self.page.wait_for_function("n => harness.events.length > n", arg=checked,
                                                  timeout=remaining * 1000, polling=50)
            except Exception as exc:  # playwright's TimeoutError: loop once more to report
                if "Timeout" not in type(exc).__name__:
                    raise

    async def wait_call(self, call_id: str, state: str, timeout: float = 20.0, **flags: bool) -> dict[str, Any]:
        """Wait until the SDK's ``call.getById(call_id)`` is in ``state`` with the flags given
        (``localHold=True``, ...), looking again at each of the call's call:stateChange events."""
        deadline = time.monotonic() + timeout
        while True:
            since = await self.mark()
            call = await self.js("id => harness.plain(client.call.getById(id))", call_id)
            if call and call["state"] == state and all(call.get(k) == v for k, v in flags.items()):
                return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: call {call_id} is not {state} {flags} but {call}")
            try:
                await self.wait_event("call:stateChange", lambda p: p.get("callId") == call_id, remaining,
                                      since=since)
            except TimeoutError:
                continue

    async def wait_inbound(self, packets: int = 50, kind: str = "audio", timeout: float = 15.0) -> int:
        """Wait until the browser has received ``packets`` RTP packets of ``kind`` on its open peers
        (its inbound-rtp stats); the count."""
        return int(await self.wait_until(
            "([n, kind]) => harness.rtpCounts().then(c => (c.inbound[kind] || 0) >= n && c.inbound[kind])",
            [packets, kind], timeout))

    async def wait_hears(self, frequency: float, tolerance: float = 20.0, timeout: float = 15.0) -> None:
        """Wait until a remote audio track the browser receives carries a clear ``frequency`` tone."""
        await self.wait_until(
            "([hz, tol]) => harness.remoteTones().some(t => Math.abs(t.hz - hz) < tol && t.db > -60)",
            [frequency, tolerance], timeout=timeout)

    async def sdk_log(self) -> list[dict[str, Any]]:
        """What the page did with the SDK and what the SDK reported, in order (harness.js ``log``)."""
        await self.js("ms => harness.settled(ms)", SETTLE_MS)
        entries: list[dict[str, Any]] = await self.js("harness.log")
        return entries

    async def mark(self) -> int:
        """Index of the next event: pass as ``since`` to wait only for what happens after now."""
        return int(await self.js("harness.events.length"))

    async def wait_until(self, predicate: str, arg: Any = None, timeout: float = 15.0) -> Any:
        """The first truthy value of the JS ``predicate`` (a function of ``arg``, sync or async),
        checked in the page every 50 ms until ``timeout``."""
        try:
            return await self.page.evaluate("([source, arg, ms]) => harness.until(source, arg, ms)",
                                            [predicate, arg, timeout * 1000])
        except Exception as exc:
            raise TimeoutError(f"{self.name}: {exc}") from None


class Browser:
    """The test's Chromium and the apps opened in it; console output collected for failures."""

    def __init__(self, server: AppServer, spki: str | None, tone_file: Path,
                 missing: dict[str, str] | None = None) -> None:
        self.server = server
        self.missing = missing or {}  # official builds that could not be had, and why
        self.spki = spki
        self.tone_file = tone_file
        self.log: list[str] = []
        self._playwright: Any = None
        self._browser: Any = None
        self.apps: list[BrowserApp] = []

    async def start(self) -> Browser:
        from playwright.async_api import async_playwright

        flags = [*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={self.tone_file}"]
        if self.spki:
            flags.append(f"--ignore-certificate-errors-spki-list={self.spki}")
        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(executable_path=chromium_path(), args=flags)
        return self

    async def open(self, sdk: str, name: str) -> BrowserApp:
        if sdk in self.missing:
            unavailable(f"official {sdk} SDK unavailable: {self.missing[sdk]}")
        context = await self._browser.new_context()
        page = await context.new_page()
        app = BrowserApp(page, name, self.log, sdk)
        page.on("console", lambda m: app.console(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: app.console(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: app.console(f"request failed: {r.method} {r.url} {r.failure}"))
        await page.goto(f"{self.server.url}/?sdk={sdk}")
        await page.evaluate("harness.ready.then(() => true)")
        self.apps.append(app)
        return app

    async def stop(self) -> None:
        if self._browser is not None:
            await asyncio.wait_for(self._browser.close(), 15)
        if self._playwright is not None:
            await asyncio.wait_for(self._playwright.stop(), 15)
