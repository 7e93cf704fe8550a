"""HTTP side of calls: CPaaS webrtcsignaling sessions, Link callControl and CallMe anonymous calls."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.errors import Conflict, Gone, InvalidInput, NotFound
from ..http import cpaas_user, json_response, no_content, read_json, relay_delay, state_of, wrapped
from ..link.handlers import anonymous, link_user
from ..link.tokens import read_token
from .models import CONNECTED, ENDED, INITIATED, Leg, LegDoor, Role

# -- CPaaS ------------------------------------------------------------------------------------


def _sdp_of(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    holder = body.get(key)
    sdp = holder.get("sdp") if isinstance(holder, dict) else None
    if required and (not isinstance(sdp, str) or not sdp.strip()):
        raise InvalidInput("Invalid input value for message part %1", f"{key}.sdp")
    return sdp if isinstance(sdp, str) else None


def _session_body(request: web.Request, leg: Leg) -> dict[str, Any]:
    return {"wrtcsSession": {
        "resourceURL": f"/cpaas/webrtcsignaling/{request.match_info['ver']}/{leg.owner}/sessions/{leg.id}",
        "tParticipantAddress": f"sip:{leg.peer.address}" if leg.peer else None,
        "x-state": leg.state,
    }}


async def cpaas_create_session(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    state = state_of(request)
    body = wrapped(await read_json(request), "wrtcsSession")
    correlator = body.get("clientCorrelator") if isinstance(body.get("clientCorrelator"), str) else None
    joined = body.get("x-joinSessions")
    if joined is not None:  # join two calls (an emulator extension: 4.9.0 does not wire join)
        if not isinstance(joined, list) or len(joined) != 2 or not all(isinstance(j, str) for j in joined):
            raise InvalidInput("Invalid input value for message part %1", "x-joinSessions")
        router = state.calls.router
        legs = [router.leg(j, user, door=LegDoor.CPAAS) for j in joined]
        caller = state.calls.cpaas_caller(user, correlator, request.match_info["ver"])
        sdp = _sdp_of(body, "offer")
        assert sdp is not None
        state.calls.join(legs[0], legs[1], caller, sdp)
        return json_response(_session_body(request, caller), status=201)
    to_address = body.get("tParticipantAddress")
    if not isinstance(to_address, str) or not to_address.strip():
        raise InvalidInput("Invalid input value for message part %1", "tParticipantAddress")
    offer = _sdp_of(body, "offer", required=False)
    caller = state.calls.cpaas_caller(user, correlator, request.match_info["ver"])
    if isinstance(body.get("tParticipantName"), str):
        caller.name = body["tParticipantName"]
    state.calls.start(caller, to_address, offer, relay_delay(request))
    return json_response(_session_body(request, caller), status=201)


async def cpaas_list_sessions(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    legs = [leg for leg in state_of(request).calls.router.legs.values()
            if leg.owner == user and leg.front_door == LegDoor.CPAAS and leg.state != ENDED]
    return json_response({"wrtcsSessionList": {"wrtcsSession": [_session_body(request, leg)["wrtcsSession"]
                                                                for leg in legs]}})


def _cpaas_leg(request: web.Request) -> Leg:
    user = cpaas_user(request)
    return state_of(request).calls.router.leg(request.match_info["session"], user, door=LegDoor.CPAAS)


async def cpaas_get_session(request: web.Request) -> web.Response:
    leg = _cpaas_leg(request)
    if leg.state == ENDED:
        raise NotFound("Session %1 is closed", leg.id)
    return json_response(_session_body(request, leg))


async def cpaas_status(request: web.Request) -> web.Response:
    leg = _cpaas_leg(request)
    router = state_of(request).calls.router
    if request.method == "GET":
        return json_response({"wrtcsSessionStatus": {"status": router.status(leg)}})
    status = wrapped(await read_json(request), "wrtcsSessionStatus").get("status")
    if status == "Ringing":
        router.ringing(leg)
    elif status != "Connected":
        raise InvalidInput("Invalid input value for message part %1", "status")
    return json_response({"wrtcsSessionStatus": {"status": router.status(leg)}})


async def cpaas_answer(request: web.Request) -> web.Response:
    leg = _cpaas_leg(request)
    sdp = _sdp_of(await read_json(request), "wrtcsAnswer")
    router = state_of(request).calls.router
    assert sdp is not None
    if leg.role == Role.CALLEE and leg.state != CONNECTED:
        router.answer(leg, sdp)
    else:
        router.respond(leg, sdp)
    return no_content()


async def cpaas_update(request: web.Request) -> web.Response:
    leg = _cpaas_leg(request)
    sdp = _sdp_of(await read_json(request), "wrtcsOffer", required=False)
    state = state_of(request)
    state.calls.router.update(leg, sdp, relay_delay(request))
    return no_content()


async def cpaas_transfer(request: web.Request) -> web.Response:
    """Consultative transfer: ``{"wrtcsTransfer": {"x-sessionId": <the other session>}}``."""
    leg = _cpaas_leg(request)
    body = wrapped(await read_json(request), "wrtcsTransfer")
    other = body.get("x-sessionId")
    if not isinstance(other, str):
        raise InvalidInput("Invalid input value for message part %1", "x-sessionId")
    router = state_of(request).calls.router
    router.transfer(leg, router.leg(other, leg.owner, door=leg.front_door))
    return no_content()


async def cpaas_end(request: web.Request) -> web.Response:
    leg = _cpaas_leg(request)
    if leg.state == ENDED:
        raise NotFound("Session %1 is closed", leg.id)
    state_of(request).calls.router.end(leg)
    return no_content()


# -- Link / CallMe ----------------------------------------------------------------------------

def _link_request(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for key in ("callControlRequest", "callMeRequest"):
        if isinstance(body.get(key), dict):
            return key, body[key]
    raise InvalidInput("Invalid input value for message part %1", "callControlRequest")


def _custom_parameters(request_body: dict[str, Any]) -> list[dict[str, str]]:
    params = request_body.get("customParameters") or []
    if not isinstance(params, list) or not all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str)
            for p in params):
        raise InvalidInput("Invalid input value for message part %1", "customParameters")
    return [{"name": p["name"], "value": p["value"]} for p in params]


def _ok(wrapper: str = "callControlResponse", **extra: Any) -> web.Response:
    return json_response({wrapper: {"statusCode": 0, **extra}})


async def link_call_start(request: web.Request) -> web.Response:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    user: str | None = None
    if mode == "user":
        user = link_user(request)
    else:
        anonymous(request)
    _wrapper, call_request = _link_request(await read_json(request))
    if call_request.get("type") == "join" and user is not None:
        router = state.calls.router
        first, second = call_request.get("firstSessionData"), call_request.get("secondSessionData")
        sdp = call_request.get("sdp")
        if not (isinstance(first, str) and isinstance(second, str) and isinstance(sdp, str) and first and second
                and sdp):
            raise InvalidInput("Invalid input value for message part %1", "firstSessionData/secondSessionData/sdp")
        caller = state.calls.link_caller(user, supports_early_media=False)
        legs = [router.leg(leg_id, user, door=LegDoor.LINK) for leg_id in (first, second)]
        state.calls.join(legs[0], legs[1], caller, sdp)
        return _ok("callControlResponse", sessionData=caller.id)
    if call_request.get("type") != "callStart":
        raise InvalidInput("Invalid input value for message part %1", "type")
    to_address, from_address = call_request.get("to"), call_request.get("from")
    if not isinstance(to_address, str) or not to_address or not isinstance(from_address, str) or not from_address:
        raise InvalidInput("Invalid input value for message part %1", "to/from")
    sdp = call_request.get("sdp") if isinstance(call_request.get("sdp"), str) else None
    supported = call_request.get("supported") or []
    if not isinstance(supported, list):
        raise InvalidInput("Invalid input value for message part %1", "supported")
    early = "earlymedia" in supported
    if mode == "anonymous":
        realm_name = request.query.get("tokenrealm")
        state.link.resolve_anonymous_account(account, realm_name)
        if realm_name:
            realm = state.link.realms.get(realm_name)
            now = state.clock.wall_ms()
            to_address, from_address = read_token(to_address, realm, now), read_token(from_address, realm, now)
        caller = state.calls.callme_caller(account, call_request.get("notifyChannelId"), from_address,
                                           supports_early_media=early)
        wrapper = "callMeResponse"
    else:
        assert user is not None
        caller = state.calls.link_caller(user, supports_early_media=early)
        wrapper = "callControlResponse"
    caller.custom_parameters = _custom_parameters(call_request)
    state.calls.start(caller, to_address, sdp, relay_delay(request))
    return _ok(wrapper, sessionData=caller.id)


def _link_leg(request: web.Request) -> Leg:
    state = state_of(request)
    mode, account = request.match_info["mode"], request.match_info["account"]
    if mode == "anonymous":
        anonymous(request)
        state.link.resolve_anonymous_account(account, request.query.get("tokenrealm"))
        return state.calls.callme_leg(request.match_info["session"], account)
    return state.calls.router.leg(request.match_info["session"], link_user(request), door=LegDoor.LINK)


async def link_session_update(request: web.Request) -> web.Response:
    leg = _link_leg(request)
    state_of(request).calls.caller_knows_session(leg)
    router = state_of(request).calls.router
    wrapper, call_request = _link_request(await read_json(request))
    kind = call_request.get("type")
    sdp = call_request.get("sdp") if isinstance(call_request.get("sdp"), str) and call_request["sdp"] else None
    if "customParameters" in call_request:
        leg.custom_parameters = _custom_parameters(call_request)
    if kind == "ringing":
        router.ringing(leg)
    elif kind == "callAnswer":
        if sdp is None:
            raise InvalidInput("Invalid input value for message part %1", "sdp")
        router.answer(leg, sdp)
    elif kind == "startCallUpdate":
        router.update(leg, sdp, relay_delay(request))
    elif kind == "respondCallUpdate":
        if sdp is None:
            raise InvalidInput("Invalid input value for message part %1", "sdp")
        router.respond(leg, sdp)
    elif kind == "sendCustomHeaders":
        router.send_custom_parameters(leg, _custom_parameters(call_request))
    elif kind == "audit":
        if leg.state == ENDED:
            raise Gone("Session %1 is closed", leg.id)
    elif kind == "transfer":
        other = call_request.get("sessionData")
        if not isinstance(other, str):
            raise Conflict("Only consultative transfers (with sessionData) are supported")
        router.transfer(leg, router.leg(other, leg.owner, door=leg.front_door))
    else:
        raise InvalidInput("Invalid input value for message part %1", "type")
    return _ok("callMeResponse" if wrapper == "callMeRequest" else "callControlResponse")


async def link_session_end(request: web.Request) -> web.Response:
    leg = _link_leg(request)
    if leg.state == ENDED:
        raise NotFound("Session %1 is closed", leg.id)
    state_of(request).calls.router.end(leg)
    return no_content()


async def link_session_get(request: web.Request) -> web.Response:
    leg = _link_leg(request)
    session = leg.session
    if leg.state == ENDED and session is not None and session.state == CONNECTED and session.answered is not leg:
        return _ok(state="ANSWERED")  # answered on another device: the SDK's resync cancels its copy
    if leg.state == ENDED:
        raise NotFound("Session %1 is closed", leg.id)
    label = {INITIATED: "INITIATED", CONNECTED: "ANSWERED"}.get(leg.state, "RINGING")
    return _ok(state=label)


async def link_disposition(request: web.Request) -> web.Response:
    user = link_user(request)  # before the body: an unauthenticated client learns nothing
    body = wrapped(await read_json(request), "callDispositionRequest")
    session = body.get("sessionData")
    if not isinstance(session, str):
        raise InvalidInput("Invalid input value for message part %1", "sessionData")
    router = state_of(request).calls.router
    leg = router.leg(session, user, door=LegDoor.LINK)
    action = body.get("action")
    if action == "reject":
        router.reject(leg)
    elif action == "forward":
        raise Conflict("Forwarding is not supported by this platform")
    else:
        raise InvalidInput("Invalid input value for message part %1", "action")
    return _ok()
