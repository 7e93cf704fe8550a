"""Route table of the directory."""

from ..routing import cpaas
from . import handlers

ROUTES = [cpaas.get("/cpaas/directory/{ver}/{user}/{directory}/search", handlers.search)]
