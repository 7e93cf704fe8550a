"""TURN credentials (the TURN REST API form: ``<expiry>:<user>`` + HMAC-SHA1 password)."""

from ..registry import Service
from .models import TurnService
from .routes import ROUTES

SERVICES = [Service("turn", lambda core: TurnService(core.ids.secret(24), core.clock, urls=core.config.turn_urls))]
__all__ = ["ROUTES", "SERVICES"]
