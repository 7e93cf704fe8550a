"""CPaaS notification channels and per-service subscriptions (cpaas-wire §2)."""

from ..registry import Core, Service
from .models import CpaasChannels
from .routes import ROUTES


def _build(core: Core) -> CpaasChannels:
    channels = CpaasChannels(core.hub, core.ids, core.clock, core.config)
    core.housekeeping.add("cpaas channels", channels.expire)
    return channels


SERVICES = [
    Service("cpaas_channels", _build,
            dump=lambda channels: {"cpaasSubscriptions": [s.to_dict() for s in channels.subscriptions.values()]}),
]
__all__ = ["ROUTES", "SERVICES"]
