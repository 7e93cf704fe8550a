"""Route table of the auth service."""

from ..routing import oauth
from . import handlers

ROUTES = [
    oauth.post("/cpaas/auth/v1/token", handlers.token),
]
