"""Route table of SMS (all paths hard-code v1, cpaas-wire §4.4)."""

from ..routing import cpaas
from . import handlers

_S = "/cpaas/smsmessaging/v1/{user}"
_THREAD = _S + "/remoteAddresses/{remote}/localAddresses/{local}"

ROUTES = [
    cpaas.post(_S + "/outbound/{from}/requests", handlers.send),
    cpaas.get(_S + "/remoteAddresses", handlers.threads),
    cpaas.get(_THREAD + "/messages", handlers.history),
    cpaas.delete(_THREAD, handlers.delete_thread),
    cpaas.delete(_THREAD + "/messages/{message}", handlers.delete_message),
]
