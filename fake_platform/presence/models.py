"""Presence state: each user's presence lists (watched users), list subscriptions, and what
each user published (presenceSources).

Publishing tells every watcher, i.e. every owner of a presence list that contains the publisher,
with a ``presenceNotification`` over their ``presence`` subscription. Adding someone to a list also
sends their current presence at once, so a new watcher does not wait for the next change
(docs/decisions.md). Presence is readable by anyone of the same domain; lists are private.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..auth.models import UserDirectory
from ..channels.models import CpaasChannels
from ..core.errors import Forbidden, InvalidInput, NotFound

STATUSES = ("Open", "Closed")
ACTIVITIES = ("Available", "Busy", "Lunch", "Vacation", "OnThePhone", "ActivitiesUnknown", "ActivitiesOther")
OTHER = "ActivitiesOther"
MAX_NOTE = 256
MAX_USERS = 100


@dataclass
class PresenceState:
    status: str = "Closed"
    activity: str = "ActivitiesUnknown"
    note: str | None = None
    published: bool = False

    def person(self) -> dict[str, Any]:
        activities: dict[str, Any] = {"activityValue": self.activity}
        if self.note is not None:
            activities["other"] = self.note
        return {"person": {"overriding-willingness": {"overridingWillingnessValue": self.status},
                           "activities": activities}}


@dataclass
class PresenceList:
    id: str
    owner: str
    name: str
    contacts: list[str] = field(default_factory=list)


class PresenceService:
    def __init__(self, channels: CpaasChannels, ids: Any, users: UserDirectory) -> None:
        self._channels = channels
        self._ids = ids
        self._users = users  # presentities are checked against it
        self.lists: dict[str, PresenceList] = {}
        self.states: dict[str, PresenceState] = {}

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

    # -- presence sources, ad-hoc fetch, list contacts ---------------------------------------------
    def publish(self, user: str, person: Any) -> PresenceState:
        status, activity, note = _parse_person(person)
        state = PresenceState(status, activity, note, published=True)
        self.states[user] = state
        frame = {"presenceNotification": {"presentityUserId": user, "presence": state.person()}}
        for watcher in sorted({p.owner for p in self.lists.values() if user in p.contacts}):
            self._channels.notify(watcher, "presence", frame)
        return state

    def fetch(self, user: str, presentities: Any) -> list[tuple[str, PresenceState]]:
        return [(p, self.states.get(p, PresenceState())) for p in self._presentities(user, presentities)]

    def add_contacts(self, user: str, list_id: str, presentities: Any) -> list[str]:
        plist = self.get_list(user, list_id)
        added = self._presentities(user, presentities)
        for presentity in added:
            if presentity not in plist.contacts:
                plist.contacts.append(presentity)
            state = self.states.get(presentity)
            if state is not None and state.published:
                self._channels.notify(user, "presence", {"presenceNotification": {
                    "presentityUserId": presentity, "presence": state.person()}})
        return added

    def remove_contacts(self, user: str, list_id: str, presentities: Any) -> None:
        plist = self.get_list(user, list_id)
        for presentity in self._presentities(user, presentities, known=False):
            if presentity not in plist.contacts:
                raise NotFound("User %1 is not in presence list %2", presentity, list_id)
            plist.contacts.remove(presentity)

    def _presentities(self, user: str, value: Any, *, known: bool = True) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_USERS \
                or not all(isinstance(v, str) and v for v in value):
            raise InvalidInput("Invalid input value for message part %1", "presentityUserId")
        result = []
        for raw in value:
            found = self._users.find(raw) if self._users is not None else None
            if found is None or found.kind != "user":
                if known:
                    raise NotFound("User %1 not found", raw)
                result.append(raw.lower())
            else:
                result.append(found.user_id)
        return list(dict.fromkeys(result))


def _parse_person(value: Any) -> tuple[str, str, str | None]:
    presence = value.get("presence") if isinstance(value, dict) else None
    person = presence.get("person") if isinstance(presence, dict) else None
    if not isinstance(person, dict):
        raise InvalidInput("Invalid input value for message part %1", "presence.person")
    willingness = person.get("overriding-willingness")
    status = willingness.get("overridingWillingnessValue") if isinstance(willingness, dict) else None
    if status not in STATUSES:
        raise InvalidInput("Invalid input value for message part %1", "overridingWillingnessValue")
    activities = person.get("activities")
    activity = activities.get("activityValue") if isinstance(activities, dict) else None
    if activity not in ACTIVITIES:
        raise InvalidInput("Invalid input value for message part %1", "activityValue")
    note = activities.get("other") if isinstance(activities, dict) else None
    if note is not None and (activity != OTHER or not isinstance(note, str) or len(note) > MAX_NOTE):
        raise InvalidInput("Invalid input value for message part %1", "activities.other")
    return status, activity, note
