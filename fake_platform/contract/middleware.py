"""Every request and response checked against the OpenAPI document, while it happens.

Each front door gets the middleware innermost (after the fault middleware: an injected fault is
the test's answer, not the platform's), with the door's error renderer. For each request on a
documented route it checks the query (and the form of the token endpoint) before the handler
runs, and hands the handler's JSON reader a check of the body (``http.BODY_CHECK``): the body is
judged exactly when the handler would judge it, so authentication still comes first where the
handler authenticates first. A client's violation becomes the protocol's own 400
(``InvalidInput`` rendered by the door, or OAuth's ``invalid_request``). The response, or the
error the handler raised (rendered as the client will get it), is then checked against the
documented responses; a mismatch is the platform's violation. Both are recorded by the platform's
:class:`~.monitor.ContractMonitor`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..core.errors import InvalidInput, OAuthError, PlatformError
from ..http import BODY_CHECK, state_of
from ..routing import Handler
from .monitor import CLIENT, PLATFORM, Violation
from .validator import Operation, openapi_contract, route_paths

if TYPE_CHECKING:
    from .monitor import ContractMonitor

Renderer = Callable[[PlatformError, web.Request], Any]  # a door's error body
RECORDED_HEADERS = {"authorization", "origin", "x-cpaas-agent", "content-type"}

# (formatter, pattern) -> the path parameters whose alternatives name documented paths. Keyed by
# text, not by resource: apps come and go in a test run, and a dead resource's id() is reused.
_alternatives: dict[tuple[str, str], tuple[str, ...]] = {}


def operation_of(request: web.Request) -> Operation | bool | None:
    """The documented operation of the request's route; False for unrouted requests (404/405)."""
    resource = request.match_info.route.resource
    if resource is None:
        return False
    info = resource.get_info()
    formatter = info.get("formatter") or info.get("path") or resource.canonical
    pattern = info.get("pattern")
    key = (formatter, pattern.pattern if pattern is not None else "")
    names = _alternatives.get(key)
    if names is None:
        names = _alternatives[key] = tuple(route_paths(formatter, pattern)[0][1])
    path = formatter
    for name in names:
        path = path.replace("{" + name + "}", request.match_info[name])
    return openapi_contract().operation(request.method, path)


def _client_error(operation: Operation, error: str) -> PlatformError:
    if operation.path.startswith("/cpaas/auth/"):
        return OAuthError("invalid_request", error)
    return InvalidInput("Invalid input value for message part %1", error)


def contract_middleware(render: Renderer) -> Any:
    """The contract's middleware for a door whose errors ``render`` turns into bodies."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        monitor: ContractMonitor | None = state_of(request).contract
        if monitor is None or request.method in ("HEAD", "OPTIONS"):
            return await handler(request)
        operation = operation_of(request)
        if operation is False:
            return await handler(request)
        if operation is None:
            monitor.violation(Violation(PLATFORM, "request", f"{request.method} {request.match_info.route.resource}",
                                        "the route is not in the OpenAPI document", path=request.path))
            return await handler(request)
        assert isinstance(operation, Operation)
        return await _validated(request, handler, monitor, operation, render)

    return middleware


async def _validated(request: web.Request, handler: Handler, monitor: ContractMonitor, operation: Operation,
                     render: Renderer) -> web.StreamResponse:
    monitor.saw(operation.key)
    if monitor.recording is not None:
        return await _recorded(request, handler, monitor, operation, render)
    return await _checked(request, handler, monitor, operation, render)


async def _recorded(request: web.Request, handler: Handler, monitor: ContractMonitor, operation: Operation,
                    render: Renderer) -> web.StreamResponse:
    """The exchange, in the recording: the request before the handler runs, its answer after."""
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    event = monitor.record({
        "kind": "ws-open" if upgrade else "http", "method": request.method, "path": request.path,
        "query": dict(request.query), "operation": operation.key,
        "headers": {k: v for k, v in request.headers.items() if k.lower() in RECORDED_HEADERS},
    })
    try:
        response = await _checked(request, handler, monitor, operation, render)
    except PlatformError as exc:
        event.update(status=exc.status, response=render(exc, request), body=await _request_body(request))
        raise
    if not upgrade:
        event.update(status=response.status, response=_body_of(response), body=await _request_body(request))
    return response


async def _request_body(request: web.Request) -> Any:
    if not request.body_exists:
        return None
    if request.content_type == "multipart/form-data":
        return {"multipart": True}
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(await request.post())
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


async def _checked(request: web.Request, handler: Handler, monitor: ContractMonitor, operation: Operation,
                   render: Renderer) -> web.StreamResponse:
    user = request.match_info.get("user") or request.match_info.get("account")

    def client(error: str) -> PlatformError:
        monitor.violation(Violation(CLIENT, "request", operation.key, error, path=request.path, user=user))
        return _client_error(operation, error)

    try:
        error = operation.check_query(dict(request.query))
        if error is not None:
            raise client(error)
        if operation.bodies and request.body_exists:
            media = request.content_type
            if media == "multipart/form-data":
                error = None if media in operation.bodies else operation.check_body(media, None)
            elif media == "application/x-www-form-urlencoded":
                error = operation.check_body(media, dict(await request.post()))
            else:
                def check_body(body: Any) -> None:
                    body_error = operation.check_body("application/json", body)
                    if body_error is not None:
                        raise client(body_error)

                request[BODY_CHECK] = check_body
            if error is not None:
                raise client(error)
        response = await handler(request)
    except PlatformError as exc:
        _check_response(monitor, operation, request, exc.status, "application/json", render(exc, request), user)
        raise
    if not isinstance(response, web.WebSocketResponse):
        _check_response(monitor, operation, request, response.status, response.content_type, _body_of(response),
                        user)
    return response


def _body_of(response: web.StreamResponse) -> Any:
    body = getattr(response, "body", None)
    if not body:
        return None
    if response.content_type != "application/json":
        if isinstance(body, bytes | bytearray):  # text (HTML, SVG) is a string; other bytes are not judged
            try:
                return bytes(body).decode()
            except UnicodeDecodeError:
                return ""
        return body
    try:
        return json.loads(body)
    except (ValueError, TypeError):
        return body


def _check_response(monitor: ContractMonitor, operation: Operation, request: web.Request, status: int,
                    media_type: str | None, body: Any, user: str | None) -> None:
    error = operation.check_response(status, media_type if body is not None else None, body)
    if error is not None:
        monitor.violation(Violation(PLATFORM, "response", operation.key, error, path=request.path, status=status,
                                    user=user))
