"""Routes and the front doors they belong to.

The platform has four front doors, each an aiohttp sub-app with its own error format and
middlewares (see :mod:`fake_platform.doors`):

========== =============== ==========================================================
door       prefix          what it serves
========== =============== ==========================================================
oauth      ``/cpaas/auth`` the OAuth token endpoint (RFC 6749 error bodies)
cpaas      ``/cpaas``      CPaaS REST (``requestError`` bodies, cpaas-wire §1.7)
link       ``/rest``       Link / CallMe REST (``{<wrapper>: {statusCode, reason}}``)
control    ``/_platform``  the control plane for tests and people
========== =============== ==========================================================

A service's route table lists :class:`Route` objects with the full wire path, so a table reads
like the protocol notes; the door strips its prefix when it registers them. A Link route names the
response wrapper its errors are rendered in, so nothing guesses it from the path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Door(StrEnum):
    OAUTH = "oauth"
    CPAAS = "cpaas"
    LINK = "link"
    CONTROL = "control"


PREFIXES: dict[Door, str] = {
    Door.OAUTH: "/cpaas/auth",
    Door.CPAAS: "/cpaas",
    Door.LINK: "/rest",
    Door.CONTROL: "/_platform",
}


@dataclass(frozen=True)
class Route:
    door: Door
    method: str
    path: str  # the full wire path, starting with the door's prefix
    handler: Handler
    error_wrapper: str | None = None  # Link: the body key its error responses are wrapped in

    def __post_init__(self) -> None:
        prefix = PREFIXES[self.door]
        if not self.path.startswith(prefix + "/"):
            raise ValueError(f"route {self.method} {self.path} is not under its door's prefix {prefix}")

    @property
    def relative_path(self) -> str:
        return self.path[len(PREFIXES[self.door]):]

    @property
    def summary(self) -> str:
        """The first paragraph of the handler's docstring, on one line (generated documentation)."""
        paragraph = (self.handler.__doc__ or "").strip().split("\n\n", 1)[0]
        return " ".join(line.strip() for line in paragraph.splitlines())


class RouteTable:
    """Route factories of one door: ``cpaas.post(path, handler)``."""

    def __init__(self, door: Door) -> None:
        self.door = door

    def route(self, method: str, path: str, handler: Handler, *, error_wrapper: str | None = None) -> Route:
        return Route(self.door, method, path, handler, error_wrapper)

    def get(self, path: str, handler: Handler, **kw: str | None) -> Route:
        return self.route("GET", path, handler, **kw)

    def post(self, path: str, handler: Handler, **kw: str | None) -> Route:
        return self.route("POST", path, handler, **kw)

    def put(self, path: str, handler: Handler, **kw: str | None) -> Route:
        return self.route("PUT", path, handler, **kw)

    def delete(self, path: str, handler: Handler, **kw: str | None) -> Route:
        return self.route("DELETE", path, handler, **kw)


oauth, cpaas, link, control = (RouteTable(d) for d in (Door.OAUTH, Door.CPAAS, Door.LINK, Door.CONTROL))

_VARIABLE = re.compile(r"^\{.*\}$")


def specificity(route: Route) -> tuple[int, ...]:
    """Sort key that puts literal path segments before variables at the same depth, so that
    ``.../group/sessions`` is tried before ``.../group/{group}`` whatever the tables' order."""
    return tuple(1 if _VARIABLE.match(part) else 0 for part in route.path.split("/"))


def in_matching_order(routes: Iterable[Route]) -> list[Route]:
    return sorted(routes, key=specificity)
