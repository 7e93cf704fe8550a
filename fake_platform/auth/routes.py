"""Route table of the auth service."""

from aiohttp import web

from . import handlers

ROUTES = [
    web.post("/cpaas/auth/v1/token", handlers.token),
]
