"""Link / CallMe subscription requests (link-callme-wire §3).

Anonymous (CallMe): ``POST /rest/version/1/anonymous/{account}/subscription`` with no credentials,
service ``["callMe"]``. User (Link): ``POST /rest/version/1/user/{username}/subscription`` with the
connection's credentials. Refresh is a PUT of the same body to the subscription path; unsubscribe a
DELETE answered with ``{"subscribeResponse":{"statusCode":0}}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ...errors import BasicError, Codes
from .rest import LinkRest, status_code_of

CALLME_SERVICE = "callMe"
_CHANNEL_ID = re.compile(r"/websocket/(\S+)")


@dataclass
class LinkSubscriptionInfo:
    mode: str  # "anonymous" | "user"
    account: str
    subscription_path: str
    channel_path: str
    channel_id: str
    services: list[str]
    expires: int
    turn_credentials: dict[str, Any] | None = None
    session_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def subscribe_body(services: list[str], expires: int, *, initial: bool = True) -> dict[str, Any]:
    request: dict[str, Any] = {
        "expires": expires,
        "service": services,
        "localization": "English_US",
        "useTurn": True,
        "notificationType": "WebSocket",
    }
    if initial:
        request["supported"] = ["RingingFeedback"]
        request["forceLogOut"] = "false"
    return {"subscribeRequest": request}


def parse_subscribe_response(body: Any, mode: str, account: str, require_callme: bool) -> LinkSubscriptionInfo:
    response = body.get("subscribeResponse") if isinstance(body, dict) else None
    if not isinstance(response, dict):
        raise BasicError(Codes.AUTH_SUBSCRIBE_FAILED, "Malformed subscription response")
    code, reason = status_code_of(body)
    if code not in (0, None):
        raise BasicError(code, reason or "Subscription refused")
    params = response.get("subscriptionParams") or {}
    services = params.get("service")
    if not isinstance(services, list) or (require_callme and CALLME_SERVICE not in services):
        raise BasicError(Codes.AUTH_SERVICE_UNAVAILABLE, f"The platform did not grant the services: {services!r}")
    channel = params.get("notificationChannel") or ""
    match = _CHANNEL_ID.search(channel)
    subscription = response.get("subscription") or ""
    if not match or not subscription.startswith("/"):
        raise BasicError(Codes.AUTH_SUBSCRIBE_FAILED, "Malformed subscription response (channel or subscription)")
    return LinkSubscriptionInfo(
        mode=mode,
        account=account,
        subscription_path=subscription,
        channel_path=channel,
        channel_id=match.group(1),
        services=list(services),
        expires=int(params.get("expires") or 0),
        turn_credentials=params.get("turnCredentials"),
        session_id=params.get("sessionId"),
    )


class LinkSubscriptionProtocol:
    def __init__(self, rest: LinkRest) -> None:
        self._rest = rest

    async def subscribe_anonymous(self, account: str, *, expires: int = 3600) -> LinkSubscriptionInfo:
        body = await self._rest.request(
            "POST", f"/rest/version/1/anonymous/{account}/subscription",
            subscribe_body([CALLME_SERVICE], expires), operation="Anonymous subscription",
            error_code=Codes.AUTH_SUBSCRIBE_FAILED, authenticated=False)
        return parse_subscribe_response(body, "anonymous", account, require_callme=True)

    async def subscribe_user(self, username: str, services: list[str], *, expires: int = 3600) -> LinkSubscriptionInfo:
        body = await self._rest.request(
            "POST", f"/rest/version/1/user/{username}/subscription", subscribe_body(services, expires),
            operation="User subscription", error_code=Codes.AUTH_SUBSCRIBE_FAILED)
        return parse_subscribe_response(body, "user", username, require_callme=False)

    async def refresh(self, info: LinkSubscriptionInfo) -> LinkSubscriptionInfo:
        body = await self._rest.request(
            "PUT", info.subscription_path, subscribe_body(info.services, info.expires or 3600, initial=False),
            operation="Subscription refresh", error_code=Codes.AUTH_REFRESH_FAILED,
            authenticated=info.mode == "user")
        response = (body or {}).get("subscribeResponse") or {}
        code = response.get("statusCode")
        if code not in (0, 2) or not isinstance((response.get("subscriptionParams") or {}).get("service"), list):
            raise BasicError(code if code is not None else Codes.AUTH_REFRESH_FAILED, "Subscription refresh refused")
        expires = (response.get("subscriptionParams") or {}).get("expires")
        if expires:
            info.expires = int(expires)
        return info

    async def unsubscribe(self, info: LinkSubscriptionInfo) -> None:
        body = await self._rest.request("DELETE", info.subscription_path, operation="Unsubscribe",
                                        error_code=Codes.AUTH_UNSUBSCRIBE_FAILED,
                                        authenticated=info.mode == "user")
        code, reason = status_code_of(body)
        if code not in (0, None):
            raise BasicError(code, reason or "Unsubscribe refused")

    def websocket_url(self, info: LinkSubscriptionInfo, *, reconnect: bool, bearer: str | None,
                      oauth_mode: str) -> str:
        url = f"{self._rest.ws_base_url}{info.channel_path}"
        if bearer and oauth_mode == "query":
            # The Link SDK sends access_token on the first open and token on reconnects (§4.1).
            return f"{url}?{'token' if reconnect else 'access_token'}={quote(bearer, safe='')}"
        return f"{url}?" if reconnect else url
