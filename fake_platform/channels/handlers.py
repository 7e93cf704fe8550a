"""HTTP side of CPaaS channels and subscriptions (cpaas-wire §2, §4.1)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.errors import Forbidden, InvalidInput
from ..core.hub import ChannelEndpoint
from ..core.websocket import serve_channel
from ..http import cpaas_user, json_response, no_content, read_json, state_of, wrapped
from ..routing import Handler


def _channel_body(request: web.Request, endpoint: ChannelEndpoint, correlator: str | None = None) -> dict[str, Any]:
    ver, user = request.match_info["ver"], endpoint.user
    base = f"/cpaas/notificationchannel/{ver}/{user}/channels/{endpoint.id}"
    return {"notificationChannel": {
        "callbackURL": endpoint.callback_url,
        "channelData": {"channelURL": f"{base}/websocket"},
        "channelLifetime": endpoint.lifetime,
        "channelType": "websockets",
        "clientCorrelator": correlator,
        "x-connCheckRole": endpoint.conn_check_role,
        "resourceURL": base,
    }}


async def create_channel(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    body = wrapped(await read_json(request), "notificationChannel")
    channel_type = body.get("channelType")
    if not isinstance(channel_type, str) or channel_type.lower() != "websockets":
        raise InvalidInput("Invalid input value for message part %1", "channelType")
    endpoint = state_of(request).cpaas_channels.create_channel(
        user, lifetime=body.get("channelLifetime"), role=body.get("x-connCheckRole"))
    correlator = body.get("clientCorrelator") if isinstance(body.get("clientCorrelator"), str) else None
    return json_response(_channel_body(request, endpoint, correlator), status=201)


async def list_channels(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    channels = state_of(request).cpaas_channels.channels(user)
    return json_response({"notificationChannelList": {
        "notificationChannel": [_channel_body(request, c)["notificationChannel"] for c in channels]}})


async def get_channel(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    endpoint = state_of(request).cpaas_channels.channel(user, request.match_info["channel"])
    return json_response(_channel_body(request, endpoint))


async def delete_channel(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    await state_of(request).cpaas_channels.delete_channel(user, request.match_info["channel"])
    return no_content()


async def channel_lifetime(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    endpoint = state_of(request).cpaas_channels.channel(user, request.match_info["channel"])
    body = wrapped(await read_json(request), "notificationChannelLifetime")
    lifetime = body.get("channelLifetime")
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise InvalidInput("Invalid input value for message part %1", "channelLifetime")
    state_of(request).cpaas_channels.refresh(endpoint, lifetime)
    return json_response({"notificationChannelLifetime": {"channelLifetime": lifetime}})


async def websocket(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    user = cpaas_user(request)
    endpoint = state.cpaas_channels.channel(user, request.match_info["channel"])
    if endpoint.user != user:
        raise Forbidden("Channel %1 belongs to another user", endpoint.id)
    return await serve_channel(request, endpoint, state)


# -- per-service subscriptions (call, chat, smsinbound) ----------------------------------------
_WRAPPERS = {
    "call": ("wrtcsNotificationSubscription", "webrtcsignaling", "subscriptions"),
    "chat": ("chatNotificationSubscription", "chat", "subscriptions"),
    "smsinbound": ("subscription", "smsmessaging", "inbound/subscriptions"),
}


def _subscription_handlers(service: str) -> tuple[Handler, Handler, Handler]:
    wrapper, path_service, tail = _WRAPPERS[service]

    async def subscribe(request: web.Request) -> web.Response:
        user = cpaas_user(request)
        body = wrapped(await read_json(request), wrapper)
        callback = body.get("callbackReference")
        notify_url = callback.get("notifyURL") if isinstance(callback, dict) else None
        extra = {"destinationAddress": body["destinationAddress"]} if service == "smsinbound" and \
            isinstance(body.get("destinationAddress"), str) else {}
        sub = state_of(request).cpaas_channels.subscribe(user, service, notify_url, body.get("clientCorrelator"),
                                                         **extra)
        resource = f"/cpaas/{path_service}/{request.match_info['ver']}/{user}/{tail}/{sub.id}"
        return json_response({wrapper: {"callbackReference": {"notifyURL": sub.notify_url},
                                        "clientCorrelator": sub.client_correlator, "resourceURL": resource,
                                        **extra}}, status=201)

    async def unsubscribe(request: web.Request) -> web.Response:
        user = cpaas_user(request)
        state_of(request).cpaas_channels.unsubscribe(user, service, request.match_info["sub"])
        return no_content()

    async def listing(request: web.Request) -> web.Response:
        user = cpaas_user(request)
        subs = state_of(request).cpaas_channels.subscriptions_of(user, service)
        return json_response({f"{wrapper}List": {wrapper: [
            {"callbackReference": {"notifyURL": s.notify_url}, "clientCorrelator": s.client_correlator,
             "resourceURL": f"/cpaas/{path_service}/{request.match_info['ver']}/{user}/{tail}/{s.id}"}
            for s in subs]}})

    return subscribe, unsubscribe, listing
