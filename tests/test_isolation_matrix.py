"""Every route of the CPaaS and Link doors, generated from the route table, refuses what the real
platform refuses: no credentials, wrong credentials, an expired token, another user's credentials
on B's path, and another user's own path naming B's resources. Anonymous (CallMe) routes take no
credentials, so there the probes are the capabilities of others: B's user sessions, channels and
subscriptions through the anonymous door, and a CallMe caller's resources under another account.

A probe must be refused with the expected status, and when every probe has run the platform's
state must be what it was: nothing was read into a response, nothing changed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import jwt
import pytest

from fake_platform import Platform
from fake_platform.routing import Door
from tests.platform_world import (
    ADDRESS_VARIABLES,
    OFFER,
    Variant,
    World,
    basic,
    build,
    check_covered,
    snapshot,
    variants,
)

UNAUTHORIZED, FORBIDDEN = {401}, {403}
NOT_YOURS = {403, 404}


@dataclass
class Probe:
    variant: Variant
    case: str
    path: str
    headers: dict[str, str]
    expect: set[int]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with Platform(progression="manual") as platform:  # no timer moves the state under the probes
        world = await build(platform)
        try:
            yield world
        finally:
            await world.session.close()


def _tokens(world: World) -> dict[str, str]:
    state, b = world.platform.state, world.b
    claims = jwt.decode(b.token, options={"verify_signature": False})
    issued = state.tokens.issue(b.user, state.config.client_id)
    return {
        "garbage": "not-a-token",
        "forged": jwt.encode(claims, "another-key-entirely-32-bytes-long!", algorithm="HS256"),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
        "expired": state.tokens.issue(b.user, state.config.client_id, lifetime=-60)["access_token"],
        "id_token": issued["id_token"],
    }


def _resource_variables(variant: Variant) -> bool:
    return any(name not in ADDRESS_VARIABLES for name in variant.variables)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_probes(world: World, variant: Variant) -> list[Probe]:
    """A CPaaS route, or a Link route in user mode."""
    b, a = world.b, world.a
    tokens = _tokens(world)
    on_b = world.path(variant)
    probes = [Probe(variant, f"token {name}", on_b, _bearer(token), UNAUTHORIZED) for name, token in tokens.items()]
    probes.append(Probe(variant, "A's token on B's path", on_b, a.bearer, FORBIDDEN))
    if not (variant.is_websocket and variant.route.door == Door.LINK):
        probes.append(Probe(variant, "no credentials", on_b, {}, UNAUTHORIZED))
    if variant.route.door == Door.LINK:
        probes += [
            Probe(variant, "wrong Basic password", on_b, basic(b.id, b.user.password + "x"), UNAUTHORIZED),
            Probe(variant, "malformed Basic", on_b, {"Authorization": "Basic %%%"}, UNAUTHORIZED),
            Probe(variant, "Basic of an unknown user", on_b, basic("nobody@example.com", "x"), UNAUTHORIZED),
            Probe(variant, "A's Basic on B's path", on_b, a.basic, FORBIDDEN),
        ]
    if _resource_variables(variant):
        on_a = world.path(variant, owner=a, resources=b)
        probes.append(Probe(variant, "A's own path naming B's resources", on_a,
                            a.basic if variant.route.door == Door.LINK else a.bearer, NOT_YOURS))
    return probes


def anonymous_probes(world: World, variant: Variant) -> list[Probe]:
    """A Link route in anonymous mode: the CallMe resource in the path is the capability."""
    b, a, c = world.b, world.a, world.c
    on_b = world.path(variant)
    probes = [
        Probe(variant, "A's Basic", on_b, a.basic, FORBIDDEN),
        Probe(variant, "A's token", on_b, a.bearer, FORBIDDEN),
        Probe(variant, "wrong Basic password", on_b, basic(b.id, "wrong"), UNAUTHORIZED),
        Probe(variant, "garbage token", on_b, _bearer("garbage"), UNAUTHORIZED),
    ]
    foreign = {"session": [world.ids["link_session"], world.ids["cpaas_session"]],
               "channel": [b.link_channel, b.cpaas_channel], "sub": [b.link_subscription, world.ids["call_sub"]]}
    for name in variant.variables:
        for value in foreign.get(name, []):
            path = on_b.replace(world.value(variant, name, b, b), value)
            probes.append(Probe(variant, f"B's user {name} {value} through the anonymous door", path, {}, {404}))
    if _resource_variables(variant):
        other_account = on_b.replace(f"/anonymous/{b.id}/", f"/anonymous/{c.id}/")
        probes.append(Probe(variant, "a CallMe caller's resource under another account", other_account, {},
                            NOT_YOURS))
    return probes


def probes_for(world: World, variant: Variant) -> list[Probe]:
    if variant.mode == "anonymous":
        return anonymous_probes(world, variant)
    return user_probes(world, variant)


async def run(world: World, probe: Probe) -> int:
    url = world.platform.url + probe.path
    if probe.variant.is_websocket:
        try:
            async with world.session.ws_connect(url, headers=probe.headers, timeout=aiohttp.ClientWSTimeout(5)):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
    body = world.body(probe.variant)
    if probe.variant.mode == "anonymous" and probe.variant.route.path.endswith("callMe}") and "B's user" in probe.case:
        body = {"callMeRequest": {**body["callMeRequest"], "notifyChannelId": probe.path.rsplit("/", 1)[-1]}}
    response = await world.call(probe.variant.route.method, probe.path, body, probe.headers)
    return response.status


PUBLIC = [v for v in variants() if v.route.door in (Door.CPAAS, Door.LINK)]


async def test_every_route_refuses_other_users_and_bad_credentials(world: World) -> None:
    check_covered(world, PUBLIC)
    before = snapshot(world.platform)
    failures, count = [], 0
    started = time.monotonic()
    for variant in PUBLIC:
        for probe in probes_for(world, variant):
            count += 1
            status = await run(world, probe)
            if status not in probe.expect:
                failures.append(f"{variant.key} [{probe.case}] {probe.path}: {status}, expected {probe.expect}")
    assert not failures, f"{len(failures)} of {count} probes were not refused as expected:\n" + "\n".join(failures)
    assert snapshot(world.platform) == before, "a refused probe changed the platform's state"
    assert count > 400 and time.monotonic() - started < 60, (count, time.monotonic() - started)
    print(f"{count} probes over {len(PUBLIC)} route variants")


async def test_b_reaches_every_resource_the_probes_name(world: World) -> None:
    """The control: with B's own credentials the same GETs and upgrades find B's resources, so the
    refusals above are about who asks, not about ids that do not exist."""
    failures = []
    for variant in PUBLIC:
        if variant.route.method != "GET":
            continue
        anonymous = variant.mode == "anonymous"
        headers = {} if anonymous else world.b.basic if variant.route.door == Door.LINK else world.b.bearer
        status = await run(world, Probe(variant, "B", world.path(variant), headers, set()))
        if status >= 300 and status != 101:
            failures.append(f"{variant.key}: {status}")
    assert not failures, failures


def test_every_route_has_a_mode_the_matrix_knows() -> None:
    """A Link route whose path has no ``{mode}`` must still be a user route; nothing else exists."""
    for variant in PUBLIC:
        assert variant.mode in (None, "user", "anonymous"), variant.key
        if variant.route.door == Door.LINK:
            assert "/user/" in variant.key or variant.mode is not None, variant.key


async def test_an_anonymous_subscription_to_b_gets_none_of_b(world: World) -> None:
    """Anyone may subscribe anonymously to call B (that is CallMe), but the channel is the caller's:
    it receives none of B's notifications, and its TURN credentials are not B's."""
    b = world.b
    made = await world.ok("POST", f"/rest/version/1/anonymous/{b.id}/subscription",
                          {"subscribeRequest": {"service": ["callMe"], "expires": 3600}})
    params = made["subscribeResponse"]["subscriptionParams"]
    assert b.id not in params["turnCredentials"]["username"]
    channel = params["notificationChannel"].rsplit("/", 1)[1]
    state = world.platform.state
    assert state.hub.channels[channel].user != b.id
    delivered = state.link.notify_owner(b.id, {"eventType": "IM", "imnotificationParams": {"msgText": "secret"}})
    assert delivered == 1  # B's own user subscription only
    assert not state.hub.channels[channel].buffer
    async with world.session.ws_connect(world.platform.ws_url + params["notificationChannel"]) as ws:
        assert state.hub.channels[channel].socket is not None
        await ws.close()


async def test_an_intruder_cannot_take_bs_call(world: World) -> None:
    """The end-to-end attack of issue 15: C calls B; the intruder tries to open B's Link channel with
    a wrong password and with A's login, then to answer B's session through the anonymous door."""
    b, a, c = world.b, world.a, world.c
    url = f"{world.platform.ws_url}/rest/version/1/user/{b.id}/websocket/{b.link_channel}"
    for headers in (basic(b.id, "guess"), a.basic, _bearer(a.token)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with world.session.ws_connect(url, headers=headers):
                pass
        assert refused.value.status in (401, 403)
    for query in (f"access_token={a.token}", f"token={a.token}", "token=garbage"):
        with pytest.raises(aiohttp.WSServerHandshakeError):
            async with world.session.ws_connect(f"{url}?{query}"):
                pass
    made = await world.ok("POST", f"/rest/version/1/user/{c.id}/callControl",
                          {"callControlRequest": {"type": "callStart", "to": b.id, "from": c.id,
                                                  "sdp": "v=0\r\n"}}, c.basic)
    world.platform.advance()  # invitations go out
    session = made["callControlResponse"]["sessionData"]
    b_legs = [leg for leg in world.platform.state.calls.router.legs.values()
              if leg.owner == b.id and leg.session is not None and leg.session.caller.id == session]
    assert b_legs
    for leg in b_legs:
        for kind in ("callMe", "callControl"):
            path = f"/rest/version/1/anonymous/{b.id}/{kind}/callSessions/{leg.id}"
            answer = {"callControlRequest": {"type": "callAnswer", "sdp": "v=0\r\n"}}
            assert (await world.call("PUT", path, answer)).status == 404
            assert (await world.call("GET", path)).status == 404
            assert (await world.call("DELETE", path)).status == 404
        assert leg.state != "ended" and leg.session.state != "connected"


async def test_the_token_endpoint_refuses_bad_credentials(world: World) -> None:
    state, b = world.platform.state, world.b
    client = state.config.client_id
    forms = {
        "wrong password": {"grant_type": "password", "client_id": client, "username": b.id, "password": "x"},
        "unknown user": {"grant_type": "password", "client_id": client, "username": "no@example.com",
                         "password": "x"},
        "unknown client": {"grant_type": "password", "client_id": "nobody", "username": b.id,
                           "password": b.user.password},
        "wrong client secret": {"grant_type": "client_credentials", "client_id": client, "client_secret": "x"},
        "a project identity's password": {"grant_type": "password", "client_id": client,
                                          "username": state.projects.projects[client].user_id, "password": ""},
    }
    for case, form in forms.items():
        async with world.session.post(f"{world.platform.url}/cpaas/auth/v1/token", data=form) as resp:
            assert resp.status == 401, case



async def test_token_mode_callme_sessions_answer_only_to_their_account_token(world: World) -> None:
    """Token mode: the path's account is an AES account token (tokenrealm). A CallMe session made
    with B's token is not reachable with C's token, nor token-less under B's plain address."""
    platform, b, c = world.platform, world.b, world.c
    realm = platform.state.config.realm
    creds = platform.callme_credentials(b.id, "sip:guest@example.com", f"sip:{b.id}")
    other = platform.callme_credentials(c.id, "sip:guest@example.com", f"sip:{c.id}")
    base = f"/rest/version/1/anonymous/{creds['accountToken']}"
    made = await world.ok("POST", f"{base}/subscription?tokenrealm={realm}",
                          {"subscribeRequest": {"service": ["callMe"], "expires": 3600}})
    channel = made["subscribeResponse"]["subscriptionParams"]["notificationChannel"].rsplit("/", 1)[1]
    started = await world.ok("POST", f"{base}/callMe?tokenrealm={realm}", {"callMeRequest": {
        "type": "callStart", "to": creds["toToken"], "from": creds["fromToken"], "sdp": OFFER,
        "notifyChannelId": channel}})
    session = started["callMeResponse"]["sessionData"]
    audit = {"callMeRequest": {"type": "audit"}}
    assert (await world.call("PUT", f"{base}/callMe/callSessions/{session}?tokenrealm={realm}", audit)).status == 200
    for path in (f"/rest/version/1/anonymous/{other['accountToken']}/callMe/callSessions/{session}?tokenrealm={realm}",
                 f"/rest/version/1/anonymous/{b.id}/callMe/callSessions/{session}"):
        assert (await world.call("PUT", path, audit)).status in NOT_YOURS, path
        assert (await world.call("DELETE", path)).status in NOT_YOURS, path
    forged = f"/rest/version/1/anonymous/{creds['accountToken']}/callMe/callSessions/{session}?tokenrealm=nope"
    assert (await world.call("GET", forged)).status == 404  # an unknown realm: the token reads as nothing
