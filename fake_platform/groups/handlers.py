"""HTTP side of groups (cpaas-wire §4.7)."""

from __future__ import annotations

from aiohttp import web

from ..core.errors import InvalidInput
from ..http import cpaas_user, json_response, no_content, read_json, state_of, wrapped
from .models import group_body, participant_body


async def create(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "groupChatSessionInformation")
    group = state_of(request).groups.create(
        user, name=body.get("x-name"), subject=body.get("subject"), image=body.get("x-image"),
        group_type=body.get("x-type"), participants=body.get("participant", []))
    return json_response({"groupChatSessionInformation": group_body(group, user, request.match_info["ver"])},
                         status=201)


async def listing(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    groups = state_of(request).groups.groups_of(user)
    ver = request.match_info["ver"]
    return json_response({"groupChatSessionInformationList": {
        "groupChatSessionInformation": [group_body(g, user, ver) for g in groups]}})


async def get(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    group = state_of(request).groups.get(user, request.match_info["group"])
    return json_response({"groupChatSessionInformation": group_body(group, user, request.match_info["ver"])})


async def delete(request: web.Request) -> web.Response:
    """Deletes the group (also the URL of "delete group conversation", cpaas-wire §4.3)."""
    user = cpaas_user(request)
    state_of(request).groups.delete(user, request.match_info["group"])
    return no_content()


async def add_participant(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "participantInformation")
    is_admin = body.get("x-isAdmin", False)
    if not isinstance(is_admin, bool):
        raise InvalidInput("Invalid input value for message part %1", "x-isAdmin")
    participant = state_of(request).groups.add_participant(user, request.match_info["group"], body.get("address"),
                                                           is_admin)
    return json_response({"participantInformation": participant_body(participant)}, status=201)


async def remove_participant(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    state_of(request).groups.remove_participant(user, request.match_info["group"], request.match_info["participant"])
    return no_content()


async def participant_status(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "participantSessionStatus")
    state_of(request).groups.set_status(user, request.match_info["group"], request.match_info["participant"],
                                        body.get("status"))
    return no_content()
