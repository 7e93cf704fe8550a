"""Directory search (cpaas-wire §4.9): ``GET /cpaas/directory/v1/{user}/default/search?...``.

Query keys are sent in alphabetical order; the ``userId`` filter travels as ``userName`` (as the
platform SDK sends it). Items come back as attribute lists and become User objects
(``primaryContact`` is the ``userId``, ``email`` the ``emailAddress``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import Codes
from .rest import CpaasRest

QUERY_KEYS = ("name", "firstName", "lastName", "userName", "phoneNumber", "order", "sortBy", "max", "next")
RENAMED = {"primaryContact": "userId", "email": "emailAddress"}


def to_user(item: Mapping[str, Any]) -> dict[str, Any]:
    user: dict[str, Any] = {}
    for attribute in item.get("attribute") or []:
        if isinstance(attribute, Mapping) and isinstance(attribute.get("name"), str):
            name: str = attribute["name"]
            user[RENAMED.get(name, name)] = attribute.get("value")
    if isinstance(user.get("userId"), str):
        user["userId"] = user["userId"].lower()
    return user


class DirectoryProtocol:
    def __init__(self, rest: CpaasRest) -> None:
        self._rest = rest

    async def search(self, query: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        params = {k: str(query[k]) for k in sorted(QUERY_KEYS) if query.get(k) is not None}
        reply = await self._rest.request("GET", self._rest.url("directory", "default/search", version="v1"),
                                         params=params, operation="Directory search", error_code=Codes.USERS_FAILED)
        listing = (reply or {}).get("directoryItemList") or {}
        users = [to_user(i) for i in listing.get("directoryItem") or [] if isinstance(i, Mapping)]
        return [u for u in users if u.get("userId")], listing.get("next")
