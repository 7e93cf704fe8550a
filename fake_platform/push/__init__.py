"""Push: device registrations (link-callme-wire §6) and an emulated APNs / FCM outbox."""

from ..link.models import LinkSubscriptions
from ..registry import Core, Service
from .models import PushService
from .routes import ROUTES


def _build(core: Core, link: LinkSubscriptions) -> PushService:
    push = PushService(core.ids, core.clock, core.journal)
    link.relays.append(push.relay)  # every Link notification of a registered user is also pushed
    return push


SERVICES = [
    Service("push", _build, needs=("link",),
            dump=lambda push: {"pushRegistrations": [r.to_dict() for r in push.registrations.values()]}),
]
__all__ = ["ROUTES", "SERVICES"]
