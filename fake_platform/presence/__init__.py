"""CPaaS presence: presence lists and their subscriptions (cpaas-wire §2.4, §4.6)."""

from ..registry import Service
from .models import PresenceService
from .routes import ROUTES

SERVICES = [
    Service("presence", lambda core, cpaas_channels, users: PresenceService(cpaas_channels, core.ids, users),
            needs=("cpaas_channels", "users"),
            dump=lambda presence: {"presenceLists": [{"id": p.id, "owner": p.owner, "contacts": p.contacts}
                                                     for p in presence.lists.values()]}),
]
__all__ = ["ROUTES", "SERVICES"]
