"""CPaaS notification channels and per-service subscriptions (cpaas-wire §2)."""

from ..registry import Service
from .models import CpaasChannels
from .routes import ROUTES

SERVICES = [
    Service("cpaas_channels", lambda core: CpaasChannels(core.hub, core.ids, core.clock),
            dump=lambda channels: {"cpaasSubscriptions": [s.to_dict() for s in channels.subscriptions.values()]}),
]
__all__ = ["ROUTES", "SERVICES"]
