"""Route table of the dashboard (on the control door: the same protection as the control plane)."""

from ..routing import control
from . import handlers

_C = "/_platform"

ROUTES = [
    control.get(_C + "/ui", handlers.page),
    control.get(_C + "/ui/login", handlers.login),
    control.get(_C + "/ui/sections/{section}", handlers.section),
    control.get(_C + "/ui/static/{name}", handlers.static),
    control.get(_C + "/ui/live", handlers.live),
    control.get(_C + "/calls/{session}/ladder.svg", handlers.ladder),
]
