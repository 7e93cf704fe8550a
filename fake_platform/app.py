"""The aiohttp application: one route table per service, shared middlewares, one state."""

from __future__ import annotations

from aiohttp import web

from .addressbook import routes as addressbook_routes
from .auth import routes as auth_routes
from .calls import routes as call_routes
from .channels import routes as channel_routes
from .control import routes as control_routes
from .directory import routes as directory_routes
from .files import routes as files_routes
from .groups import routes as groups_routes
from .http import MIDDLEWARES, STATE_KEY
from .link import routes as link_routes
from .messaging import routes as messaging_routes
from .presence import routes as presence_routes
from .push import routes as push_routes
from .sms import routes as sms_routes
from .state import PlatformState
from .turn import routes as turn_routes

#: Every service's route table, in one readable list.
SERVICES = [
    ("auth", auth_routes.ROUTES),
    ("channels", channel_routes.ROUTES),
    ("presence", presence_routes.ROUTES),
    ("turn", turn_routes.ROUTES),
    ("link", link_routes.ROUTES),
    ("push", push_routes.ROUTES),
    ("calls", call_routes.ROUTES),
    ("control", control_routes.ROUTES),
    ("messaging", messaging_routes.ROUTES),  # before groups: /group/sessions must match first
    ("groups", groups_routes.ROUTES),
    ("sms", sms_routes.ROUTES),
    ("files", files_routes.ROUTES),
    ("addressbook", addressbook_routes.ROUTES),
    ("directory", directory_routes.ROUTES),
]

MAX_BODY = 32 * 1024 * 1024


def build_app(state: PlatformState) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=MAX_BODY)
    app[STATE_KEY] = state
    for _name, routes in SERVICES:
        app.add_routes(routes)

    async def close_sockets(_app: web.Application) -> None:
        await state.hub.close_all(1001)
        await state.calls.close()

    app.on_shutdown.append(close_sockets)
    return app
