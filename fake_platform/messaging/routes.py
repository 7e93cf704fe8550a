"""Route table of chat. ``/group/sessions`` is listed before the groups service's ``/group/{group}``."""

from aiohttp import web

from . import handlers

_C = "/cpaas/chat/{ver}/{user}"
_ONE = _C + "/oneToOne/{dest}/adhoc/messages"
_GROUP = _C + "/group/{group}/messages"

ROUTES = [
    web.get(_C + "/oneToOne/sessions", handlers.sessions),
    web.get(_C + "/group/sessions", handlers.sessions),
    web.post(_ONE, handlers.post_message),
    web.get(_ONE, handlers.history),
    web.delete(_ONE, handlers.delete_conversation),
    web.delete(_ONE + "/{message}", handlers.delete_message),
    web.post(_GROUP, handlers.post_message),
    web.get(_GROUP, handlers.history),
    web.delete(_GROUP + "/{message}", handlers.delete_message),
]
