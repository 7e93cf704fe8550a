"""Configuring an official CallMe SDK app for the platform and placing anonymous calls with it."""

from __future__ import annotations

from typing import Any

from fake_platform import Platform

from .browser import Browser, BrowserApp

# The events a test may wait for (5.5.0's list); recorded from the moment the client is created.
# 5.x replaced call:newTrack / call:trackEnded with call:tracksAdded / call:tracksRemoved.
EVENTS = [
    "call:start", "call:stateChange", "call:operation", "call:tracksAdded", "call:tracksRemoved",
    "call:newMedia", "call:removedMedia", "call:customParameters", "call:mediaConnectionChange",
    "call:mediaRestart", "media:trackEnded", "devices:error", "request:error", "ws:change",
    "notifications:change", "notifications:error", "notification:received",
]


def callme_config(platform: Platform) -> dict[str, Any]:
    """The documented ``config.authentication`` (subscription and websocket servers) pointing at the
    platform, loopback ICE (no ICE servers: host candidates on 127.0.0.1 are enough) and debug logs."""
    return {
        "authentication": {
            "subscription": {"protocol": "https", "server": platform.host, "port": platform.port},
            "websocket": {"protocol": "wss", "server": platform.host, "port": platform.port},
        },
        # 5.x moved ``call.iceServers`` into ``call.defaultPeerConfig`` (the old key is still mapped).
        "call": {"defaultPeerConfig": {"iceServers": []}},
        "logs": {"logLevel": "debug"},
    }


async def open_callme(browser: Browser, platform: Platform, name: str = "callme") -> BrowserApp:
    """A page with the official CallMe SDK created against the platform, its events recorded."""
    app = await browser.open("callme", name)
    await app.js("([config, events]) => { harness.create(config); harness.listen(events); }",
                 [callme_config(platform), EVENTS])
    return app


async def make_anonymous(app: BrowserApp, callee: str, credentials: dict[str, str],
                         options: dict[str, Any]) -> str:
    """``client.call.makeAnonymous(callee, credentials, options)``; the new call's id."""
    return await app.js("([callee, credentials, options]) => client.call.makeAnonymous(callee, credentials, options)",
                        [callee, credentials, options])


async def wait_state(app: BrowserApp, call_id: str, state: str, timeout: float = 15.0) -> dict[str, Any]:
    """Wait for a ``call:stateChange`` of the call after which ``call.getById`` reports ``state``
    (the harness records the state at each call event); the call object then."""
    await app.wait_until(
        "([id, want]) => harness.events.some(e => e.type === 'call:stateChange' && e.payload.callId === id"
        " && e.callState === want)", [call_id, state], timeout=timeout)
    return await app.js("id => harness.plain(client.call.getById(id))", call_id)


async def call_endpoint(app: BrowserApp, platform: Platform, endpoint: str, caller: str) -> tuple[str, str]:
    """The app calls one of the platform's scripted endpoints (``ivr``, ``ivr-inband``, ...) as
    ``caller`` with audio until Connected: the call's id, and the platform's session id of its leg."""
    domain = platform.domain
    call_id = await make_anonymous(app, f"{endpoint}@{domain}", {}, {"from": f"{caller}@{domain}", "audio": True})
    await wait_state(app, call_id, "Connected")
    session = next(leg["id"] for call in platform.dump()["calls"] for leg in [call["caller"], *call["callees"]]
                   if leg["frontDoor"] == "callme")
    return call_id, session


def expect_unsubscribe(app: BrowserApp, timeout: float = 10.0) -> Any:
    """``async with expect_unsubscribe(app) as r:`` ... ``(await r.value).status``: the response to
    the DELETE of the anonymous subscription that the SDK sends by itself once its call has ended."""
    return app.page.expect_response(
        lambda r: r.request.method == "DELETE" and "/anonymous/" in r.url and "/subscription/" in r.url,
        timeout=timeout * 1000)
