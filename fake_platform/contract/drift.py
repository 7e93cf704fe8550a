"""The route table against the OpenAPI document: neither may have what the other lacks."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_urldispatcher import PrefixedSubAppResource

from .validator import openapi_contract, route_paths

IMPLICIT_METHODS = {"HEAD", "OPTIONS"}  # aiohttp's HEAD for every GET; CORS preflights for all


def served(app: web.Application) -> set[tuple[str, str]]:
    """Every ``(METHOD, OpenAPI path)`` the app routes, sub-apps included."""
    found: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        if isinstance(resource, PrefixedSubAppResource):
            found |= served(resource._app)
            continue
        info = resource.get_info()
        formatter = info.get("formatter") or info.get("path") or resource.canonical
        for route in resource:
            if route.method in IMPLICIT_METHODS or route.method == "*":
                continue
            found |= {(route.method, path) for path, _chosen in route_paths(formatter, info.get("pattern"))}
    return found


def differences(app: web.Application) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """``(served but not documented, documented but not served)``."""
    routes, documented = served(app), openapi_contract().documented()
    return routes - documented, documented - routes
