"""Route table of the file store."""

from aiohttp import web

from . import handlers

_N = "/cpaas/nms/{ver}/chat/{user}/objects"

ROUTES = [
    web.post(_N, handlers.upload),
    web.get(_N + "/{object}/payload", handlers.download),
]
