"""Route table of Link / CallMe subscriptions."""

from ..routing import link
from . import handlers

_BASE = "/rest/version/{ver}/{mode:user|anonymous}/{account}"
_WRAPPER = "subscribeResponse"

ROUTES = [
    link.post(_BASE + "/subscription", handlers.subscribe, error_wrapper=_WRAPPER),
    link.put(_BASE + "/subscription/{sub}", handlers.refresh, error_wrapper=_WRAPPER),
    link.delete(_BASE + "/subscription/{sub}", handlers.unsubscribe, error_wrapper=_WRAPPER),
    link.get(_BASE + "/websocket/{channel}", handlers.websocket),
]
