"""Route table of the directory."""

from aiohttp import web

from . import handlers

ROUTES = [web.get("/cpaas/directory/{ver}/{user}/{directory}/search", handlers.search)]
