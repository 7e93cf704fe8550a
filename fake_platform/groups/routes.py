"""Route table of groups. Registered after messaging, whose ``/group/sessions`` must match first."""

from ..routing import cpaas
from . import handlers

_G = "/cpaas/chat/{ver}/{user}/group"

ROUTES = [
    cpaas.post(_G, handlers.create),
    cpaas.get(_G, handlers.listing),
    cpaas.get(_G + "/{group}", handlers.get),
    cpaas.delete(_G + "/{group}", handlers.delete),
    cpaas.post(_G + "/{group}/participants", handlers.add_participant),
    cpaas.delete(_G + "/{group}/participants/{participant}", handlers.remove_participant),
    cpaas.put(_G + "/{group}/participants/{participant}/status", handlers.participant_status),
]
