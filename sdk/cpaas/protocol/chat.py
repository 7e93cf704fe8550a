"""Chat, SMS and file-store requests and notifications (cpaas-wire §4.3-4.5, §6.1-6.4).

The messaging namespace speaks in conversation types (``chat-oneToOne``, ``chat-group``, ``sms``),
destinations and parts; this adapter owns the URLs, bodies and the parsing of what comes back.
Messages handed to the namespace are plain dicts: ``messageId``, ``sender``, ``destination``,
``timestamp`` (seconds), ``parts``, ``type``, ``direction`` and ``deliveryStatus``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from ...errors import BasicError, Codes
from .rest import CpaasRest, segment

ONE_TO_ONE, GROUP, SMS = "chat-oneToOne", "chat-group", "sms"
#: Platform delivery states of an SMS, as the SDK reports them (Message.deliveryStatus).
SMS_STATUS = {"DeliveredToNetwork": "Pending", "DeliveredToTerminal": "Delivered", "DeliveryImpossible": "Failed"}
#: The upload attribute marking a file that carries a JSON part (docs/decisions.md, "JSON parts").
JSON_PART = "x-part"


def sms_status(value: Any) -> str:
    return SMS_STATUS.get(value, "Unknown")


def _after(text: str, marker: str) -> str:
    if not isinstance(text, str) or marker not in text:
        raise BasicError(Codes.MESSAGING_GENERIC, f"Malformed platform response: no '{marker}' in {text!r}")
    return text.split(marker, 1)[1].split("/", 1)[0]


class ChatProtocol:
    def __init__(self, rest: CpaasRest) -> None:
        self._rest = rest

    # -- URLs ----------------------------------------------------------------------------------
    def _messages_url(self, chat_type: str, destination: str, *, version: str | None = None) -> str:
        if chat_type == GROUP:
            return self._rest.url("chat", f"group/{segment(destination)}/messages", version=version)
        return self._rest.url("chat", f"oneToOne/{segment(destination)}/adhoc/messages", version=version)

    def _sms_thread_url(self, destination: str) -> str:
        return self._rest.url("smsmessaging", f"remoteAddresses/{segment(destination)}/localAddresses/"
                                              f"{segment(self._sms_from)}", version="v1")

    @property
    def _sms_from(self) -> str:
        return (self._rest._client.config.get("messaging") or {}).get("smsFrom") or "default"

    # -- sending -------------------------------------------------------------------------------
    async def send(self, chat_type: str, destination: str, text: str,
                   attachments: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        if attachments:
            body["attachment"] = [{"name": a.get("name"), "x-id": a.get("x-id")} for a in attachments]
        reply = await self._rest.request("POST", self._messages_url(chat_type, destination), {"chatMessage": body},
                                         operation="Send message", error_code=Codes.MESSAGING_SEND_FAILED)
        chat = (reply or {}).get("chatMessage") or {}
        return {"messageId": _after(chat.get("resourceURL", ""), "/messages/"), "sender": chat.get("senderAddress"),
                "deliveryStatus": chat.get("status"), "timestamp": chat.get("dateTime")}

    async def send_sms(self, destination: str, text: str) -> dict[str, Any]:
        body = {"outboundSMSMessageRequest": {"address": [destination], "clientCorrelator": self._rest.correlator,
                                              "outboundSMSTextMessage": {"message": text}}}
        url = self._rest.url("smsmessaging", f"outbound/{segment(self._sms_from)}/requests", version="v1")
        reply = await self._rest.request("POST", url, body, operation="Send SMS",
                                         error_code=Codes.MESSAGING_SMS_FAILED)
        request = (reply or {}).get("outboundSMSMessageRequest") or {}
        infos = (request.get("deliveryInfoList") or {}).get("deliveryInfo") or [{}]
        return {"messageId": _after(request.get("resourceURL", ""), "/messages/"), "sender": self._rest.user,
                "deliveryStatus": sms_status(infos[0].get("deliveryStatus"))}

    async def typing(self, chat_type: str, destination: str, active: bool, now_ms: int) -> dict[str, Any]:
        body = {"isComposing": {"contenttype": "text/plain", "refresh": "60", "state": "active" if active else "idle",
                                "lastactive": now_ms}}
        reply = await self._rest.request("POST", self._messages_url(chat_type, destination, version="v1"), body,
                                         operation="Typing indication", error_code=Codes.MESSAGING_SEND_FAILED)
        composing = (reply or {}).get("isComposing") or {}
        return {"sender": composing.get("senderAddress"), "state": composing.get("state")}

    # -- files ---------------------------------------------------------------------------------
    async def upload(self, name: str, content: bytes, content_type: str,
                     attributes: Mapping[str, str] | None = None) -> dict[str, Any]:
        root = {"object": {"attributes": {"attribute": [{"name": k, "value": v} for k, v in
                                                        (attributes or {}).items()]},
                           "flags": {"flag": []}}}
        form = aiohttp.FormData()
        form.add_field("root-fields", json.dumps(root), content_type="application/json")
        form.add_field("raw", content, filename=name, content_type=content_type)
        url = f"{self._rest.base_url}/cpaas/nms/v1/chat/{self._rest.user}/objects"  # v1 and /chat/ (§4.5)
        reply = await self._rest.request("POST", url, data=form, operation="Upload file",
                                         error_code=Codes.MESSAGING_UPLOAD_FAILED)
        listed = (((reply or {}).get("object") or {}).get("attributes") or {}).get("attribute") or []
        flat = {a["name"]: a.get("value") for a in listed if isinstance(a, dict) and "name" in a}
        if not flat.get("link") or not flat.get("x-id"):
            raise BasicError(Codes.MESSAGING_UPLOAD_FAILED, "Malformed upload response: no link or x-id")
        return flat

    async def download(self, link: str) -> bytes:
        content: bytes = await self._rest.request("GET", link, operation="Download file", response_type="blob",
                                                  error_code=Codes.MESSAGING_FETCH_FAILED)
        return content

    # -- conversations and history -------------------------------------------------------------
    async def conversations(self, chat_type: str) -> list[dict[str, Any]]:
        if chat_type == SMS:
            reply = await self._rest.request("GET", self._rest.url("smsmessaging", "remoteAddresses", version="v1"),
                                             operation="Fetch conversations",
                                             error_code=Codes.MESSAGING_FETCH_FAILED)
            threads = ((reply or {}).get("smsThreadList") or {}).get("smsThread") or []
            return [{"destination": t.get("remoteAddress"), "type": SMS,
                     "lastMessage": (t.get("lastMessage") or {}).get("message"),
                     "lastReceived": _ms((t.get("lastMessage") or {}).get("dateTime"))} for t in threads]
        kind = "group" if chat_type == GROUP else "oneToOne"
        reply = await self._rest.request("GET", self._rest.url("chat", f"{kind}/sessions", version="v1"),
                                         operation="Fetch conversations", error_code=Codes.MESSAGING_FETCH_FAILED)
        sessions = ((reply or {}).get("chatSessionList") or {}).get("chatSession") or []
        return [{"destination": s.get("remoteAddress"), "type": chat_type,
                 "lastMessage": (s.get("sessionDetails") or {}).get("lastText"),
                 "lastReceived": (s.get("sessionDetails") or {}).get("lastMessageTime")} for s in sessions]

    async def history(self, chat_type: str, destination: str, amount: int) -> list[dict[str, Any]]:
        if chat_type == SMS:
            reply = await self._rest.request("GET", f"{self._sms_thread_url(destination)}/messages",
                                             operation="Fetch messages", error_code=Codes.MESSAGING_FETCH_FAILED)
            items = ((reply or {}).get("smsMessageList") or {}).get("smsMessage") or []
            return [self._sms_message(m, destination) for m in items][-amount:]
        reply = await self._rest.request("GET", self._messages_url(chat_type, destination, version="v1"),
                                         params={"max": str(amount)}, operation="Fetch messages",
                                         error_code=Codes.MESSAGING_FETCH_FAILED)
        items = ((reply or {}).get("chatMessageList") or {}).get("chatMessage") or []
        messages = [self._chat_message(m, chat_type, destination) for m in items]
        return sorted(messages, key=lambda m: m["timestamp"] or 0)[-amount:]

    async def delete_conversation(self, chat_type: str, destination: str) -> None:
        if chat_type == SMS:
            url = self._sms_thread_url(destination)
        elif chat_type == GROUP:
            url = self._rest.url("chat", f"group/{segment(destination)}", version="v1")
        else:
            url = self._messages_url(chat_type, destination, version="v1")
        try:
            await self._rest.request("DELETE", url, operation="Delete conversation", response_type="none")
        except BasicError as error:
            if error.code not in ("SVC0004", 404):  # already gone counts as deleted (§1.6)
                raise

    async def delete_message(self, chat_type: str, destination: str, message_id: str) -> None:
        base = self._sms_thread_url(destination) + "/messages" if chat_type == SMS \
            else self._messages_url(chat_type, destination, version="v1")
        await self._rest.request("DELETE", f"{base}/{segment(message_id)}", operation="Delete message",
                                 response_type="none", error_code=Codes.MESSAGING_DELETE_FAILED)

    # -- notifications -------------------------------------------------------------------------
    def parse_chat(self, notification: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """``("message", msg)`` or ``("typing", state)`` from a chatMessageNotification; None for outbound copies."""
        links = notification.get("link") or []
        chat = notification.get("chatMessage")
        if type(chat) is dict or isinstance(chat, Mapping):
            if chat.get("x-type") != "inbound":
                return None
            href = _link(links, "chatMessage")
            chat_type = GROUP if "/group/" in href else ONE_TO_ONE
            return "message", self._chat_message(chat, chat_type, None, href)
        if isinstance(notification.get("isComposing"), Mapping):
            composing = notification["isComposing"]
            if composing.get("x-type") != "inbound":
                return None
            href = _link(links, "chatSession")
            chat_type = GROUP if "/group/" in href else ONE_TO_ONE
            sender = str(composing.get("senderAddress", "")).lower()
            destination = sender if chat_type == ONE_TO_ONE else str(composing.get("x-destinationAddress", "")).lower()
            return "typing", {"destination": destination, "type": chat_type, "sender": sender,
                              "state": composing.get("state")}
        return None

    @staticmethod
    def inbound_text(notification: Mapping[str, Any]) -> tuple[str, str, str, str, Any, str] | None:
        """An inbound chat message of one text and no attachments (every message of a group chat
        fan-out), read in one go: (chat type, destination, messageId, sender, dateTime, text), what
        ``parse_chat`` would give; None for any other notification (``parse_chat`` reads those)."""
        chat = notification.get("chatMessage")
        links = notification.get("link")
        if type(chat) is not dict or type(links) is not list or not links or "attachment" in chat:
            return None
        text, first = chat.get("text"), links[0]
        if type(text) is not str or chat.get("x-type") != "inbound" or type(first) is not dict \
                or first.get("rel") != "chatMessage":
            return None
        href = first.get("href")
        if type(href) is not str or "/messages/" not in href:
            return None
        sender = str(chat.get("senderAddress", "")).lower()
        if "/group/" in href:
            chat_type, destination = GROUP, str(chat.get("x-destinationAddress", "")).lower()
        else:
            chat_type, destination = ONE_TO_ONE, sender
        message_id = href.split("/messages/", 1)[1].split("/", 1)[0]
        return chat_type, destination, message_id, sender, chat.get("dateTime"), text

    @staticmethod
    def parse_inbound_sms(notification: Mapping[str, Any]) -> dict[str, Any]:
        sms = notification.get("inboundSMSMessage") or {}
        sender = sms.get("senderAddress") or sms.get("senderAdress")
        return {"messageId": sms.get("messageId"), "sender": sender, "destination": sender, "type": SMS,
                "timestamp": notification.get("dateTime", sms.get("dateTime")), "direction": "inbound",
                "parts": [{"type": "text", "text": sms.get("message", "")}], "deliveryStatus": None}

    @staticmethod
    def parse_receipt(notification: Mapping[str, Any]) -> dict[str, Any]:
        info = notification.get("deliveryInfo") or {}
        return {"destination": info.get("address"), "messageId": info.get("messageId"),
                "deliveryStatus": sms_status(info.get("deliveryStatus"))}

    # -- shapes --------------------------------------------------------------------------------
    def _chat_message(self, chat: Mapping[str, Any], chat_type: str, destination: str | None,
                      resource_url: str | None = None) -> dict[str, Any]:
        """A message dict from a chat message body (its URL given apart for a notification's)."""
        sender = str(chat.get("senderAddress", "")).lower()
        direction = chat.get("x-type") or ("outbound" if sender == (self._rest._client.auth.identity or "").lower()
                                           else "inbound")
        if destination is None:  # from a notification: the conversation is the sender's or the group's
            destination = sender if chat_type == ONE_TO_ONE else str(chat.get("x-destinationAddress", "")).lower()
        parts: list[dict[str, Any]] = []
        if chat.get("text") is not None:
            parts.append({"type": "text", "text": chat["text"]})
        for attachment in chat.get("attachment") or []:
            part = {**attachment, "rawURL": attachment.get("link")}
            part["type"] = "json" if attachment.get(JSON_PART) == "json" else "file"
            parts.append(part)
        url = chat.get("resourceURL", "") if resource_url is None else resource_url
        return {"messageId": _after(url, "/messages/"), "sender": sender,
                "destination": destination, "type": chat_type, "timestamp": chat.get("dateTime"),
                "direction": direction, "parts": parts,
                "deliveryStatus": chat.get("status") if direction == "outbound" else None}

    @staticmethod
    def _sms_message(sms: Mapping[str, Any], destination: str) -> dict[str, Any]:
        direction = sms.get("direction", "inbound")
        return {"messageId": sms.get("messageId"), "sender": sms.get("senderAddress"), "destination": destination,
                "type": SMS, "timestamp": sms.get("dateTime"), "direction": direction,
                "parts": [{"type": "text", "text": sms.get("message", "")}],
                "deliveryStatus": sms_status(sms.get("deliveryStatus")) if direction == "outbound" else None}


def _link(links: Any, rel: str) -> str:
    """The href of the first link with ``rel`` ("" when there is none)."""
    for link in links:
        if link.get("rel") == rel:
            return str(link.get("href", ""))
    return ""


def _ms(seconds: Any) -> int | None:
    return int(seconds * 1000) if isinstance(seconds, int | float) else None
