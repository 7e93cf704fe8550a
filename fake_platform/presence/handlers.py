"""HTTP side of presence lists and list subscriptions."""

from __future__ import annotations

from aiohttp import web

from ..http import cpaas_user, json_response, no_content, read_json, state_of, wrapped


def _list_body(request: web.Request, plist) -> dict:  # type: ignore[no-untyped-def]
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
