"""The front doors: one aiohttp sub-app per door, each with its own middlewares and error format.

Middlewares of a public door (oauth, cpaas, link), outermost first:

1. CORS: browsers (the official SDKs) call the platform from any origin;
2. journal: every request with its status and duration (websocket upgrades journal themselves);
3. errors: domain errors rendered once, in the door's protocol format (core/errors.py), 404 and
   405 included;
4. faults: latency and injected errors (core/faults.py), inside the error renderer so an
   injected error gets the door's body;
5. contract: with ``contract=True``, the request and the response checked against the OpenAPI
   document (fake_platform/contract).

The control door has its own guard (fake_platform/control/guard.py: its own origin only, ``Host``
checked, JSON only as ``application/json``, a token beyond loopback) and error renderer, and
neither journal nor faults.
Requests outside every door get the control plane's 404.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from .contract.middleware import contract_middleware
from .control.guard import middlewares as control_middlewares
from .core.errors import InvalidInput, NotFound, OAuthError, PlatformError, ProtocolError
from .core.faults import FaultKind
from .http import STATE_KEY, USER_KEY, state_of
from .routing import PREFIXES, Door, Handler, Route, in_matching_order

MAX_BODY = 32 * 1024 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, X-Cpaas-Agent, x-token",
    "Access-Control-Max-Age": "600",
}
ROUTE_KEY: web.AppKey[dict[AbstractRoute, Route]] = web.AppKey("routes", dict)
Renderer = Callable[[PlatformError, web.Request], Any]


# -- error bodies, per door --------------------------------------------------------------------
def _oauth_body(error: PlatformError, _request: web.Request) -> Any:
    if isinstance(error, OAuthError):
        return error.oauth_body()
    if isinstance(error, ProtocolError):
        return error.body
    return {"error": "invalid_request" if error.status < 500 else "server_error", "error_description": error.message}


def _cpaas_body(error: PlatformError, _request: web.Request) -> Any:
    return error.cpaas_body()


def _link_body(error: PlatformError, request: web.Request) -> Any:
    route = route_of(request)
    wrapper = getattr(error, "wrapper", None) or (route.error_wrapper if route is not None else None)
    return error.link_body(wrapper)


def _control_body(error: PlatformError, _request: web.Request) -> Any:
    return error.control_body()


RENDERERS: dict[Door, Renderer] = {Door.OAUTH: _oauth_body, Door.CPAAS: _cpaas_body, Door.LINK: _link_body,
                                   Door.CONTROL: _control_body}


def route_of(request: web.Request) -> Route | None:
    """The route a request matched (None for 404s)."""
    routes = request.app.get(ROUTE_KEY)
    return routes.get(request.match_info.route) if routes else None


def request_user(request: web.Request) -> str | None:
    """The user a request acts for: authenticated, else the account in its path."""
    authenticated: str | None = request.get(USER_KEY)
    if authenticated:
        return authenticated
    info = request.match_info
    return info.get("user") or info.get("account")


# -- middlewares -------------------------------------------------------------------------------
def cors(headers: dict[str, str]) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=headers)
        response = await handler(request)
        if not response.prepared:
            response.headers.update(headers)
        return response

    return middleware


@web.middleware
async def journal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await handler(request)
    state = state_of(request)
    started = state.clock.monotonic()  # the journal's clock: the entry's stamp minus its duration is the start
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        state.journal.record(
            "http", method=request.method, path=request.path, status=status, user=request_user(request),
            body=await _body_text(request) or None,  # the journal parses JSON text when it is read
            started=started,
            detail={"query": dict(request.query)} if request.query else None,
        )


async def _body_text(request: web.Request) -> str | None:
    """The body as the handler read it (aiohttp keeps it). A body the handler did not read (a
    request refused before it) is not read for the journal either: unauthenticated bodies cost
    nothing. Undecodable bytes are replaced; the journal keeps at most its body limit."""
    if not request.body_exists or request.can_read_body or request.content_type == "multipart/form-data":
        return None
    try:
        raw = await request.read()
    except (web.HTTPException, ConnectionError):
        return None
    return raw.decode("utf-8", "replace")


def faults_middleware(door: Door) -> Any:
    product = "link" if door == Door.LINK else "cpaas"

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        faults = state_of(request).faults
        if not faults.any():  # no match context to build while no fault is set (the common case)
            return await handler(request)
        ctx = {"method": request.method, "path": request.path, "user": request_user(request), "product": product}
        latency = faults.check(FaultKind.LATENCY, **ctx)
        if latency is not None:
            await asyncio.sleep(latency.params["ms"] / 1000.0)
        injected = faults.check(FaultKind.HTTP_ERROR, **ctx)
        if injected is not None:
            params = injected.params
            if params["body"] is not None:
                raise ProtocolError(params["status"], params["body"])
            error = PlatformError(params["text"], injected.id, message_id=params["messageId"],
                                  link_code=params["statusCode"])
            error.status = params["status"]
            raise error
        return await handler(request)

    return middleware


def errors_middleware(door: Door) -> Any:
    render = RENDERERS[door]

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except PlatformError as error:
            return web.json_response(render(error, request), status=error.status)
        except web.HTTPException as exc:
            if not 400 <= exc.status < 500:
                raise
            refusal = _http_refusal(exc, request)
            return web.json_response(render(refusal, request), status=refusal.status)

    return middleware


def _http_refusal(exc: web.HTTPException, request: web.Request) -> PlatformError:
    """aiohttp's own 4xx (no route, wrong method, body too large) as a domain error."""
    if exc.status == 404:
        return NotFound("No resource at %1", request.path)
    refusal = InvalidInput("Method %1 is not allowed on %2", request.method, request.path) if exc.status == 405 \
        else InvalidInput("%1", exc.reason)
    refusal.status = exc.status
    return refusal


MIDDLEWARES: dict[Door, list[Any]] = {
    door: [cors(CORS_HEADERS), journal_middleware, errors_middleware(door), faults_middleware(door),
           contract_middleware(RENDERERS[door])]
    for door in (Door.OAUTH, Door.CPAAS, Door.LINK)
}
# Its own origin only, Host checked, JSON as application/json, a token beyond loopback (control/guard.py).
MIDDLEWARES[Door.CONTROL] = [*control_middlewares(errors_middleware(Door.CONTROL)),
                             contract_middleware(RENDERERS[Door.CONTROL])]


# -- building ----------------------------------------------------------------------------------
def door_app(door: Door, routes: list[Route]) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES[door], client_max_size=MAX_BODY)
    registered: dict[AbstractRoute, Route] = {}
    for route in in_matching_order(r for r in routes if r.door == door):
        registered[app.router.add_route(route.method, route.relative_path, route.handler)] = route
    app[ROUTE_KEY] = registered
    return app


def build_root(state: Any, routes: list[Route]) -> web.Application:
    """The root app: state, and every door mounted at its prefix (longest prefix wins)."""
    root = web.Application(middlewares=[errors_middleware(Door.CONTROL)], client_max_size=MAX_BODY)
    root[STATE_KEY] = state
    for door in sorted(Door, key=lambda d: -len(PREFIXES[d])):
        root.add_subapp(PREFIXES[door], door_app(door, routes))
    return root
