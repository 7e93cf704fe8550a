"""Route table of chat. ``/group/sessions`` is listed before the groups service's ``/group/{group}``."""

from ..routing import cpaas
from . import handlers

_C = "/cpaas/chat/{ver}/{user}"
_ONE = _C + "/oneToOne/{dest}/adhoc/messages"
_GROUP = _C + "/group/{group}/messages"

ROUTES = [
    cpaas.get(_C + "/oneToOne/sessions", handlers.sessions),
    cpaas.get(_C + "/group/sessions", handlers.sessions),
    cpaas.post(_ONE, handlers.post_message),
    cpaas.get(_ONE, handlers.history),
    cpaas.delete(_ONE, handlers.delete_conversation),
    cpaas.delete(_ONE + "/{message}", handlers.delete_message),
    cpaas.post(_GROUP, handlers.post_message),
    cpaas.get(_GROUP, handlers.history),
    cpaas.delete(_GROUP + "/{message}", handlers.delete_message),
]
