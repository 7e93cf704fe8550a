"""``client.conversation``: chat and SMS conversations (CPaaS "Messaging" section).

The document calls it the 'messaging' namespace but every example uses ``client.conversation``
(ambiguity CPAAS-02); it is ``conversation`` here. Conversations are keyed by destination (lower
case) and type (``chatTypes``). Functions return at once; the network work runs as a task the
client owns (returned, so Python callers may await it) and its outcome arrives as events:

* ``conversations:new`` ``{destination, type}``: ``create`` made a conversation;
* ``conversations:change`` ``{conversations: [{destination, type}...], type}`` after ``fetch``;
  ``{destination, type, messageId}`` when a message opens a conversation this client did not know;
* ``messages:change`` ``{destination, type, messageId?, sender?, error?}``: a message was added,
  sent (or failed: ``error``), received, deleted, fetched or its files fetched; the document's
  ``messages:changed`` spelling is the same event (CPAAS-01);
* ``messages:error`` ``{destination, type, error, messageId?}``: a delete failed;
* ``isTypingList:change`` ``{destination, type, sender, state, isTypingList}``.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, SnakeCaseAliases, api
from .messages import MessageSender, ReceivedMessage, Record, body_text, data_url, make_part, record_body
from .protocol.chat import JSON_PART, ChatProtocol

if TYPE_CHECKING:
    from . import CpaasClient

DEFAULT_AMOUNT = 50
VIEWS_SWEEP = 64  # references to handed-out message objects kept before dead ones are swept
EARLY_RECEIPTS = 1000


class chatTypes:
    """Possible types of conversations (documented ``conversation.chatTypes``)."""

    ONETOONE = "chat-oneToOne"
    GROUP = "chat-group"
    SMS = "sms"


CHAT_TYPES = (chatTypes.ONETOONE, chatTypes.GROUP, chatTypes.SMS)
Subscriber = Callable[[dict[str, Any]], Any]
#: What a conversation keeps per message: the object (sent, or a received one that was changed) or,
#: for a received message, its record of plain values (sdk/cpaas/messages.py).
Entry = MessageSender | Record


class Conversation(SnakeCaseAliases):
    """A conversation with a user, a group or a phone number."""

    api_path = "Conversation"

    def __init__(self, namespace: ConversationNamespace, destination: str, type: str) -> None:
        self._namespace = namespace
        self._client = namespace._client
        self.destination = destination
        self.type = type
        self.address = namespace._client.auth.identity
        self.lastReceived: int | None = None
        self.lastMessage: str | None = None
        self.isTypingList: list[str] = []
        self._messages: list[Entry] = []  # oldest first
        self._index: dict[str, Entry] = {}
        # The objects handed out for received records while someone holds them (one per message)
        self._views: dict[str, weakref.ref[ReceivedMessage]] = {}
        self._views_swept_at = VIEWS_SWEEP
        self._subscribers: list[Subscriber] = []

    @property
    def messages(self) -> list[MessageSender]:
        return self.getMessages()

    # -- documented API ------------------------------------------------------------------------
    @api
    def createMessage(self, part: Mapping[str, Any]) -> MessageSender:
        """Creates and returns a message (a MessageSender) holding ``part``; send it with ``send()``."""
        stored, upload = make_part(part)
        message = MessageSender(self, messageId=self._namespace.local_id(), sender=self.address,
                                timestamp=None, type=self.type, parts=[stored], isPending=True, outgoing=True)
        if upload is not None:
            message.uploads[0] = upload
        self._namespace.changed(self, messageId=message.messageId)
        return message

    @api
    def clearMessages(self) -> None:
        """Clears all messages in this conversation from local state."""
        self._set_messages([])
        self._namespace.changed(self)

    @api
    def getMessages(self) -> list[MessageSender]:
        """Gets all messages from this conversation (oldest first)."""
        return [self._object(entry) for entry in self._messages]

    @api
    def getMessage(self, messageId: str) -> MessageSender | None:
        """Gets a specific message from this conversation (None when it is not known)."""
        entry = self._index.get(messageId)
        return None if entry is None else self._object(entry)

    @api
    def deleteMessages(self, messageIds: list[str] | None = None) -> asyncio.Task[None]:
        """Deletes the given messages, on the platform and locally."""
        ids = [] if messageIds is None else messageIds
        if not isinstance(ids, list | tuple) or not all(isinstance(i, str) for i in ids):
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "deleteMessages expects a list of message IDs")
        return self._client.spawn(self._namespace.delete_messages(self, list(ids)), "conversation-delete-messages")

    @api
    def delete(self) -> asyncio.Task[None]:
        """Deletes the conversation, on the platform and locally."""
        return self._client.spawn(self._namespace.delete_conversation(self), "conversation-delete")

    @api
    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber({conversationId, messageId})`` whenever the messages change; returns the
        unsubscribe function (ambiguity CPAAS-16: the documented fields are the argument's)."""
        if not callable(subscriber):
            raise BasicError(Codes.LISTENER_NOT_FUNCTION, "subscriber must be a function")
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    @api
    def fetchMessages(self, amount: int = DEFAULT_AMOUNT) -> asyncio.Task[None]:
        """Fetches the last ``amount`` messages of this conversation from the platform."""
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "amount must be a positive integer")
        return self._client.spawn(self._namespace.fetch_messages(self, amount), "conversation-fetch-messages")

    @api
    def setIsTyping(self, isTyping: bool) -> asyncio.Task[None]:
        """Sets this user's typing status; the other participants are told."""
        if self.type == chatTypes.SMS:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "SMS conversations have no typing indication")
        return self._client.spawn(self._namespace.set_typing(self, bool(isTyping)), "conversation-typing")

    # -- state kept by the namespace -----------------------------------------------------------
    def _object(self, entry: Entry) -> MessageSender:
        """The message object of an entry: a received record's is made when asked for, and the same
        one is handed out while anyone holds it."""
        if isinstance(entry, MessageSender):
            return entry
        views, message_id = self._views, entry[0]
        ref = views.get(message_id)
        message = None if ref is None else ref()
        if message is None:
            message = ReceivedMessage.from_record(self, entry)
            views[message_id] = weakref.ref(message)  # no callback per object: dead ones are swept
            if len(views) > self._views_swept_at:
                self._sweep_views()
        return message

    def _sweep_views(self) -> None:
        """Forget the objects nobody holds any more (amortised: when twice as many as at the last sweep)."""
        self._views = {k: r for k, r in self._views.items() if r() is not None}
        self._views_swept_at = 2 * len(self._views) + VIEWS_SWEEP

    def _keep(self, message: ReceivedMessage, record: Record) -> None:
        """A received message's object was changed: it takes its record's place from now on."""
        message_id = record[0]
        if self._index.get(message_id) is not record:  # deleted or cleared meanwhile
            return
        self._index[message_id] = message
        self._messages[self._position(record)] = message
        self._views.pop(message_id, None)

    def _position(self, entry: Entry) -> int:
        """Where ``entry`` is in the time-ordered list (found by its time, then by identity)."""
        start = bisect.bisect_left(self._messages, _stamp(entry), key=_stamp)
        for index in range(start, len(self._messages)):
            if self._messages[index] is entry:
                return index
        return next(i for i, e in enumerate(self._messages) if e is entry)  # out of order (a fetch's)

    def _add(self, entry: Entry) -> None:
        """Insert in time order (messages mostly arrive in order: appending is the common case)."""
        # A received record (a tuple) is every message of a chat fan-out: read without a call.
        stamp = (entry.timestamp if isinstance(entry, MessageSender) else entry[2]) or 0
        messages = self._messages
        if not messages or _stamp(messages[-1]) <= stamp:
            messages.append(entry)
        else:
            bisect.insort_right(messages, entry, key=_stamp)
        self._index[entry.messageId if isinstance(entry, MessageSender) else entry[0]] = entry

    def _remove(self, message_id: str) -> None:
        entry = self._index.pop(message_id, None)
        if entry is not None:
            del self._messages[self._position(entry)]
            self._views.pop(message_id, None)

    def _renamed(self, message: MessageSender, old_id: str) -> None:
        if self._index.pop(old_id, None) is message:  # unless it was deleted or cleared meanwhile
            self._index[message.messageId] = message

    def _set_messages(self, entries: list[Entry]) -> None:
        self._messages = list(entries)
        self._index = {_id(e): e for e in entries}
        self._views.clear()

    def _notify(self, message_id: str | None) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber({"conversationId": self.destination, "messageId": message_id})
            except Exception as exc:  # one subscriber must not break the others
                self._namespace._log.error(f"conversation subscriber raised {type(exc).__name__}: {exc}")

    def __repr__(self) -> str:
        return f"Conversation({self.destination!r}, {self.type!r}, {len(self._messages)} messages)"


class ConversationNamespace(Namespace):
    """The documented messaging namespace, ``client.conversation``."""

    api_path = "conversation"
    chatTypes = chatTypes
    _client: CpaasClient

    def __init__(self, client: CpaasClient) -> None:
        super().__init__(client)
        self._protocol = ChatProtocol(client.rest)
        self._conversations: dict[tuple[str, str], Conversation] = {}
        self._early_receipts: dict[str, str] = {}
        self._local_ids = 0
        client.notifications.on("chatMessageNotification", self._on_chat)
        client.notifications.on("inboundSMSMessageNotification", self._on_sms)
        client.notifications.on("deliveryInfoNotification", self._on_receipt)

    # -- documented API ------------------------------------------------------------------------
    @api
    def fetch(self, options: Mapping[str, Any] | None = None) -> asyncio.Task[None]:
        """Fetches the conversations of one type (default ``chat-oneToOne``) from the platform."""
        chat_type = _type_of(options)
        return self._client.spawn(self._fetch(chat_type), "conversation-fetch")

    @api
    def get(self, recipient: str, options: Mapping[str, Any] | None = None) -> Conversation | None:
        """The conversation with ``recipient`` of the given type, if available (else None)."""
        return self._conversations.get((_destination(recipient), _type_of(options)))

    @api
    def create(self, recipient: str, options: Mapping[str, Any] | None = None) -> Conversation:
        """Creates and returns a conversation with ``recipient`` (lower-cased); an existing one is returned."""
        key = (_destination(recipient), _type_of(options))
        existing = self._conversations.get(key)
        if existing is not None:
            return existing
        conversation = self._conversations[key] = Conversation(self, *key)
        self._client.emit("conversations:new", {"destination": key[0], "type": key[1]})
        return conversation

    @api
    def getAll(self) -> list[Conversation]:
        """All available conversations."""
        return list(self._conversations.values())

    # -- flows ---------------------------------------------------------------------------------
    async def _fetch(self, chat_type: str) -> None:
        try:
            found = await self._protocol.conversations(chat_type)
        except BasicError as error:
            self._client.emit("conversations:change", {"type": chat_type, "error": error})
            return
        for item in found:
            if not item.get("destination"):
                continue
            conversation = self._ensure(str(item["destination"]).lower(), chat_type)
            conversation.lastMessage = item.get("lastMessage")
            conversation.lastReceived = item.get("lastReceived")
        self._client.emit("conversations:change", {
            "type": chat_type,
            "conversations": [{"destination": c.destination, "type": c.type} for c in self._conversations.values()
                              if c.type == chat_type]})

    def send_message(self, conversation: Conversation, message: MessageSender) -> asyncio.Task[MessageSender]:
        if not message.draft:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "This message was already sent or was received")
        if not message.text:
            # The platform SDK reads the first text part of every message (cpaas-wire Q8).
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "A message needs a text part")
        if conversation.type == chatTypes.SMS and message.uploads:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "An SMS carries text parts only")
        message.draft = False
        message.timestamp = self._client.clock.wall()
        message.deliveryStatus = "Pending"
        conversation._add(message)
        self.changed(conversation, messageId=message.messageId)
        return self._client.spawn(self._send(conversation, message), "message-send")

    async def _send(self, conversation: Conversation, message: MessageSender) -> MessageSender:
        local_id = message.messageId
        try:
            attachments = await self._upload(message)
            if conversation.type == chatTypes.SMS:
                result = await self._protocol.send_sms(conversation.destination, message.text)
            else:
                result = await self._protocol.send(conversation.type, conversation.destination, message.text,
                                                   attachments)
        except BasicError as error:
            message.isPending, message.deliveryStatus = False, "Failed"
            self.changed(conversation, messageId=local_id, error=error)
            return message
        message.messageId = result["messageId"]
        conversation._renamed(message, local_id)
        message.sender = (result.get("sender") or message.sender or "").lower() or None
        message.timestamp = result.get("timestamp") or message.timestamp
        message.isPending = False
        message.deliveryStatus = self._early_receipts.pop(message.messageId, None) or result.get("deliveryStatus")
        conversation.lastMessage = message.text
        self.changed(conversation, messageId=message.messageId, sender=message.sender, previousMessageId=local_id)
        return message

    async def _upload(self, message: MessageSender) -> list[dict[str, Any]]:
        async def one(index: int) -> dict[str, Any]:
            upload = message.uploads[index]
            extra = {JSON_PART: "json"} if message.parts[index]["type"] == "json" else None
            attributes = await self._protocol.upload(upload.name, upload.content, upload.content_type, extra)
            message.parts[index].update({**attributes, "rawURL": attributes.get("link")})
            return attributes

        indexes = sorted(message.uploads)
        results = await asyncio.gather(*(one(i) for i in indexes))
        message.uploads.clear()
        return list(results)

    def fetch_files(self, conversation: Conversation, message: MessageSender) -> asyncio.Task[MessageSender]:
        return self._client.spawn(self._fetch_files(conversation, message), "message-files")

    async def _fetch_files(self, conversation: Conversation, message: MessageSender) -> MessageSender:
        try:
            for part in message.parts:
                if part.get("type") in ("file", "json") and part.get("link"):
                    content = await self._protocol.download(part["link"])
                    part["content"] = content
                    part["url"] = data_url(content, part.get("contentType") or "application/octet-stream")
        except BasicError as error:
            self.changed(conversation, messageId=message.messageId, error=error)
            return message
        self.changed(conversation, messageId=message.messageId)
        return message

    async def fetch_messages(self, conversation: Conversation, amount: int) -> None:
        try:
            found = await self._protocol.history(conversation.type, conversation.destination, amount)
            messages = [await self._received(conversation, item) for item in found]
        except BasicError as error:
            self.changed(conversation, error=error)
            return
        pending = [e for e in conversation._messages if isinstance(e, MessageSender) and e.isPending]
        conversation._set_messages([*messages, *pending])
        if messages:
            conversation.lastMessage = body_text(messages[-1][4])
        self.changed(conversation)

    async def delete_messages(self, conversation: Conversation, ids: list[str]) -> None:
        for message_id in ids:
            message = conversation.getMessage(message_id)
            try:
                if message is None or not message.isPending:
                    await self._protocol.delete_message(conversation.type, conversation.destination, message_id)
            except BasicError as error:
                self._client.emit("messages:error", {"destination": conversation.destination,
                                                     "type": conversation.type, "messageId": message_id,
                                                     "error": error})
                continue
            conversation._remove(message_id)
        self.changed(conversation)

    async def delete_conversation(self, conversation: Conversation) -> None:
        try:
            await self._protocol.delete_conversation(conversation.type, conversation.destination)
        except BasicError as error:
            self._client.emit("messages:error", {"destination": conversation.destination, "type": conversation.type,
                                                 "error": error})
            return
        self._conversations.pop((conversation.destination, conversation.type), None)
        conversation._set_messages([])
        self.changed(conversation)
        self._client.emit("conversations:change", {
            "type": conversation.type, "deleted": conversation.destination,
            "conversations": [{"destination": c.destination, "type": c.type} for c in self._conversations.values()]})

    async def set_typing(self, conversation: Conversation, active: bool) -> None:
        state = "active" if active else "idle"
        payload: dict[str, Any] = {"destination": conversation.destination, "type": conversation.type,
                                   "sender": conversation.address, "state": state}
        try:
            await self._protocol.typing(conversation.type, conversation.destination, active,
                                        self._client.clock.wall_ms())
        except BasicError as error:
            payload["error"] = error
        self._client.emit("isTypingList:change", {**payload, "isTypingList": list(conversation.isTypingList)})

    # -- notifications -------------------------------------------------------------------------
    # Handlers return an awaitable only when a JSON part must be fetched before the message is
    # stored (the router awaits it before the next notification); otherwise they are done.
    def _on_chat(self, frame: dict[str, Any], _channel: str) -> Awaitable[None] | None:
        notification = frame["chatMessageNotification"]
        text = self._protocol.inbound_text(notification)
        if text is not None:  # the common case, stored without a message dict or a parts list
            chat_type, destination, message_id, sender, timestamp, body = text
            self._store(destination, (message_id, sender, timestamp, chat_type, body, None))
            return None
        parsed = self._protocol.parse_chat(notification)
        if parsed is None:
            return None
        kind, item = parsed
        if kind == "typing":
            self._on_typing(item)
            return None
        return self._on_message(item)

    def _on_sms(self, frame: dict[str, Any], _channel: str) -> Awaitable[None] | None:
        return self._on_message(self._protocol.parse_inbound_sms(frame["inboundSMSMessageNotification"]))

    def _on_receipt(self, frame: dict[str, Any], _channel: str) -> None:
        receipt = self._protocol.parse_receipt(frame["deliveryInfoNotification"])
        conversation = self._conversations.get((str(receipt["destination"]).lower(), chatTypes.SMS))
        message = conversation.getMessage(receipt["messageId"]) if conversation else None
        if message is None or conversation is None:  # the send answer is still on its way
            self._early_receipts[str(receipt["messageId"])] = receipt["deliveryStatus"]
            while len(self._early_receipts) > EARLY_RECEIPTS:
                self._early_receipts.pop(next(iter(self._early_receipts)))
            return
        message.deliveryStatus = receipt["deliveryStatus"]
        self.changed(conversation, messageId=message.messageId)

    def _on_message(self, item: dict[str, Any]) -> Awaitable[None] | None:
        for part in item["parts"]:
            if part.get("type") == "json" and _unfetched_json(part):  # text parts: no call per message
                return self._on_message_with_json(item)
        self._store_received(item)
        return None

    async def _on_message_with_json(self, item: dict[str, Any]) -> None:
        await self._fetch_json_parts(item)
        self._store_received(item)

    def _store_received(self, item: dict[str, Any]) -> None:
        self._store(str(item["destination"]).lower(), self._record(item))

    def _store(self, destination: str, record: Record) -> None:
        """Keep a received message (unless known) and tell who listens."""
        key = (destination, record[3])
        conversation = self._conversations.get(key)
        is_new = conversation is None
        if conversation is None:
            conversation = self._conversations[key] = Conversation(self, *key)
        message_id, sender, timestamp = record[0], record[1], record[2]
        if conversation._index.get(message_id) is not None:
            return
        conversation._add(record)
        conversation.lastMessage = body_text(record[4])
        conversation.lastReceived = int((timestamp or self._client.clock.wall()) * 1000)
        if is_new:
            self._client.emit("conversations:change", {"destination": destination, "type": conversation.type,
                                                       "messageId": message_id})
        payload = {"destination": destination, "type": conversation.type, "messageId": message_id}
        if sender is not None:
            payload["sender"] = sender
        self._client.emit("messages:change", payload)  # what changed() emits, without its keywords
        if conversation._subscribers:
            conversation._notify(message_id)

    def _on_typing(self, item: dict[str, Any]) -> None:
        conversation = self._ensure(item["destination"], item["type"])
        sender, typing = item["sender"], conversation.isTypingList
        if item["state"] == "active" and sender not in typing:
            typing.append(sender)
        elif item["state"] != "active" and sender in typing:
            typing.remove(sender)
        self._client.emit("isTypingList:change", {**item, "isTypingList": list(typing)})

    # -- helpers -------------------------------------------------------------------------------
    async def _received(self, conversation: Conversation, item: dict[str, Any]) -> Record:
        """The record of a platform message; JSON parts get their content fetched."""
        await self._fetch_json_parts(item)
        return self._record(item)

    async def _fetch_json_parts(self, item: dict[str, Any]) -> None:
        for part in item["parts"]:
            if _unfetched_json(part):
                try:
                    part["json"] = json.loads(await self._protocol.download(part["link"]))
                except (BasicError, ValueError) as exc:
                    self._log.warn(f"JSON part of message {item['messageId']} could not be read: {exc}")
                    part["json"] = None

    @staticmethod
    def _record(item: dict[str, Any]) -> Record:
        return (str(item["messageId"]), item.get("sender"), item.get("timestamp"), item["type"],
                record_body(item["parts"]), item.get("deliveryStatus"))

    def _ensure(self, destination: str, chat_type: str) -> Conversation:
        key = (destination, chat_type)
        if key not in self._conversations:
            self._conversations[key] = Conversation(self, destination, chat_type)
        return self._conversations[key]

    def changed(self, conversation: Conversation, **details: Any) -> None:
        """Emit ``messages:change`` for ``conversation`` and tell its subscribers."""
        payload = {"destination": conversation.destination, "type": conversation.type}
        for key, value in details.items():
            if value is not None:
                payload[key] = value
        self._client.emit("messages:change", payload)
        if conversation._subscribers:
            conversation._notify(details.get("messageId"))

    def local_id(self) -> str:
        self._local_ids += 1
        return f"local-{self._local_ids}"

    def snapshot(self) -> Any:
        return [{"destination": c.destination, "type": c.type, "messages": len(c._messages)}
                for c in self._conversations.values()]


def _stamp(entry: Entry) -> float:
    """An entry's time, for ordering (none: first)."""
    stamp = entry.timestamp if isinstance(entry, MessageSender) else entry[2]
    return stamp or 0


def _id(entry: Entry) -> str:
    return entry.messageId if isinstance(entry, MessageSender) else entry[0]


def _unfetched_json(part: Mapping[str, Any]) -> bool:
    return part.get("type") == "json" and bool(part.get("link")) and "json" not in part


def _type_of(options: Mapping[str, Any] | None) -> str:
    if options is None:
        return chatTypes.ONETOONE
    if type(options) is not dict and not isinstance(options, Mapping):  # dict first: no ABC check per call
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, "options must be an object")
    chat_type = options.get("type", chatTypes.ONETOONE)
    if chat_type not in CHAT_TYPES:
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, f"Unknown conversation type {chat_type!r}; "
                         f"expected one of {CHAT_TYPES}")
    return str(chat_type)


def _destination(recipient: Any) -> str:
    if not isinstance(recipient, str) or not recipient.strip():
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, "The recipient must be a non-empty string")
    return recipient.strip().lower()
