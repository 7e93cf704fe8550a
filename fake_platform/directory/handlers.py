"""HTTP side of the directory: ``GET .../{directoryId}/search?...`` (cpaas-wire §4.9)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..http import cpaas_user, json_response, state_of


async def search(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    directory = state_of(request).directory
    page = directory.search(user, request.match_info["directory"], dict(request.query))
    body: dict[str, Any] = {"directoryItem": [directory.item(user, u) for u in page.users],
                            "x-totalCount": page.total}
    if page.next is not None:
        body["next"] = page.next
    return json_response({"directoryItemList": body})
