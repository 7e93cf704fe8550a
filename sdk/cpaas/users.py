"""``client.user``: the domain's user directory (CPaaS "Users" section).

The document names the namespace 'user' (links say Users.*: ambiguity CPAAS-05). ``fetch``,
``fetchSelfInfo`` and ``search`` emit ``directory:change`` ``{results: [User...], next?}`` once the
platform answered (``next`` points at the following page of a search), and make the users
available to ``get``/``getAll``; a failure emits ``directory:error`` ``{error}``.
``fetchSelfInfo`` searches for this user's identity (the idToken's ``services-identity``, which
``getUserInfo`` reports as ``identity``: ambiguity CPAAS-10).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, api
from .protocol.directory import DirectoryProtocol

if TYPE_CHECKING:
    from . import CpaasClient

FILTERS = ("userId", "name", "firstName", "lastName", "userName", "phoneNumber")
ORDERS = ("asc", "desc")
MAX_RESULTS = 100


class Users(Namespace):
    """The documented ``user`` namespace."""

    api_path = "user"
    _client: CpaasClient

    def __init__(self, client: CpaasClient) -> None:
        super().__init__(client)
        self._protocol = DirectoryProtocol(client.rest)
        self._users: dict[str, dict[str, Any]] = {}

    # -- documented API ------------------------------------------------------------------------
    @api
    def fetch(self, userId: str) -> asyncio.Task[None]:
        """Fetches information about a user from the directory."""
        if not isinstance(userId, str) or not userId.strip():
            raise BasicError(Codes.USERS_INVALID_PARAM, "A User ID is required")
        query = {"order": "asc", "sortBy": "name", "userName": userId.strip()}
        return self._client.spawn(self._search(query, first_only=True), "user-fetch")

    @api
    def fetchSelfInfo(self) -> asyncio.Task[None]:
        """Fetches information about the current user from the directory."""
        identity = self._client.auth.identity
        if not identity:
            raise BasicError(Codes.USERS_INVALID_PARAM, "No identity: call setTokens() first")
        query = {"order": "asc", "sortBy": "name", "userName": identity.split("@", 1)[0]}
        return self._client.spawn(self._search(query, first_only=True), "user-fetch-self")

    @api
    def get(self, userId: str) -> dict[str, Any] | None:
        """An available user, or None."""
        found = self._users.get(userId.lower()) if isinstance(userId, str) else None
        return copy.deepcopy(found) if found else None

    @api
    def getAll(self) -> list[dict[str, Any]]:
        """All available users."""
        return [copy.deepcopy(u) for u in self._users.values()]

    @api
    def search(self, filters: Mapping[str, Any], options: Mapping[str, Any] | None = None) -> asyncio.Task[None]:
        """Searches the domain's directory."""
        return self._client.spawn(self._search(_query(filters, options or {})), "user-search")

    # -- flows ---------------------------------------------------------------------------------
    async def _search(self, query: dict[str, Any], *, first_only: bool = False) -> None:
        try:
            results, next_page = await self._protocol.search(query)
        except BasicError as error:
            self._log.warn(f"directory error: {error.message}")
            self._client.emit("directory:error", {"error": error})
            return
        if first_only:
            results, next_page = results[:1], None
        for user in results:
            self._users[user["userId"]] = user
        payload: dict[str, Any] = {"results": copy.deepcopy(results)}
        if next_page is not None:
            payload["next"] = next_page
        self._client.emit("directory:change", payload)

    def snapshot(self) -> Any:
        return len(self._users)


def _query(filters: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(filters, Mapping) or not isinstance(options, Mapping):
        raise BasicError(Codes.USERS_INVALID_PARAM, "search expects filters and options objects")
    unknown = [k for k in filters if k not in FILTERS]
    if unknown:
        raise BasicError(Codes.USERS_INVALID_PARAM, f"Unknown filters {unknown}; expected some of {FILTERS}")
    query = {k: v for k, v in filters.items() if v is not None}
    if not all(isinstance(v, str) for v in query.values()):
        raise BasicError(Codes.USERS_INVALID_PARAM, "Filter values must be strings")
    if "userId" in query:  # the platform SDK sends the userId filter as userName
        query["userName"] = query.pop("userId")
    sort_by, order = options.get("sortBy"), options.get("order")
    max_results, next_page = options.get("max"), options.get("next")
    if sort_by is not None and sort_by not in FILTERS:
        raise BasicError(Codes.USERS_INVALID_PARAM, f"sortBy must be one of {FILTERS}")
    if order is not None and order not in ORDERS:
        raise BasicError(Codes.USERS_INVALID_PARAM, "order must be 'asc' or 'desc'")
    if max_results is not None and (not isinstance(max_results, int) or isinstance(max_results, bool)
                                    or not 1 <= max_results <= MAX_RESULTS):
        raise BasicError(Codes.USERS_INVALID_PARAM, f"max must be an integer from 1 to {MAX_RESULTS}")
    if next_page is not None and not isinstance(next_page, str):
        raise BasicError(Codes.USERS_INVALID_PARAM, "next must be the string a previous search returned")
    query.update({k: v for k, v in {"sortBy": sort_by, "order": order, "max": max_results,
                                    "next": next_page}.items() if v is not None})
    return query
