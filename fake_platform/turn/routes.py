"""Route table of the TURN service."""

from aiohttp import web

from . import handlers

ROUTES = [web.post("/cpaas/webrtcsignaling/{ver}/{user}/turn", handlers.cpaas_turn)]
