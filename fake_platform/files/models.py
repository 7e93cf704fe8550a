"""Uploaded chat files: who owns them, who may read them, and the links that reach them.

An object belongs to its uploader. Attaching it to a chat message grants every recipient read
access; each reader gets a link under their own ``/cpaas/nms/v1/chat/{reader}/...`` path, because
every CPaaS path names the user whose token is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge

if TYPE_CHECKING:
    from ..state import PlatformConfig

MAX_OBJECT_BYTES = 25 * 1024 * 1024
MAX_NAME = 255
# Attributes the platform computes; an uploader cannot set them.
RESERVED = frozenset({"name", "x-id", "size", "link", "contentType"})


@dataclass
class StoredObject:
    id: str
    owner: str
    name: str
    content_type: str
    data: bytes
    created_at: float
    attributes: dict[str, str] = field(default_factory=dict)
    readers: set[str] = field(default_factory=set)
    stored_at: float = 0.0  # loop time of the upload (file_ttl counts from it)


class FileStore:
    def __init__(self, ids: Any, clock: Any, base_url: Callable[[], str], limits: PlatformConfig) -> None:
        self._ids = ids
        self._clock = clock
        self._base_url = base_url
        self._limits = limits
        self.objects: dict[str, StoredObject] = {}
        self._bytes_of: dict[str, int] = {}  # owner -> bytes kept

    def upload(self, owner: str, name: Any, content_type: Any, data: bytes, attributes: Any) -> StoredObject:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or "/" in name:
            raise InvalidInput("Invalid input value for message part %1", "raw filename")
        if len(data) > MAX_OBJECT_BYTES:
            raise InvalidInput("Object of %1 bytes exceeds the limit of %2 bytes", len(data), MAX_OBJECT_BYTES)
        kept = self._bytes_of.get(owner, 0)
        if kept + len(data) > self._limits.max_file_bytes_per_user:
            raise PayloadTooLarge("User %1 keeps %2 bytes of files; %3 more would pass the quota of %4", owner,
                                  kept, len(data), self._limits.max_file_bytes_per_user)
        extra = _attributes(attributes)
        obj = StoredObject(id=self._ids.id("obj"), owner=owner, name=name,
                           content_type=content_type if isinstance(content_type, str) and content_type
                           else "application/octet-stream",
                           data=data, created_at=self._clock.wall(), attributes=extra, readers={owner},
                           stored_at=self._clock.monotonic())
        self.objects[obj.id] = obj
        self._bytes_of[owner] = kept + len(data)
        return obj

    def expire(self, now: float) -> int:
        """Delete the objects uploaded more than ``file_ttl`` seconds ago (a message keeps the name)."""
        old = [o for o in self.objects.values() if now - o.stored_at > self._limits.file_ttl]
        for obj in old:
            del self.objects[obj.id]
            left = self._bytes_of.get(obj.owner, 0) - len(obj.data)
            if left > 0:
                self._bytes_of[obj.owner] = left
            else:
                self._bytes_of.pop(obj.owner, None)
        return len(old)

    def owned(self, owner: str, object_id: Any) -> StoredObject:
        """An object ``owner`` uploaded (to attach it to a message)."""
        obj = self.objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None:
            raise InvalidInput("Invalid input value for message part %1", "attachment.x-id")
        if obj.owner != owner:
            raise Forbidden("Object %1 belongs to another user", object_id)
        return obj

    def readable(self, reader: str, object_id: str) -> StoredObject:
        obj = self.objects.get(object_id)
        if obj is None:
            raise NotFound("Object %1 not found", object_id)
        if reader not in obj.readers:
            raise Forbidden("User %1 may not read object %2", reader, object_id)
        return obj

    def grant(self, object_ids: list[str], readers: list[str]) -> None:
        for object_id in object_ids:
            self.objects[object_id].readers.update(readers)

    def link(self, obj: StoredObject, reader: str) -> str:
        return f"{self._base_url()}/cpaas/nms/v1/chat/{reader}/objects/{obj.id}/payload"

    def describe(self, object_id: str, reader: str) -> dict[str, Any]:
        """The attachment as ``reader`` sees it in a chat message (link under their own path)."""
        obj = self.objects.get(object_id)
        if obj is None:  # deleted since: the message keeps its name only
            return {"x-id": object_id, "name": "", "size": 0}
        return {**obj.attributes, "link": self.link(obj, reader), "name": obj.name, "size": len(obj.data),
                "x-id": obj.id, "contentType": obj.content_type}

    def attribute_list(self, obj: StoredObject, reader: str) -> list[dict[str, str]]:
        """The upload response's ``object.attributes.attribute`` list (values are strings)."""
        return [{"name": k, "value": str(v)} for k, v in self.describe(obj.id, reader).items()]


def _attributes(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise InvalidInput("Invalid input value for message part %1", "object.attributes.attribute")
    result: dict[str, str] = {}
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not isinstance(item.get("value"), str | int | float | bool):
            raise InvalidInput("Invalid input value for message part %1", "object.attributes.attribute")
        if item["name"] not in RESERVED:
            result[item["name"]] = str(item["value"])
    return result
