"""HTTP side of the dashboard: the page, its sections, its live socket, its files, call ladders.

Everything the page changes goes through the control plane's own routes (``POST /_platform/faults``,
``DELETE /_platform/faults/{id}``), with the same checks as any other client of the control plane.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ..control.guard import TOKEN_COOKIE, policy_of
from ..core.errors import InvalidInput, NotFound
from ..core.websocket import prepared
from ..http import state_of
from . import render
from .live import LiveView
from .svg import ladder_svg

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"ui.js": "text/javascript", "ui.css": "text/css"}
# The page loads its own script and style only, and talks only to its own origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", headers=SECURITY_HEADERS)


async def page(request: web.Request) -> web.Response:
    """The dashboard: users, channels and their keepalive health, calls with their legs, media and
    ladders, faults (listed and added), the push outbox and the live journal
    (`?kind=&user=&channel=&method=&path=` filter the journal)."""
    state = state_of(request)
    try:
        chosen = render.JournalFilter.parse(request.query, request.query.getall("kind", []))
        error = None
    except InvalidInput as exc:
        chosen, error = render.JournalFilter(), exc.message
    return _html(await render.page(state, chosen, error), 200 if error is None else 400)


async def section(request: web.Request) -> web.Response:
    """One section of the dashboard, drawn (`summary`, `users`, `channels`, `calls`, `faults`, `outbox`)."""
    name = request.match_info["section"]
    if name not in render.REFRESHED:
        raise NotFound("No dashboard section %1; sections: %2", name, ", ".join(render.REFRESHED))
    return _html(await render.section(state_of(request), name))


async def static(request: web.Request) -> web.StreamResponse:
    """The dashboard's script and style."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise NotFound("No dashboard file %1", name)
    return web.Response(body=(STATIC / name).read_bytes(), content_type=STATIC_FILES[name],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


async def live(request: web.Request) -> web.StreamResponse:
    """The dashboard's live socket: journal rows as they come and state changes (`?since=<seq>`)."""
    state = state_of(request)
    try:
        since = int(request.query.get("since", state.journal.last_seq))
    except ValueError:
        raise InvalidInput("since must be an integer") from None
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024)
    if not await prepared(ws, request):
        return ws
    sockets = state.dashboard.sockets
    sockets.add(ws)
    try:
        await LiveView(ws, state, since).run()
    finally:
        sockets.discard(ws)
    return ws


async def ladder(request: web.Request) -> web.Response:
    """A call's ladder diagram as SVG: requests, responses and notifications between its parties and
    the platform, with timings (`{session}`: the call id or any of its legs' session ids)."""
    state = state_of(request)
    key = request.match_info["session"]
    session = state.dashboard.session(key)
    if session is None:
        raise NotFound("No call with session %1", key)
    svg = ladder_svg(state.dashboard.ladder(session))
    return web.Response(text=svg, content_type="image/svg+xml",
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


async def login(request: web.Request) -> web.StreamResponse:
    """Open the dashboard where the control plane needs its token: `?token=<controlToken>` is kept
    in an HttpOnly, same-site cookie the page's requests and live socket then carry."""
    token = request.query.get("token", "")
    if not policy_of(request).accepts(token):
        return _html(render.login(refused=bool(token)), 401)
    response = web.Response(status=303, headers={"Location": render.BASE + "/ui", **SECURITY_HEADERS})
    if token:
        response.set_cookie(TOKEN_COOKIE, token, path=render.BASE, httponly=True, samesite="Strict",
                            secure=request.secure)
    return response
