"""Steps that talk to the platform directly over HTTP (error bodies, token endpoint, control plane)."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import jwt
from pytest_bdd import parsers, then, when

from ..world import World
from .common import parse_value

VALID_BODIES: dict[str, Any] = {
    "malformed JSON": b"{not json",
    "nothing": None,
    "a valid channel request": {"notificationChannel": {"channelType": "Websockets", "clientCorrelator": "c1"}},
    "a subscription to nowhere": {"chatNotificationSubscription": {"callbackReference": {"notifyURL": "ws-nowhere"}}},
    "a valid subscribe request": {"subscribeRequest": {"expires": 3600, "service": ["callMe", "call"],
                                                       "notificationType": "WebSocket"}},
}


def _path(world: World, path: str) -> str:
    for name, user in world.users.items():
        path = path.replace("{" + name.lower() + "}", user.user_id)
    return path


def _body(text: str) -> tuple[bytes | None, dict[str, str]]:
    value = VALID_BODIES[text] if text in VALID_BODIES else parse_value(text)
    if value is None:
        return None, {}
    if isinstance(value, bytes):
        return value, {"Content-Type": "application/json"}
    return json.dumps(value).encode(), {"Content-Type": "application/json"}


def _cpaas_token(world: World, kind: str) -> str | None:
    assert world.platform is not None
    if kind == "no token":
        return None
    if kind == "a forged token":
        claims = {"preferred_username": world.users["Alice"].user_id, "typ": "access"}
        return jwt.encode(claims, "forged-secret-that-the-platform-never-used-0123", algorithm="HS256")
    owner = kind.split("'")[0]
    user = world.users["Alice" if kind == "an expired token" else owner]
    lifetime = -60 if kind == "an expired token" else None
    return world.platform.access_token(user, lifetime=lifetime)


def _link_auth(world: World, kind: str) -> dict[str, str]:
    if kind == "no credentials":
        return {}
    alice, bob = world.users["Alice"], world.users["Bob"]
    if kind == "Alice's password":  # Bob's name with Alice's password
        pair = f"{bob.user_id}:{alice.password}"
    elif kind == "Alice's basic login":
        pair = f"{alice.user_id}:{alice.password}"
    else:
        raise AssertionError(f"unknown credentials {kind}")
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def _send(world: World, method: str, path: str, data: bytes | None, headers: dict[str, str],
          form: dict[str, str] | None = None) -> None:
    assert world.platform is not None
    url = f"{world.platform.url}{path}"

    async def request() -> tuple[int, Any]:
        async with aiohttp.ClientSession() as session:
            async with session.request(method, url, data=form if form is not None else data,
                                       headers=headers) as resp:
                text = await resp.text()
                try:
                    return resp.status, json.loads(text)
                except ValueError:
                    return resp.status, text

    world.last_response = world.run(request())


@when(parsers.parse('{who} sends {method} "{path}" with {body} using {credentials}'))
def send_request(world: World, who: str, method: str, path: str, body: str, credentials: str) -> None:
    data, headers = _body(body)
    if path.startswith("/cpaas/"):
        token = _cpaas_token(world, credentials)
        if token:
            headers["Authorization"] = f"Bearer {token}"
    else:
        headers.update(_link_auth(world, credentials))
    _send(world, method, _path(world, path), data, headers)


@then(parsers.parse("the response status is {status:d}"))
def response_status(world: World, status: int) -> None:
    assert world.last_response is not None
    assert world.last_response[0] == status, world.last_response


@then(parsers.parse('the response is a CPaaS {exception} with message id "{message_id}"'))
def cpaas_error_body(world: World, exception: str, message_id: str) -> None:
    body = world.last_response[1]
    inner = body["requestError"][exception]
    assert inner["messageId"] == message_id, body
    assert isinstance(inner["text"], str) and isinstance(inner["variables"], list), body


@then(parsers.parse("the response is a Link error with status code {code:d}"))
def link_error_body(world: World, code: int) -> None:
    body = world.last_response[1]
    assert isinstance(body, dict) and len(body) == 1, body
    (inner,) = body.values()
    assert inner["statusCode"] == code and isinstance(inner["reason"], str), body


@when(parsers.parse("someone asks for a token with a wrong password for {name}"))
def wrong_password_token(world: World, name: str) -> None:
    assert world.platform is not None
    form = {"grant_type": "password", "client_id": world.platform.client_id,
            "username": world.users[name].user_id, "password": "wrong", "scope": "openid"}
    _send(world, "POST", "/cpaas/auth/v1/token", None, {}, form=form)


@then(parsers.parse('the response is an OAuth error "{error}"'))
def oauth_error(world: World, error: str) -> None:
    body = world.last_response[1]
    assert body["error"] == error and body["error_description"], body


@when(parsers.re(r'someone adds a fault of kind "(?P<kind>\w+)"(?: lasting (?P<seconds>\d+) seconds)?$'))
def add_fault(world: World, kind: str, seconds: str | None) -> None:
    body: dict[str, Any] = {"kind": kind}
    if seconds:
        body["duration"] = int(seconds)
    _send(world, "POST", "/_platform/faults", json.dumps(body).encode(), {"Content-Type": "application/json"})


@then(parsers.parse("the platform journal lists {name}'s requests with their statuses, none of them 500"))
def journal_lists(world: World, name: str) -> None:
    assert world.platform is not None
    entries = world.platform.journal(kind="http", user=world.users[name].user_id)
    assert entries and all(isinstance(e["status"], int) and e["status"] < 500 for e in entries), entries
