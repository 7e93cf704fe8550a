"""CPaaS SMS: outbound with delivery receipts, inbound, per-number history (cpaas-wire §4.4, §6.3-6.4)."""

from ..registry import Service
from .models import SmsService
from .routes import ROUTES

SERVICES = [
    Service("sms", lambda core, cpaas_channels, users: SmsService(cpaas_channels, users, core.ids, core.clock,
                                                                            core.config),
            needs=("cpaas_channels", "users"), dump=lambda sms: {"smsOutbox": len(sms.outbox)}),
]
__all__ = ["ROUTES", "SERVICES"]
