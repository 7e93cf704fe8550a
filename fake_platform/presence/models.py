"""Presence state: each user's presence lists (watched users) and list subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..channels.models import CpaasChannels
from ..core.errors import Forbidden, InvalidInput, NotFound


@dataclass
class PresenceList:
    id: str
    owner: str
    name: str
    contacts: list[str] = field(default_factory=list)


class PresenceService:
    def __init__(self, channels: CpaasChannels, ids: Any) -> None:
        self._channels = channels
        self._ids = ids
        self.lists: dict[str, PresenceList] = {}

    def lists_of(self, user: str) -> list[PresenceList]:
        return [p for p in self.lists.values() if p.owner == user]

    def create_list(self, user: str, name: Any, contacts: Any) -> PresenceList:
        if name is not None and not isinstance(name, str):
            raise InvalidInput("Invalid input value for message part %1", "x-listName")
        if contacts is None:
            contacts = []
        if not isinstance(contacts, list) or not all(isinstance(c, str) for c in contacts):
            raise InvalidInput("Invalid input value for message part %1", "presenceContact")
        plist = PresenceList(self._ids.id("pl"), user, name or "list", list(dict.fromkeys(contacts)))
        self.lists[plist.id] = plist
        return plist

    def get_list(self, user: str, list_id: str) -> PresenceList:
        plist = self.lists.get(list_id)
        if plist is None:
            raise NotFound("Presence list %1 not found", list_id)
        if plist.owner != user:
            raise Forbidden("Presence list %1 belongs to another user", list_id)
        return plist

    def delete_list(self, user: str, list_id: str) -> None:
        self.get_list(user, list_id)
        del self.lists[list_id]

    def subscribe_list(self, user: str, list_id: str, notify_url: Any, correlator: Any, duration: Any) -> Any:
        self.get_list(user, list_id)
        if duration is not None and (not isinstance(duration, int) or duration <= 0):
            raise InvalidInput("Invalid input value for message part %1", "duration")
        return self._channels.subscribe(user, "presence", notify_url, correlator, presenceListId=list_id,
                                        duration=duration or 86400)

    def unsubscribe_list(self, user: str, list_id: str, sub_id: str) -> None:
        sub = self._channels.subscriptions.get(sub_id)
        if sub is None or sub.extra.get("presenceListId") != list_id:
            raise NotFound("Presence list subscription %1 not found", sub_id)
        self._channels.unsubscribe(user, "presence", sub_id)
