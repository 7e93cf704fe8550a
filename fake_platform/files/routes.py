"""Route table of the file store."""

from ..routing import cpaas
from . import handlers

_N = "/cpaas/nms/{ver}/chat/{user}/objects"

ROUTES = [
    cpaas.post(_N, handlers.upload),
    cpaas.get(_N + "/{object}/payload", handlers.download),
]
