"""Signing an official CPaaS SDK app in to the platform, as an app built on it does."""

from __future__ import annotations

from itertools import count
from typing import Any

from fake_platform import Platform
from fake_platform.auth.models import User

from .browser import Browser, BrowserApp

ALL_SERVICES = ["call", "chat", "presence", "smsinbound"]
# The events a test may wait for; recorded from the moment the client is created.
EVENTS = [
    "subscription:change", "subscription:error", "ws:change", "auth:change", "auth:error",
    "call:start", "call:join", "call:receive", "call:stateChange", "call:newTrack", "call:trackEnded",
    "call:error", "media:error",
    "conversations:new", "conversations:change", "messages:change", "messages:error",
    "isTypingList:change", "presence:change", "presence:selfChange", "presence:error",
    "group:new", "group:change", "group:delete", "group:refresh", "group:invitation_received",
    "group:error", "directory:change", "contacts:new", "contacts:change", "contacts:error",
]
_correlators = count(1)


def cpaas_config(platform: Platform) -> dict[str, Any]:
    return {
        "authentication": {
            "server": {"base": platform.host, "port": str(platform.port), "protocol": "https"},
            "clientCorrelator": f"browser-{next(_correlators)}",
        },
        "call": {"iceServers": []},
        "logs": {"logLevel": "debug"},
    }


async def open_cpaas(browser: Browser, platform: Platform, user: User,
                     services: list[str] | None = None, config: dict[str, Any] | None = None,
                     ice_transport_policy: str | None = None) -> BrowserApp:
    """A page with the official CPaaS SDK, signed in as ``user`` (tokens from the platform's token
    endpoint, fetched by the page) and subscribed to ``services`` on a websocket channel.
    ``ice_transport_policy`` ('relay') goes into every RTCPeerConnection the SDK makes."""
    app = await browser.open("cpaas", user.user_id.split("@")[0])
    if ice_transport_policy:
        await app.js("policy => { harness.iceTransportPolicy = policy; }", ice_transport_policy)
    await app.js("([config, events]) => { harness.create(config); harness.listen(events); }",
                 [{**cpaas_config(platform), **(config or {})}, EVENTS])
    tokens = await app.js("([url, id, user, password]) => harness.tokens(url, id, user, password)",
                          [platform.url, platform.client_id, user.user_id, user.password])
    await app.js("tokens => client.setTokens(tokens)", tokens)
    if services:
        await app.js("services => client.services.subscribe(services, 'websocket')", services)
        await app.wait_until("want => want.every(s => client.services.getSubscriptions().subscribed.includes(s))",
                             services)
        if "call" in services and (config or {}).get("call", {}).get("iceServers"):
            # The SDK asks for TURN credentials once calls are subscribed and applies them later, with
            # no event: a call made before that gathers no relay candidate (none at all under
            # iceTransportPolicy 'relay'). Its redux action says when they are in place.
            await app.wait_console(TURN_CREDENTIALS_APPLIED)
    return app


# The action the official CPaaS SDK (4.9.0) logs once its TURN servers and credentials are set.
TURN_CREDENTIALS_APPLIED = "@@KANDY/CALL/TURN/CHANGED"


# What the official SDK logs when one of its redux-saga workers throws: the operation in progress is
# lost without an event (cpaas-wire "crash"), so a test that only waits for events may not notice.
SAGA_CRASH = "Unhandled error in saga"


def assert_no_sdk_trouble(browser: Browser, platform: Platform) -> None:
    """No saga of an official SDK crashed, and the platform refused no request."""
    crashes = [line for line in browser.log if SAGA_CRASH in line]
    assert not crashes, "the official SDK crashed:\n" + "\n".join(crashes)
    refused = [(e["method"], e["path"], e["status"]) for e in platform.journal(kind="http") if e["status"] >= 400]
    assert not refused, f"the platform refused requests: {refused}"
