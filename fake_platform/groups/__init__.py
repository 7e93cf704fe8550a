"""CPaaS group chat sessions: groups, their participants and admin rights (cpaas-wire §4.7, §6.6-6.8)."""

from ..registry import Service
from .models import GroupService
from .routes import ROUTES

SERVICES = [
    Service("groups", lambda core, cpaas_channels, users: GroupService(cpaas_channels, users, core.ids, core.clock),
            needs=("cpaas_channels", "users"),
            dump=lambda groups: {"groups": [{"id": g.id, "name": g.name,
                                             "participants": {a: p.status for a, p in g.participants.items()}}
                                            for g in groups.groups.values()]}),
]
__all__ = ["ROUTES", "SERVICES"]
