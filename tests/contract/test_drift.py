"""The route table and the OpenAPI document cannot drift apart."""

from __future__ import annotations

from aiohttp import web

from fake_platform.app import build_app
from fake_platform.contract.drift import differences, served
from fake_platform.state import PlatformState


def test_every_route_is_documented_and_every_documented_path_is_routed() -> None:
    undocumented, unrouted = differences(build_app(PlatformState()))
    assert undocumented == set(), "routes missing from fake_platform/contract/openapi.yaml"
    assert unrouted == set(), "paths in fake_platform/contract/openapi.yaml that no route serves"


async def _handler(request: web.Request) -> web.Response:
    return web.Response()


def test_a_new_route_or_a_removed_one_is_caught() -> None:
    app = build_app(PlatformState())
    app.router.add_get("/cpaas/newservice/{ver}/{user}/things", _handler)
    undocumented, unrouted = differences(app)
    assert undocumented == {("GET", "/cpaas/newservice/{ver}/{user}/things")}
    bare = web.Application()
    bare.router.add_post("/cpaas/auth/v1/token", _handler)
    _undocumented, unrouted = differences(bare)
    assert ("POST", "/cpaas/auth/v1/token") not in unrouted
    assert ("GET", "/_platform/health") in unrouted


def test_alternatives_and_sub_apps_expand_to_documented_paths() -> None:
    app = web.Application()
    sub = web.Application()
    sub.router.add_put("/version/{ver}/{mode:user|anonymous}/{account}/x", _handler)
    app.add_subapp("/rest", sub)
    assert served(app) == {("PUT", "/rest/version/{ver}/user/{account}/x"),
                           ("PUT", "/rest/version/{ver}/anonymous/{account}/x")}
