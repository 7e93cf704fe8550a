"""Link / CallMe subscriptions (anonymous and user) and their websockets (link-callme-wire §3, §4)."""

from ..auth.models import UserDirectory
from ..registry import Core, Service
from ..turn.models import TurnService
from .models import LinkSubscriptions
from .routes import ROUTES


def _build(core: Core, users: UserDirectory, turn: TurnService) -> LinkSubscriptions:
    link = LinkSubscriptions(core.hub, users, turn, core.ids, core.clock, core.config)
    link.realms.add(core.config.realm, core.ids.key(16))  # the default CallMe token realm
    core.housekeeping.add("link subscriptions", link.expire)
    return link


SERVICES = [
    Service("link", _build, needs=("users", "turn"),
            dump=lambda link: {"linkSubscriptions": [s.to_dict() for s in link.subscriptions.values()],
                               "realms": [r.to_dict() for r in link.realms.realms.values()]}),
]
__all__ = ["ROUTES", "SERVICES"]
