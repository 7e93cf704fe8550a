"""Messages and their Parts (CPaaS "Messaging" section: Part, MessageSender, Message).

One object type plays both documented roles (ambiguity CPAAS-08, docs/decisions.md): the
:class:`MessageSender` that ``Conversation.createMessage`` returns carries the documented Message
properties (``timestamp``, ``isPending``, ``read``, ``parts``, ``sender``, ``messageId``, ``type``,
``deliveryStatus``), and the messages a conversation stores are the same objects, so that a
received file can be fetched with ``createImageLinks`` too. ``send`` is only for a message this
user created and has not sent yet.

A Part is a dict, as in the document: ``{"type": "text", "text": ...}``,
``{"type": "json", "json": {...}}`` or ``{"type": "file", "file": <bytes | file-like>, "name": ...}``.
File contents are read when the part is added; the part then describes the file
(``{"name", "size", "type"}``) and the bytes wait, on the side, for the upload.

A conversation keeps a received message as a :data:`Record` of plain values, not as an object: a
tuple of strings and numbers is not tracked by the cycle collector, and a group chat keeps tens of
thousands of messages that each full collection would otherwise walk (its pauses set the fan-out's
tail latency). ``getMessage``/``getMessages`` hand out a :class:`ReceivedMessage` made from the
record, the same object while anyone holds it; once its parts are read or any property is set, the
object takes the record's place for good (docs/decisions.md, "Received messages").
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import SnakeCaseAliases, api

if TYPE_CHECKING:
    from .conversation import Conversation

PART_TYPES = ("text", "json", "file")
MAX_FILE_BYTES = 25 * 1024 * 1024

#: A received message as its conversation keeps it: (messageId, sender, timestamp, type, body,
#: deliveryStatus), not pending and not read. The body is the text of a message of one text part
#: (every chat message without attachments: plain values, so the tuple is not tracked), else the parts.
Record = tuple[str, str | None, float | None, str, str | tuple[dict[str, Any], ...], str | None]


def record_body(parts: Sequence[dict[str, Any]]) -> str | tuple[dict[str, Any], ...]:
    """A record's body for ``parts`` (see :data:`Record`)."""
    if len(parts) == 1:
        part = parts[0]
        text = part.get("text")
        if len(part) == 2 and type(text) is str and part.get("type") == "text":
            return text
    return tuple(parts)


def body_parts(body: str | tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """A record body's parts, as a message holds them."""
    return [{"type": "text", "text": body}] if isinstance(body, str) else list(body)


def body_text(body: str | tuple[dict[str, Any], ...]) -> str:
    return body if isinstance(body, str) else parts_text(body)


class Upload:
    """The content of a file or json part, waiting to be uploaded."""

    def __init__(self, name: str, content: bytes, content_type: str) -> None:
        self.name = name
        self.content = content
        self.content_type = content_type


def make_part(part: Any) -> tuple[dict[str, Any], Upload | None]:
    """Check a documented Part; return the part as stored and what must be uploaded for it."""
    if not isinstance(part, Mapping) or part.get("type") not in PART_TYPES:
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, f"A Part needs a type among {PART_TYPES}; got {part!r}")
    kind = part["type"]
    text = part.get("text")
    if text is not None and not isinstance(text, str):
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, "Part.text must be a string")
    if part.get("json") is not None and part.get("file") is not None:
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, "A Part cannot have both json and a file")
    if kind == "text":
        if not text:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "A text Part needs a non-empty text")
        return {"type": "text", "text": text}, None
    if kind == "json":
        if part.get("json") is None:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "A json Part needs a json value")
        try:
            content = json.dumps(part["json"], separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, f"Part.json is not JSON-serialisable: {exc}") from None
        stored = {"type": "json", "json": part["json"], **({"text": text} if text else {})}
        return stored, Upload(part.get("name") or "part.json", content, "application/json")
    name, content = _file_content(part)
    content_type = part.get("contentType") or mimetypes.guess_type(name)[0] or "application/octet-stream"
    stored = {"type": "file", "file": {"name": name, "size": len(content), "type": content_type},
              **({"text": text} if text else {})}
    return stored, Upload(name, content, content_type)


def _file_content(part: Mapping[str, Any]) -> tuple[str, bytes]:
    source: Any = part.get("file")
    if isinstance(source, bytes | bytearray | memoryview):
        content = bytes(source)
        name = part.get("name")
    elif hasattr(source, "read"):
        content = source.read()
        if isinstance(content, str):
            content = content.encode()
        name = part.get("name") or os.path.basename(str(getattr(source, "name", "")) or "")
    else:
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, "A file Part needs 'file': bytes or a file-like object")
    if not isinstance(name, str) or not name:
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, "A file Part needs a 'name' when 'file' is bytes")
    if not isinstance(content, bytes) or len(content) > MAX_FILE_BYTES:
        raise BasicError(Codes.MESSAGING_INVALID_PARAM, f"A file must be bytes of at most {MAX_FILE_BYTES}")
    return name, content


class MessageSender(SnakeCaseAliases):
    """A message of a conversation: its documented properties, and the sending APIs."""

    api_path = "MessageSender"

    def __init__(self, conversation: Conversation, *, messageId: str, sender: str | None, timestamp: float | None,
                 type: str, parts: list[dict[str, Any]] | None = None, isPending: bool = False, read: bool = False,
                 deliveryStatus: str | None = None, outgoing: bool = False) -> None:
        self._conversation = conversation
        self._client = conversation._client
        self.messageId = messageId
        self.sender = sender
        self.timestamp = timestamp
        self.type = type
        self.parts: list[dict[str, Any]] = parts or []
        self.isPending = isPending
        self.read = read
        self.deliveryStatus = deliveryStatus
        self.uploads: dict[int, Upload] = {}  # part index -> content to upload
        self.draft = outgoing  # created here and not sent yet

    @property
    def destination(self) -> str:
        return self._conversation.destination

    # -- documented API ------------------------------------------------------------------------
    @api
    def addPart(self, part: Mapping[str, Any]) -> None:
        """Add an additional Part to a message."""
        if not self.draft:
            raise BasicError(Codes.MESSAGING_INVALID_PARAM, "Parts can only be added before the message is sent")
        stored, upload = make_part(part)
        if upload is not None:
            self.uploads[len(self.parts)] = upload
        self.parts.append(stored)

    @api
    def send(self) -> asyncio.Task[MessageSender]:
        """Sends the message (the task resolves to this message once the platform answered)."""
        return self._conversation._namespace.send_message(self._conversation, self)

    @api
    def createImageLinks(self) -> asyncio.Task[MessageSender]:
        """Fetch this message's files: each file part gets ``url`` (a data: URL) and ``content`` (bytes)."""
        return self._conversation._namespace.fetch_files(self._conversation, self)

    # -- Pythonic helpers ----------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The text parts, joined (what an SMS carries)."""
        return parts_text(self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "isPending": self.isPending, "read": self.read,
                "parts": [{k: v for k, v in p.items() if k != "content"} for p in self._read_parts()],
                "sender": self.sender, "messageId": self.messageId, "type": self.type,
                "deliveryStatus": self.deliveryStatus}

    def _read_parts(self) -> list[dict[str, Any]]:
        """The parts, to read without changing them."""
        return self.parts

    def __repr__(self) -> str:
        return f"MessageSender({self.messageId!r}, sender={self.sender!r}, text={self.text!r})"


class ReceivedMessage(MessageSender):
    """A received message's object, made from the conversation's :data:`Record` when asked for.

    Reading its properties and ``text`` keeps nothing. Reading ``parts`` (a list the app may change
    in place) or setting any property hands the object to the conversation, which keeps it in place
    of the record from then on: nothing done to a message object is ever lost.
    """

    @classmethod
    def from_record(cls, conversation: Conversation, values: Record) -> ReceivedMessage:
        message = cls.__new__(cls)
        # Straight into the instance dict: __setattr__ below is for changes after this.
        message.__dict__.update(
            _conversation=conversation, _client=conversation._client, messageId=values[0], sender=values[1],
            timestamp=values[2], type=values[3], isPending=False, read=False, deliveryStatus=values[5],
            uploads={}, draft=False, _record=values)
        return message

    @property
    def parts(self) -> list[dict[str, Any]]:
        self._kept()  # the app may change the list or a part in place
        parts: list[dict[str, Any]] = self.__dict__["_parts"]
        return parts

    @parts.setter
    def parts(self, value: list[dict[str, Any]]) -> None:
        self._kept()
        self.__dict__["_parts"] = value

    @property
    def text(self) -> str:
        record = self.__dict__.get("_record")
        return body_text(record[4]) if record is not None else parts_text(self.parts)

    def _read_parts(self) -> list[dict[str, Any]]:
        record = self.__dict__.get("_record")
        return body_parts(record[4]) if record is not None else self.parts

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        self._kept()

    def _kept(self) -> None:
        state = self.__dict__
        record = state.pop("_record", None)
        if record is not None:  # the first change (or a read of the parts): keep this object
            state["_parts"] = body_parts(record[4])
            self._conversation._keep(self, record)


def parts_text(parts: Sequence[Mapping[str, Any]]) -> str:
    """The text parts, joined (a message's ``text``)."""
    if len(parts) == 1:  # the common case, read for every message received
        part = parts[0]
        return part.get("text") or "" if part.get("type") == "text" else ""
    return " ".join(p["text"] for p in parts if p.get("type") == "text" and p.get("text"))


def data_url(content: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"
