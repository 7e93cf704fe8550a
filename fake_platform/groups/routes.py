"""Route table of groups. Registered after messaging, whose ``/group/sessions`` must match first."""

from aiohttp import web

from . import handlers

_G = "/cpaas/chat/{ver}/{user}/group"

ROUTES = [
    web.post(_G, handlers.create),
    web.get(_G, handlers.listing),
    web.get(_G + "/{group}", handlers.get),
    web.delete(_G + "/{group}", handlers.delete),
    web.post(_G + "/{group}/participants", handlers.add_participant),
    web.delete(_G + "/{group}/participants/{participant}", handlers.remove_participant),
    web.put(_G + "/{group}/participants/{participant}/status", handlers.participant_status),
]
