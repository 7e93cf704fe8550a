"""CPaaS chat: 1:1 and group messages, typing, conversation lists, history (cpaas-wire §4.3, §6.1-6.2)."""

from ..registry import Service
from .models import MessagingService
from .routes import ROUTES

SERVICES = [
    Service("messaging",
            lambda core, cpaas_channels, users, groups, files: MessagingService(cpaas_channels, users, groups, files,
                                                                                core.ids, core.clock, core.config),
            needs=("cpaas_channels", "users", "groups", "files"),
            dump=lambda messaging: {"chatSessions": {u: len(m) for u, m in messaging.mailboxes.items()}}),
]
__all__ = ["ROUTES", "SERVICES"]
