"""Directory search over the platform's (Faker-made) users of the caller's domain.

Filters: ``userName`` and ``userId`` match a user exactly (the full user id or its local part,
ignoring case), so that ``user.fetch`` finds one user; ``name`` (first or last name),
``firstName``, ``lastName`` and ``phoneNumber`` match when they contain the given text, ignoring
case. All given filters must match. ``sortBy`` takes a filter name, ``order`` is asc or desc,
``max`` (1-100, default 50) bounds a page and ``next`` is the opaque pointer to the following page,
returned with any page that is not the last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..auth.models import User, UserDirectory
from ..core.errors import InvalidInput, NotFound
from ..core.text import decimal

DIRECTORIES = ("default",)
FILTERS = ("userId", "name", "firstName", "lastName", "userName", "phoneNumber")
OPTIONS = ("sortBy", "order", "max", "next")
DEFAULT_PAGE, MAX_PAGE = 50, 100
MAX_FILTER = 256

_SORT_KEYS: dict[str, Callable[[User], str]] = {
    "userId": lambda u: u.user_id,
    "name": lambda u: f"{u.first_name} {u.last_name}".lower(),
    "firstName": lambda u: u.first_name.lower(),
    "lastName": lambda u: u.last_name.lower(),
    "userName": lambda u: u.user_name,
    "phoneNumber": lambda u: u.phone_number,
}


@dataclass
class Page:
    users: list[User]
    next: str | None
    total: int


class Directory:
    def __init__(self, users: UserDirectory, buddies: Callable[[str], set[str]]) -> None:
        self._users = users
        self._buddies = buddies

    def search(self, requester: str, directory_id: str, query: dict[str, str]) -> Page:
        if directory_id not in DIRECTORIES:
            raise NotFound("Directory %1 not found", directory_id)
        for key, value in query.items():
            if key not in FILTERS and key not in OPTIONS:
                raise InvalidInput("Invalid input value for message part %1", key)
            if len(value) > MAX_FILTER:
                raise InvalidInput("Invalid input value for message part %1", key)
        domain = self._users.get(requester).domain
        found = [u for u in self._users.all() if u.kind == "user" and u.domain == domain and _matches(u, query)]
        sort_by = query.get("sortBy", "userId")
        if sort_by not in _SORT_KEYS:
            raise InvalidInput("Invalid input value for message part %1", "sortBy")
        order = query.get("order", "asc")
        if order not in ("asc", "desc"):
            raise InvalidInput("Invalid input value for message part %1", "order")
        found.sort(key=lambda u: (_SORT_KEYS[sort_by](u), u.user_id), reverse=order == "desc")
        size = _int(query.get("max"), "max", DEFAULT_PAGE, 1, MAX_PAGE)
        start = _int(query.get("next"), "next", 0, 0, len(found))
        end = start + size
        return Page(found[start:end], str(end) if end < len(found) else None, len(found))

    def item(self, requester: str, user: User) -> dict[str, Any]:
        buddy = user.user_id in self._buddies(requester)
        attributes = {"primaryContact": user.user_id, "firstName": user.first_name, "lastName": user.last_name,
                      "userName": user.user_name, "email": user.email, "phoneNumber": user.phone_number,
                      "photoURL": user.photo_url, "buddy": "true" if buddy else "false"}
        return {"attribute": [{"name": k, "value": v} for k, v in attributes.items()]}


def _matches(user: User, query: dict[str, str]) -> bool:
    for key in ("userName", "userId"):
        wanted = query.get(key)
        if wanted is not None and wanted.lower() not in (user.user_id, user.user_name):
            return False
    contains = {
        "name": (user.first_name, user.last_name),
        "firstName": (user.first_name,),
        "lastName": (user.last_name,),
        "phoneNumber": (user.phone_number,),
    }
    for key, fields in contains.items():
        wanted = query.get(key)
        if wanted is not None and not any(wanted.lower() in f.lower() for f in fields):
            return False
    return True


def _int(raw: str | None, part: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    value = decimal(raw)
    if value is None or not low <= value <= high:
        raise InvalidInput("Invalid input value for message part %1", part)
    return value
