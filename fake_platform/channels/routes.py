"""Route table of CPaaS notification channels and service subscriptions."""

from aiohttp import web

from . import handlers

_CH = "/cpaas/notificationchannel/{ver}/{user}/channels"


def _service_routes(service: str, prefix: str) -> list[web.RouteDef]:
    subscribe, unsubscribe, listing = handlers._subscription_handlers(service)
    return [web.post(prefix, subscribe), web.get(prefix, listing), web.delete(prefix + "/{sub}", unsubscribe)]


ROUTES = [
    web.post(_CH, handlers.create_channel),
    web.get(_CH, handlers.list_channels),
    web.get(_CH + "/{channel}", handlers.get_channel),
    web.delete(_CH + "/{channel}", handlers.delete_channel),
    web.put(_CH + "/{channel}/channelLifetime", handlers.channel_lifetime),
    web.get(_CH + "/{channel}/websocket", handlers.websocket),
    *_service_routes("call", "/cpaas/webrtcsignaling/{ver}/{user}/subscriptions"),
    *_service_routes("chat", "/cpaas/chat/{ver}/{user}/subscriptions"),
    *_service_routes("smsinbound", "/cpaas/smsmessaging/{ver}/{user}/inbound/subscriptions"),
]
