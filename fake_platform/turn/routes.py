"""Route table of the TURN service."""

from ..routing import cpaas
from . import handlers

ROUTES = [cpaas.post("/cpaas/webrtcsignaling/{ver}/{user}/turn", handlers.cpaas_turn)]
