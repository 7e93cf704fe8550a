"""Route table of CPaaS notification channels and service subscriptions."""

from ..routing import Route, cpaas
from . import handlers

_CH = "/cpaas/notificationchannel/{ver}/{user}/channels"


def _service_routes(service: str, prefix: str) -> list[Route]:
    subscribe, unsubscribe, listing = handlers._subscription_handlers(service)
    return [cpaas.post(prefix, subscribe), cpaas.get(prefix, listing), cpaas.delete(prefix + "/{sub}", unsubscribe)]


ROUTES = [
    cpaas.post(_CH, handlers.create_channel),
    cpaas.get(_CH, handlers.list_channels),
    cpaas.get(_CH + "/{channel}", handlers.get_channel),
    cpaas.delete(_CH + "/{channel}", handlers.delete_channel),
    cpaas.put(_CH + "/{channel}/channelLifetime", handlers.channel_lifetime),
    cpaas.get(_CH + "/{channel}/websocket", handlers.websocket),
    *_service_routes("call", "/cpaas/webrtcsignaling/{ver}/{user}/subscriptions"),
    *_service_routes("chat", "/cpaas/chat/{ver}/{user}/subscriptions"),
    *_service_routes("smsinbound", "/cpaas/smsmessaging/{ver}/{user}/inbound/subscriptions"),
]
