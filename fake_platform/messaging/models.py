"""Chat mailboxes: every user keeps their own copy of each conversation.

Sending stores one copy in the sender's mailbox and one in each recipient's (each copy has its own
id, as the SDK document says), then notifies the recipients over their ``chat`` subscriptions. A
recipient whose websocket is down gets the notification when it reconnects (the hub buffers it),
and finds the message in their history in any case. Deleting a conversation or a message only
touches the caller's own mailbox.

Times: ``dateTime`` is epoch seconds with millisecond precision (the unit the SDK stamps its own
messages with, docs/decisions.md CPAAS-17); session details are in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from ..auth.models import UserDirectory
from ..channels.models import CpaasChannels
from ..core.errors import InvalidInput, NotFound
from ..files.models import FileStore
from ..groups.models import GroupService

if TYPE_CHECKING:
    from ..state import PlatformConfig

ONE_TO_ONE, GROUP = "oneToOne", "group"
MAX_TEXT = 10000
MAX_ATTACHMENTS = 10
TYPING_STATES = ("active", "idle")


class ChatMessage(NamedTuple):
    """One mailbox's copy (a group message leaves one per member). Sessions keep its values as a
    plain tuple of atoms, which the cycle collector does not track."""

    id: str
    sender: str
    destination: str  # the recipient (1:1) or the group id: x-destinationAddress
    text: str | None
    attachments: tuple[str, ...]  # object ids in the file store
    date_time: float
    direction: str  # "inbound" | "outbound" from the mailbox owner's point of view
    status: str = "Delivered"


@dataclass
class ChatSession:
    id: str
    owner: str
    kind: str
    remote: str  # the other user (1:1) or the group id
    # id -> the ChatMessage's values, in insertion = time order (read them through the methods below)
    messages: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    last_pull_ms: int = 0
    # The v1 path, made once: every copy of a fan-out links its session (owner, kind and remote are fixed);
    # and as it stands inside a JSON string (what the member's spliced frame text holds)
    _v1_path: str = field(default="", init=False, repr=False, compare=False)
    _v1_path_json: str = field(default="", init=False, repr=False, compare=False)

    def add(self, message: ChatMessage) -> None:
        self.messages[message.id] = tuple(message)

    def all(self) -> list[ChatMessage]:
        return [ChatMessage._make(values) for values in self.messages.values()]

    def last(self) -> ChatMessage | None:
        values = next(reversed(self.messages.values()), None)
        return None if values is None else ChatMessage._make(values)

    def base_path(self, ver: str = "v1") -> str:
        if ver != "v1":
            return self._path(ver)
        if not self._v1_path:
            self._v1_path = self._path(ver)
        return self._v1_path

    def base_path_json(self) -> str:
        """``base_path()`` escaped as orjson writes it inside a JSON string."""
        if not self._v1_path_json:
            self._v1_path_json = orjson.dumps(self.base_path()).decode()[1:-1]
        return self._v1_path_json

    def _path(self, ver: str) -> str:
        if self.kind == ONE_TO_ONE:
            return f"/cpaas/chat/{ver}/{self.owner}/oneToOne/{self.remote}/adhoc"
        return f"/cpaas/chat/{ver}/{self.owner}/group/{self.remote}"

    def message_path(self, message_id: str, ver: str = "v1") -> str:
        return f"{self.base_path(ver)}/messages/{message_id}"


class MessagingService:
    def __init__(self, channels: CpaasChannels, users: UserDirectory, groups: GroupService, files: FileStore,
                 ids: Any, clock: Any, limits: PlatformConfig) -> None:
        self._channels = channels
        self._limits = limits
        self._users = users
        self._groups = groups
        self._files = files
        self._ids = ids
        self._clock = clock
        self.mailboxes: dict[str, dict[tuple[str, str], ChatSession]] = {}
        groups.on_deleted.append(self.drop_group)

    # -- sending -------------------------------------------------------------------------------
    def send(self, sender: str, kind: str, target: str, body: dict[str, Any]) -> tuple[ChatSession, ChatMessage]:
        """Store and deliver a chat message; returns the sender's session and copy."""
        text, attachment_ids = self._content(sender, body)
        remote, recipients = self._route(sender, kind, target)
        now = round(self._clock.wall(), 3)
        destination = recipients[0] if kind == ONE_TO_ONE else remote
        self._files.grant(attachment_ids, recipients)
        delivered = True
        shared = None  # without attachments every recipient's chatMessage is the same: build it once
        shared_text = None  # ... and serialise it once: each member's frame text is spliced around it
        # The copies' ids and their notifications' ids, each drawn once for the whole fan-out.
        copy_ids = self._ids.ids("m", len(recipients))
        notification_ids = self._channels.notification_ids(len(recipients))
        with self._channels.same_time():
            for recipient, copy_id, notification_id in zip(recipients, copy_ids, notification_ids, strict=True):
                session = self._session(recipient, kind, sender if kind == ONE_TO_ONE else remote)
                self._store_copy(session, copy_id, sender, destination, text, tuple(attachment_ids), now)
                if shared is None or attachment_ids:
                    shared = self._notified_message(session, ChatMessage._make(session.messages[copy_id]))
                    shared_text = None if attachment_ids else _json_text(shared)
                frame = self._notification(session, copy_id, shared)
                payload = None if shared_text is None else \
                    _spliced_notification(shared_text, session.base_path_json(), copy_id, notification_id)
                delivered &= self._channels.notify(recipient, "chat", frame, fresh=True,
                                                   notification_id=notification_id, payload=payload) > 0
        own = self._session(sender, kind, remote)
        message = self._store(own, sender, destination, text, attachment_ids, now, "outbound",
                              status="Delivered" if delivered else "Pending")
        return own, message

    def compose(self, sender: str, kind: str, target: str, body: dict[str, Any]) -> dict[str, Any]:
        """Relay an ``isComposing`` state to the other participants."""
        state = body.get("state")
        if state not in TYPING_STATES:
            raise InvalidInput("Invalid input value for message part %1", "isComposing.state")
        remote, recipients = self._route(sender, kind, target)
        destination = recipients[0] if kind == ONE_TO_ONE else remote
        for recipient in recipients:
            session_path = ChatSession("", recipient, kind, sender if kind == ONE_TO_ONE else remote).base_path()
            inner = {key: body[key] for key in ("contenttype", "refresh", "lastactive") if key in body}
            self._channels.notify(recipient, "chat", {"chatMessageNotification": {
                "isComposing": {**inner, "state": state, "senderAddress": sender,
                                "x-destinationAddress": destination, "x-type": "inbound"},
                "link": [{"rel": "chatSession", "href": session_path}],
            }})
        return {"state": state, "senderAddress": sender, "x-destinationAddress": destination}

    # -- reading -------------------------------------------------------------------------------
    def sessions(self, owner: str, kind: str) -> list[ChatSession]:
        """The conversations of one kind (the newest ``max_list_items`` at most)."""
        found = [s for (k, _r), s in self.mailboxes.get(owner, {}).items() if k == kind]
        return found[-self._limits.max_list_items:]

    def history(self, owner: str, kind: str, remote: str, limit: int | None = None) -> tuple[ChatSession,
                                                                                               list[ChatMessage]]:
        session = self._existing(owner, kind, remote)
        session.last_pull_ms = self._clock.wall_ms()
        messages = session.all()
        return session, messages[-min(limit or self._limits.max_list_items, self._limits.max_list_items):]

    def delete_session(self, owner: str, kind: str, remote: str) -> None:
        session = self._existing(owner, kind, remote)
        del self.mailboxes[owner][(session.kind, session.remote)]

    def delete_message(self, owner: str, kind: str, remote: str, message_id: str) -> None:
        session = self._existing(owner, kind, remote)
        if session.messages.pop(message_id, None) is None:
            raise NotFound("Message %1 not found", message_id)

    def drop_group(self, group_id: str) -> None:
        for mailbox in self.mailboxes.values():
            mailbox.pop((GROUP, group_id), None)

    # -- wire shapes ---------------------------------------------------------------------------
    def message_body(self, session: ChatSession, message: ChatMessage, ver: str = "v1") -> dict[str, Any]:
        body: dict[str, Any] = {
            "resourceURL": session.message_path(message.id, ver), "senderAddress": message.sender,
            "x-destinationAddress": message.destination, "dateTime": message.date_time,
            "x-type": message.direction, "status": message.status,
        }
        if message.text is not None:
            body["text"] = message.text
        if message.attachments:
            body["attachment"] = [self._files.describe(a, session.owner) for a in message.attachments]
        return body

    def session_body(self, session: ChatSession) -> dict[str, Any]:
        last = session.last()
        return {
            "sessionId": session.id, "sessionType": session.kind, "remoteAddress": session.remote,
            "localAddress": session.owner, "resourceURL": session.base_path(),
            "sessionDetails": {"lastText": last.text if last else None,
                               "lastMessageTime": int(last.date_time * 1000) if last else None,
                               "lastPullTime": session.last_pull_ms, "messageCount": len(session.messages)},
        }

    def _notified_message(self, session: ChatSession, message: ChatMessage) -> dict[str, Any]:
        """The ``chatMessage`` of a notification: the message body without its URL and status."""
        chat = self.message_body(session, message)
        chat.pop("resourceURL")
        chat.pop("status")
        return chat

    @staticmethod
    def _notification(session: ChatSession, message_id: str, chat: dict[str, Any]) -> dict[str, Any]:
        base = session.base_path()
        # The message link must come first: the SDK takes the message id from link[0].
        return {"chatMessageNotification": {"chatMessage": chat, "link": [
            {"rel": "chatMessage", "href": f"{base}/messages/{message_id}"},
            {"rel": "chatSession", "href": base},
        ]}}

    # -- helpers -------------------------------------------------------------------------------
    def _content(self, sender: str, body: dict[str, Any]) -> tuple[str | None, list[str]]:
        text = body.get("text")
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
            raise InvalidInput("Invalid input value for message part %1", "chatMessage.text")
        attachments = body.get("attachment", [])
        if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
            raise InvalidInput("Invalid input value for message part %1", "chatMessage.attachment")
        ids = [self._files.owned(sender, a.get("x-id") if isinstance(a, dict) else None).id for a in attachments]
        if not text and not ids:
            raise InvalidInput("Invalid input value for message part %1", "chatMessage.text")
        return text, ids

    def _route(self, sender: str, kind: str, target: str) -> tuple[str, list[str]]:
        """(remote key of the sender's session, recipients) for a 1:1 address or a group id."""
        if kind == ONE_TO_ONE:
            user = self._users.find(target)
            if user is None or user.kind != "user":
                raise NotFound("User %1 not found", target)
            if user.user_id == sender:
                raise InvalidInput("Invalid input value for message part %1", "destination")
            return user.user_id, [user.user_id]
        group = self._groups.require_connected(sender, target)
        return group.id, [a for a in group.connected() if a != sender]

    def _session(self, owner: str, kind: str, remote: str) -> ChatSession:
        mailbox = self.mailboxes.setdefault(owner, {})
        session = mailbox.get((kind, remote))
        if session is None:
            session = mailbox[(kind, remote)] = ChatSession(self._ids.id("cs"), owner, kind, remote)
        return session

    def _existing(self, owner: str, kind: str, remote: str) -> ChatSession:
        if kind == ONE_TO_ONE:  # the remote may be given as a number or a sip: URI
            user = self._users.find(remote)
            remote = user.user_id if user is not None else remote
        session = self.mailboxes.get(owner, {}).get((kind, remote.lower()))
        if session is None:
            raise NotFound("No %1 conversation with %2", kind, remote)
        return session

    def _store_copy(self, session: ChatSession, message_id: str, sender: str, destination: str, text: str | None,
                    attachments: tuple[str, ...], now: float) -> None:
        """A recipient's inbound copy (the fan-out's hot path: stored as plain values)."""
        session.messages[message_id] = (message_id, sender, destination, text, attachments, now, "inbound",
                                        "Delivered")
        if len(session.messages) > self._limits.max_history:
            self._forget_oldest(session)

    def _forget_oldest(self, session: ChatSession) -> None:
        """A conversation keeps its newest ``max_history`` messages (PlatformConfig)."""
        while len(session.messages) > self._limits.max_history:
            del session.messages[next(iter(session.messages))]

    def _store(self, session: ChatSession, sender: str, destination: str, text: str | None, attachments: list[str],
               now: float, direction: str, status: str = "Delivered") -> ChatMessage:
        message = ChatMessage(self._ids.id("m"), sender, destination, text, tuple(attachments), now, direction,
                              status)
        session.add(message)
        if len(session.messages) > self._limits.max_history:
            self._forget_oldest(session)
        return message


def _json_text(value: dict[str, Any]) -> str | None:
    """``value`` as orjson writes it, or None where orjson refuses it (the frame is then encoded
    whole, by the json module: no spliced text, whose pieces would be formatted differently)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return None


def _spliced_notification(chat: str, base_json: str, message_id: str, notification_id: str) -> bytes:
    """A member's chatMessageNotification as ``orjson.dumps`` writes the frame ``_notification``
    builds (given its ``id``), byte for byte, spliced from the parts: the chat message serialised once
    for every member (``chat``), the member's session path as it stands in a JSON string
    (``base_json``), and ids of the platform's own making (letters, digits and hyphens: nothing to
    escape). tests/test_fanout_batching.py holds it to the serialiser."""
    return (f'{{"chatMessageNotification":{{"chatMessage":{chat},"link":[{{"rel":"chatMessage","href":'
            f'"{base_json}/messages/{message_id}"}},{{"rel":"chatSession","href":"{base_json}"}}],'
            f'"id":"{notification_id}"}}}}').encode()
