"""HTTP side of presence lists and list subscriptions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..http import cpaas_user, json_response, no_content, read_json, state_of, wrapped
from .models import PresenceList


def _list_body(request: web.Request, plist: PresenceList) -> dict[str, Any]:
    base = f"/cpaas/presence/{request.match_info['ver']}/{plist.owner}/presenceLists/{plist.id}"
    return {"resourceURL": base, "x-listName": plist.name,
            "presenceContact": [{"presentityUserId": c} for c in plist.contacts]}


async def get_lists(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    lists = state_of(request).presence.lists_of(user)
    return json_response({"presenceListCollection": {"presenceList": [_list_body(request, p) for p in lists]}})


async def create_list(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "presenceList")
    contacts = body.get("presenceContact")
    if isinstance(contacts, list):
        contacts = [c.get("presentityUserId") if isinstance(c, dict) else c for c in contacts]
    plist = state_of(request).presence.create_list(user, body.get("x-listName"), contacts)
    return json_response({"presenceList": _list_body(request, plist)}, status=201)


async def get_list(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    plist = state_of(request).presence.get_list(user, request.match_info["list"])
    return json_response({"presenceList": _list_body(request, plist)})


async def delete_list(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    state_of(request).presence.delete_list(user, request.match_info["list"])
    return no_content()


async def subscribe_list(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "presenceListSubscription")
    callback = body.get("callbackReference")
    list_id = request.match_info["list"]
    sub = state_of(request).presence.subscribe_list(
        user, list_id, callback.get("notifyURL") if isinstance(callback, dict) else None,
        body.get("clientCorrelator"), body.get("duration"))
    base = f"/cpaas/presence/{request.match_info['ver']}/{user}/subscriptions/presenceListSubscriptions/{list_id}"
    return json_response({"presenceListSubscription": {
        "callbackReference": {"notifyURL": sub.notify_url}, "clientCorrelator": sub.client_correlator,
        "duration": sub.extra["duration"], "presenceListId": list_id, "resourceURL": f"{base}/{sub.id}"}},
        status=201)


async def unsubscribe_list(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    state_of(request).presence.unsubscribe_list(user, request.match_info["list"], request.match_info["sub"])
    return no_content()


# -- presence sources, ad-hoc fetch and list contacts (cpaas-wire §4.6) ---------------------------
async def publish(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "presenceSource")
    presence = state_of(request).presence.publish(user, body)
    return json_response({"presenceSource": {
        "clientCorrelator": body.get("clientCorrelator"), "presence": presence.person(),
        "resourceURL": f"/cpaas/presence/{request.match_info['ver']}/{user}/presenceSources"}}, status=201)


async def adhoc_fetch(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "adhocPresenceList")
    found = state_of(request).presence.fetch(user, body.get("presentityUserId"))
    return json_response({"presenceList": {"presenceContact": [
        {"presentityUserId": who, "presence": presence.person()} for who, presence in found]}})


async def add_contacts(request: web.Request) -> web.Response:
    """Answered with the ``presenceContact`` resource, not 204: the official 4.9.0 build reads
    ``presenceContact`` from this answer and its saga crashes on an empty one (docs/decisions.md)."""
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "presenceContact")
    # The SDK puts the users both in the path (comma-joined) and in the body; the body wins.
    users = body.get("presentityUserId", request.match_info["users"].split(","))
    added = state_of(request).presence.add_contacts(user, request.match_info["list"], users)
    base = f"/cpaas/presence/{request.match_info['ver']}/{user}/presenceLists/{request.match_info['list']}"
    return json_response({"presenceContact": {
        "presentityUserId": added[0] if len(added) == 1 else added,
        "resourceURL": f"{base}/presenceContacts/{','.join(added)}"}})


async def remove_contacts(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    users = request.match_info["users"].split(",")
    state_of(request).presence.remove_contacts(user, request.match_info["list"], users)
    return no_content()
