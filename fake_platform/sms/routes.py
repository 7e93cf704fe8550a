"""Route table of SMS (all paths hard-code v1, cpaas-wire §4.4)."""

from aiohttp import web

from . import handlers

_S = "/cpaas/smsmessaging/v1/{user}"
_THREAD = _S + "/remoteAddresses/{remote}/localAddresses/{local}"

ROUTES = [
    web.post(_S + "/outbound/{from}/requests", handlers.send),
    web.get(_S + "/remoteAddresses", handlers.threads),
    web.get(_THREAD + "/messages", handlers.history),
    web.delete(_THREAD, handlers.delete_thread),
    web.delete(_THREAD + "/messages/{message}", handlers.delete_message),
]
