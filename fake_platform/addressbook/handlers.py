"""HTTP side of the address book (cpaas-wire §4.8)."""

from __future__ import annotations

from aiohttp import web

from ..http import cpaas_user, json_response, no_content, read_json, state_of, wrapped
from .models import contact_body


def _url(request: web.Request, user: str, contact_id: str | None = None) -> str:
    base = f"/cpaas/addressbook/{request.match_info['ver']}/{user}/{request.match_info['book']}/contacts"
    return f"{base}/{contact_id}" if contact_id else base


async def add(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "contact")
    contact_id = body.get("contactId")
    attributes = state_of(request).addressbook.add(user, request.match_info["book"], contact_id,
                                                   body.get("attributeList"))
    contact_id = str(contact_id)  # add() refused anything but a string id
    return json_response({"contact": contact_body(contact_id, attributes, _url(request, user, contact_id))},
                         status=201)


async def listing(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    contacts = state_of(request).addressbook.contacts(user, request.match_info["book"])
    return json_response({"contactCollection": {
        "contact": [contact_body(cid, attrs, _url(request, user, cid)) for cid, attrs in contacts.items()],
        "resourceURL": _url(request, user)}})


async def get(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    contact_id = request.match_info["contact"]
    attributes = state_of(request).addressbook.get(user, request.match_info["book"], contact_id)
    return json_response({"contact": contact_body(contact_id, attributes, _url(request, user, contact_id))})


async def update(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    contact_id = request.match_info["contact"]
    body = wrapped(await read_json(request), "contact")
    attributes = state_of(request).addressbook.update(user, request.match_info["book"], contact_id,
                                                      body.get("attributeList"))
    return json_response({"contact": contact_body(contact_id, attributes, _url(request, user, contact_id))})


async def remove(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    state_of(request).addressbook.remove(user, request.match_info["book"], request.match_info["contact"])
    return no_content()
