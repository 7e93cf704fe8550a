"""CPaaS notification channel and per-service subscription requests (cpaas-wire §2, §4.2.7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ...errors import BasicError, Codes
from .rest import CpaasRest

#: Services the SDK can subscribe to (the JS SDK 4.9.0 registers exactly these).
SERVICES = ("call", "chat", "presence", "smsinbound")


@dataclass
class ChannelInfo:
    channel_id: str
    callback_url: str
    channel_url: str
    resource_url: str
    channel_type: str


def _after(text: str, marker: str, *, last: bool = False) -> str:
    if marker not in text:
        raise BasicError(Codes.SUB_CHANNEL_FAILED, f"Malformed platform response: {text!r} has no '{marker}'")
    return text.rsplit(marker, 1)[1] if last else text.split(marker, 1)[1]


class SubscriptionProtocol:
    def __init__(self, rest: CpaasRest) -> None:
        self._rest = rest

    # -- channel -------------------------------------------------------------------------------
    async def create_channel(self, *, lifetime: int, conn_check_role: str) -> ChannelInfo:
        body = {"notificationChannel": {
            "channelLifetime": lifetime,
            "channelType": "Websockets",
            "clientCorrelator": self._rest.correlator,
            "x-connCheckRole": conn_check_role,
        }}
        reply = await self._rest.request("POST", self._rest.url("notificationchannel", "channels"), body,
                                         operation="Create notification channel",
                                         error_code=Codes.SUB_CHANNEL_FAILED)
        channel = (reply or {}).get("notificationChannel") or {}
        resource_url = channel.get("resourceURL") or ""
        channel_url = (channel.get("channelData") or {}).get("channelURL") or ""
        if not resource_url or not channel_url.startswith("/"):
            raise BasicError(Codes.SUB_CHANNEL_FAILED, "Malformed notification channel response")
        return ChannelInfo(
            channel_id=_after(resource_url, "/channels/"),
            callback_url=channel.get("callbackURL") or "",
            channel_url=channel_url,
            resource_url=resource_url,
            channel_type=channel.get("channelType") or "",
        )

    async def delete_channel(self, channel: ChannelInfo) -> None:
        await self._rest.request("DELETE", self._rest.url("notificationchannel", f"channels/{channel.channel_id}"),
                                 operation="Delete notification channel", response_type="none",
                                 error_code=Codes.SUB_UNSUBSCRIBE_FAILED)

    def websocket_url(self, channel: ChannelInfo) -> str:
        token = self._rest._client.auth.access_token or ""
        return f"{self._rest.ws_base_url}{channel.channel_url}?access_token={quote(token, safe='')}"

    # -- services ------------------------------------------------------------------------------
    async def subscribe(self, service: str, notify_url: str) -> dict[str, Any]:
        callback = {"callbackReference": {"notifyURL": notify_url}, "clientCorrelator": self._rest.correlator}
        operation = f"Subscribe to {service}"
        if service == "call":
            reply = await self._post(self._rest.url("webrtcsignaling", "subscriptions"),
                                     {"wrtcsNotificationSubscription": callback}, operation)
            record = reply.get("wrtcsNotificationSubscription") or {}
        elif service == "chat":
            reply = await self._post(self._rest.url("chat", "subscriptions"),
                                     {"chatNotificationSubscription": callback}, operation)
            record = reply.get("chatNotificationSubscription") or {}
        elif service == "smsinbound":
            body = dict(callback)
            sms_from = (self._rest._client.config.get("messaging") or {}).get("smsFrom")
            if sms_from:
                body["destinationAddress"] = sms_from
            reply = await self._post(self._rest.url("smsmessaging", "inbound/subscriptions"),
                                     {"subscription": body}, operation)
            record = reply.get("subscription") or {}
        elif service == "presence":
            record = await self._subscribe_presence(callback, operation)
        else:
            raise BasicError(Codes.SUB_SERVICE_FAILED, f"Unknown service '{service}'")
        resource_url = record.get("resourceURL") or ""
        record = dict(record)
        record["subscriptionId"] = _after(resource_url, "/subscriptions/")
        return record

    async def _subscribe_presence(self, callback: dict[str, Any], operation: str) -> dict[str, Any]:
        lists = await self._rest.request("GET", self._rest.url("presence", "presenceLists"),
                                         operation=operation, error_code=Codes.SUB_SERVICE_FAILED)
        presence_lists = ((lists or {}).get("presenceListCollection") or {}).get("presenceList") or []
        if presence_lists:
            list_id = _after(presence_lists[0].get("resourceURL", ""), "/", last=True)
        else:
            created = await self._post(self._rest.url("presence", "presenceLists"),
                                       {"presenceList": {"x-listName": "myList", "presenceContact": []}},
                                       operation)
            list_id = _after((created.get("presenceList") or {}).get("resourceURL", ""), "/", last=True)
        body = {"presenceListSubscription": {**callback, "duration": 86400}}
        reply = await self._post(
            self._rest.url("presence", f"subscriptions/presenceListSubscriptions/{list_id}"), body, operation)
        record = dict(reply.get("presenceListSubscription") or {})
        record.setdefault("presenceListId", list_id)
        return record

    async def unsubscribe(self, service: str, record: dict[str, Any]) -> None:
        sub_id = record.get("subscriptionId")
        if service == "call":
            url = self._rest.url("webrtcsignaling", f"subscriptions/{sub_id}")
        elif service == "chat":
            url = self._rest.url("chat", f"subscriptions/{sub_id}")
        elif service == "smsinbound":
            url = self._rest.url("smsmessaging", f"inbound/subscriptions/{sub_id}")
        elif service == "presence":
            presence_sub = _after(record.get("resourceURL", ""), "/", last=True)
            url = self._rest.url(
                "presence",
                f"subscriptions/presenceListSubscriptions/{record.get('presenceListId')}/{presence_sub}")
        else:
            raise BasicError(Codes.SUB_UNSUBSCRIBE_FAILED, f"Unknown service '{service}'")
        await self._rest.request("DELETE", url, operation=f"Unsubscribe from {service}", response_type="none",
                                 error_code=Codes.SUB_UNSUBSCRIBE_FAILED)

    async def turn_credentials(self) -> dict[str, Any]:
        reply = await self._post(self._rest.url("webrtcsignaling", "turn"),
                                 {"wrtcsTurnCredentials": {"clientCorrelator": self._rest.correlator}},
                                 "TURN credentials")
        creds = reply.get("wrtcsTurnCredentials")
        if not isinstance(creds, dict) or "username" not in creds:
            raise BasicError(Codes.CALL_SIGNALLING, "Malformed TURN credentials response")
        return creds

    async def _post(self, url: str, body: dict[str, Any], operation: str) -> dict[str, Any]:
        reply = await self._rest.request("POST", url, body, operation=operation,
                                         error_code=Codes.SUB_SERVICE_FAILED)
        return reply if isinstance(reply, dict) else {}
