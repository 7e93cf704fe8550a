"""Route table of Link / CallMe subscriptions."""

from aiohttp import web

from . import handlers

_BASE = "/rest/version/{ver}/{mode:user|anonymous}/{account}"

ROUTES = [
    web.post(_BASE + "/subscription", handlers.subscribe),
    web.put(_BASE + "/subscription/{sub}", handlers.refresh),
    web.delete(_BASE + "/subscription/{sub}", handlers.unsubscribe),
    web.get(_BASE + "/websocket/{channel}", handlers.websocket),
]
