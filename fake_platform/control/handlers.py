"""Control-plane handlers: health, reset, seed, users, tokens, realms, state, journal, faults,
sockets and raw notifications. Every operation here is also a method on ``Platform``."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..core.errors import InvalidInput
from ..core.progress import Progression, Timings
from ..core.text import decimal
from ..http import json_response, no_content, read_json, state_of
from ..link.tokens import make_token

if TYPE_CHECKING:
    from ..state import PlatformState

MAX_USERS_PER_REQUEST = 1000
MAX_NOTIFY_BATCH = 1000


async def health(request: web.Request) -> web.Response:
    """Liveness, with the number of users and channels."""
    state = state_of(request)
    return json_response({"status": "ok", "users": len(state.users.all()), "channels": len(state.hub.channels)})


async def diagnostics(request: web.Request) -> web.Response:
    """What the platform holds now: tasks, sockets, channels, subscriptions, call legs and sessions,
    live media peers, journal size, files (the soak's view, load/soak.py)."""
    return json_response(state_of(request).diagnostics())


async def reset(request: web.Request) -> web.Response:
    """Drop every socket and rebuild all state: `{seed?}`."""
    body = await read_json(request, required=False)
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise InvalidInput("seed must be an integer")
    await state_of(request).reset(seed)
    return no_content()


def _int_field(body: dict[str, Any], name: str, default: int, maximum: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise InvalidInput("%1 must be an integer between 1 and %2", name, maximum)
    return value


async def create_users(request: web.Request) -> web.Response:
    """Create users: `{count, firstName, lastName, password, userId, phoneNumber, email}`
    (passwords included in the answer)."""
    state = state_of(request)
    body = await read_json(request, required=False)
    count = _int_field(body, "count", 1, MAX_USERS_PER_REQUEST)
    fields: dict[str, str | None] = {}
    for name, key in (("first_name", "firstName"), ("last_name", "lastName"), ("password", "password"),
                      ("user_id", "userId"), ("phone_number", "phoneNumber"), ("email", "email")):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput("%1 must be a string", key)
        fields[name] = value
    if count > 1 and (fields["user_id"] or fields["phone_number"]):
        raise InvalidInput("userId and phoneNumber can only be given when count is 1")
    users = [state.users.create(first_name=fields["first_name"], last_name=fields["last_name"],
                                password=fields["password"], user_id=fields["user_id"],
                                phone_number=fields["phone_number"], email=fields["email"]) for _ in range(count)]
    return json_response({"users": [u.with_secret() for u in users]}, status=201)


async def list_users(request: web.Request) -> web.Response:
    """Every user, with its password."""
    return json_response({"users": [u.with_secret() for u in state_of(request).users.all()]})


async def get_user(request: web.Request) -> web.Response:
    """One user, with its password."""
    return json_response(state_of(request).users.get(request.match_info["user"]).with_secret())


async def tokens(request: web.Request) -> web.Response:
    """Tokens for a user without the OAuth round trip: `{userId, lifetime?}`."""
    state = state_of(request)
    body = await read_json(request)
    user_id = body.get("userId")
    if not isinstance(user_id, str):
        raise InvalidInput("userId is required")
    lifetime = body.get("lifetime")
    if lifetime is not None and (not isinstance(lifetime, int) or lifetime <= 0):
        raise InvalidInput("lifetime must be a positive integer")
    return json_response(state.tokens.issue(state.users.get(user_id), state.config.client_id, lifetime=lifetime))


async def projects(request: web.Request) -> web.Response:
    """OAuth clients (`clientId`, `clientSecret` for the client_credentials grant)."""
    state = state_of(request)
    return json_response({"projects": [{"clientId": p.client_id, "clientSecret": p.client_secret,
                                        "userId": p.user_id} for p in state.projects.projects.values()]})


async def realms(request: web.Request) -> web.Response:
    """CallMe token realms."""
    return json_response({"realms": [r.to_dict() for r in state_of(request).link.realms.realms.values()]})


async def add_realm(request: web.Request) -> web.Response:
    """Add a CallMe token realm: `{name, key?, tokenTtl?}`."""
    state = state_of(request)
    body = await read_json(request)
    name, key = body.get("name"), body.get("key") or state.ids.key(16)
    if not isinstance(name, str) or not name:
        raise InvalidInput("name is required")
    ttl = body.get("tokenTtl", 3600)
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= 10 * 365 * 86400:
        raise InvalidInput("tokenTtl must be a positive number of seconds")
    realm = state.link.realms.add(name, key, ttl)
    return json_response(realm.to_dict(), status=201)


async def realm_tokens(request: web.Request) -> web.Response:
    """Token-mode CallMe credentials minted with the realm's key: `{account, from, to, issuedAt?}`."""
    state = state_of(request)
    realm = state.link.realms.get(request.match_info["realm"])
    body = await read_json(request)
    issued = body.get("issuedAt", state.clock.wall_ms())
    if not isinstance(issued, int):
        raise InvalidInput("issuedAt must be epoch milliseconds")
    values = {}
    for key in ("account", "from", "to"):
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise InvalidInput("%1 is required", key)
        values[key] = value
    return json_response({
        "realm": realm.name,
        "accountToken": make_token(values["account"], realm.key, issued),
        "fromToken": make_token(values["from"], realm.key, issued),
        "toToken": make_token(values["to"], realm.key, issued),
    })


async def dump(request: web.Request) -> web.Response:
    """A JSON dump of everything."""
    return json_response(state_of(request).dump())


async def journal(request: web.Request) -> web.Response:
    """Every HTTP request and websocket frame, in order: `?kind=&user=&path=&method=&channel=&since=&limit=`."""
    q = request.query
    since, limit = decimal(q.get("since", "0")), decimal(q["limit"]) if "limit" in q else None
    if since is None or ("limit" in q and limit is None):
        raise InvalidInput("since and limit must be non-negative integers")
    try:
        re.compile(q.get("path", ""))
    except re.error as exc:
        raise InvalidInput("path is a regular expression: %1", exc) from None
    kinds = q.get("kind")
    entries = state_of(request).journal.query(
        kind=kinds.split(",") if kinds else None, user=q.get("user"), path=q.get("path"),
        method=q.get("method"), channel=q.get("channel"), since=since, limit=limit)
    return json_response({"entries": [e.to_dict() for e in entries], "lastSeq": state_of(request).journal.last_seq})


async def clear_journal(request: web.Request) -> web.Response:
    """Empty the journal."""
    state_of(request).journal.clear()
    return no_content()


async def list_faults(request: web.Request) -> web.Response:
    """The live fault rules."""
    return json_response({"faults": state_of(request).faults.list()})


async def add_fault(request: web.Request) -> web.Response:
    """Add a fault rule: `{kind, duration?, count?, match?: {user, channel, product, method, path},
    <params>}` (fault kinds below)."""
    state = state_of(request)
    body = await read_json(request)
    kind = body.pop("kind", None)
    duration, count, match = body.pop("duration", None), body.pop("count", None), body.pop("match", None)
    if duration is not None and not isinstance(duration, int | float):
        raise InvalidInput("duration must be a number of seconds")
    if count is not None and not isinstance(count, int):
        raise InvalidInput("count must be an integer")
    if match is not None and not isinstance(match, dict):
        raise InvalidInput("match must be an object")
    fault = state.faults.add(kind, duration=duration, count=count, match=match, **body)
    state.journal.record("fault", detail={"action": "add", "fault": fault.to_dict(state.clock.monotonic())})
    return json_response(fault.to_dict(state.clock.monotonic()), status=201)


async def clear_faults(request: web.Request) -> web.Response:
    """Remove every fault rule."""
    state_of(request).faults.clear()
    return no_content()


async def remove_fault(request: web.Request) -> web.Response:
    """Remove one fault rule."""
    if not state_of(request).faults.remove(request.match_info["fault"]):
        from ..core.errors import NotFound

        raise NotFound("Fault %1 not found", request.match_info["fault"])
    return no_content()


async def sockets(request: web.Request) -> web.Response:
    """Notification channels and whether a socket is attached."""
    return json_response({"channels": [c.to_dict() for c in state_of(request).hub.channels.values()]})


async def drop_sockets(request: web.Request) -> web.Response:
    """Drop sockets: `{user?, channel?, product?, code}` (1006 = abort without a close frame)."""
    body = await read_json(request, required=False)
    code = body.get("code", 1006)
    if not isinstance(code, int) or not (code == 1006 or 1000 <= code <= 4999):
        raise InvalidInput("code must be 1006 (abort) or a close code 1000-4999")
    dropped = await state_of(request).hub.drop_sockets(code=code, user=body.get("user"),
                                                       channel=body.get("channel"), product=body.get("product"))
    return json_response({"dropped": dropped})


async def notify(request: web.Request) -> web.Response:
    """Push a raw notification to a user: `{user, product, service, frame}`."""
    return json_response({"delivered": _notify_one(state_of(request), await read_json(request))})


async def notify_batch(request: web.Request) -> web.Response:
    """Many raw notifications in one request: `{notifications: [<notify body>, ...]}`."""
    items = (await read_json(request)).get("notifications")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_NOTIFY_BATCH or \
            not all(isinstance(item, dict) for item in items):
        raise InvalidInput("notifications must be a list of 1 to %1 notify bodies", MAX_NOTIFY_BATCH)
    state = state_of(request)
    return json_response({"delivered": [_notify_one(state, item) for item in items]})


def _notify_one(state: PlatformState, body: dict[str, Any]) -> int:
    user, frame = body.get("user"), body.get("frame")
    if not isinstance(user, str) or not isinstance(frame, dict) or len(frame) != 1 \
            or not isinstance(next(iter(frame.values())), dict):
        raise InvalidInput("user and a frame object of one key whose value is an object are required")
    product, service = body.get("product", "cpaas"), body.get("service", "call")
    if product not in ("cpaas", "link") or not isinstance(service, str):
        raise InvalidInput("product is cpaas or link, service a string")
    user_id = state.users.get(user).user_id
    # A raw frame is the test's, not the platform's: the contract does not judge it.
    with state.contract.injected() if state.contract is not None else contextlib.nullcontext():
        if product == "cpaas":
            return state.cpaas_channels.notify(user_id, service, frame)
        (message,) = frame.values()
        return state.link.notify_owner(user_id, message)


async def calls(request: web.Request) -> web.Response:
    """Call sessions and their legs."""
    return json_response({"calls": state_of(request).calls.dump()})


async def endpoints(request: web.Request) -> web.Response:
    """The scripted endpoints' addresses."""
    return json_response({"endpoints": state_of(request).calls.endpoints.describe()})


async def forget_call(request: web.Request) -> web.Response:
    """The platform loses a session silently (no notification): the SDKs' audits then end it."""
    session = state_of(request).calls.router.forget(request.match_info["session"])
    return json_response(session.to_dict())


async def endpoint_calls(request: web.Request) -> web.Response:
    """What the scripted endpoints got in each call: DTMF digits heard, custom parameters, media."""
    session = request.query.get("callerSession")
    calls = state_of(request).calls.endpoints.calls_of(session)
    return json_response({"calls": [c.to_dict() for c in calls]})


async def progress(request: web.Request) -> web.Response:
    """The protocol timings, the progression and the transitions waiting for a manual advance."""
    progress = state_of(request).progress
    return json_response({"progression": str(progress.progression), "timings": dataclasses.asdict(progress.timings),
                          "pending": progress.pending()})


async def advance(request: web.Request) -> web.Response:
    """Manual progression: release the pending transitions named `transition` (all when absent)."""
    body = await read_json(request, required=False)
    transition = body.get("transition")
    if transition is not None and transition not in Timings.names():
        raise InvalidInput("transition must be one of %1", ", ".join(Timings.names()))
    return json_response({"advanced": state_of(request).progress.advance(transition)})


async def set_timings(request: web.Request) -> web.Response:
    """Change the progression or timings: `{progression?, <timing>: seconds, ...}`."""
    current = state_of(request).progress
    body = await read_json(request)
    progression = body.pop("progression", None)
    if progression is not None and progression not in {p.value for p in Progression}:
        raise InvalidInput("progression must be one of %1", ", ".join(p.value for p in Progression))
    unknown = sorted(set(body) - set(Timings.names()))
    if unknown:
        raise InvalidInput("Unknown timings %1; known: %2", unknown, ", ".join(Timings.names()))
    for name, seconds in body.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 3600:
            raise InvalidInput("%1 must be a number of seconds in [0, 3600]", name)
    for name, seconds in body.items():
        setattr(current.timings, name, float(seconds))
    if progression is not None:
        current.progression = Progression(progression)
    return await progress(request)
