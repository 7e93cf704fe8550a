"""Groups: who is in them, with which status, and who may change them.

A participant is ``Invited`` until they accept (``Connected``); leaving, being removed or
declining takes them out. Only a connected administrator (the creator, or anyone added with
``x-isAdmin``) may add or remove others or delete the group. Every change is told to the people it
concerns over their ``chat`` subscriptions: invitations to the invitee, participant statuses to the
other participants, ``SessionEnded``/``SessionCancelled`` to those who lose the group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..auth.models import UserDirectory
from ..channels.models import CpaasChannels
from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound

INVITED, CONNECTED, DISCONNECTED, DECLINED = "Invited", "Connected", "Disconnected", "Declined"
ACTIVE = (INVITED, CONNECTED)
GROUP_TYPES = ("closed",)
MAX_PARTICIPANTS = 500
MAX_TEXT = 256


@dataclass
class Participant:
    address: str
    status: str
    is_admin: bool = False


@dataclass
class Group:
    id: str
    name: str
    subject: str | None
    image: str | None
    type: str
    created_at: float
    participants: dict[str, Participant] = field(default_factory=dict)

    def active(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.status in ACTIVE]

    def connected(self) -> list[str]:
        return [p.address for p in self.participants.values() if p.status == CONNECTED]


class GroupService:
    def __init__(self, channels: CpaasChannels, users: UserDirectory, ids: Any, clock: Any) -> None:
        self._channels = channels
        self._users = users
        self._ids = ids
        self._clock = clock
        self.groups: dict[str, Group] = {}
        # Called with a group id when the group is deleted (messaging drops its histories).
        self.on_deleted: list[Callable[[str], None]] = []

    # -- queries -------------------------------------------------------------------------------
    def groups_of(self, user: str) -> list[Group]:
        return [g for g in self.groups.values() if self._active(g, user) is not None]

    def get(self, user: str, group_id: str) -> Group:
        group = self._group(group_id)
        if self._active(group, user) is None:
            raise Forbidden("User %1 is not a participant of group %2", user, group_id)
        return group

    def require_connected(self, user: str, group_id: str) -> Group:
        group = self._group(group_id)
        member = group.participants.get(user)
        if member is None or member.status != CONNECTED:
            raise Forbidden("User %1 is not a connected participant of group %2", user, group_id)
        return group

    # -- changes -------------------------------------------------------------------------------
    def create(self, owner: str, *, name: Any, subject: Any, image: Any, group_type: Any,
               participants: Any) -> Group:
        name = _text(name, "x-name", required=True)
        kind = group_type.lower() if isinstance(group_type, str) else group_type
        if kind not in GROUP_TYPES:
            raise InvalidInput("Invalid input value for message part %1", "x-type")
        if not isinstance(participants, list) or len(participants) > MAX_PARTICIPANTS:
            raise InvalidInput("Invalid input value for message part %1", "participant")
        group = Group(id=self._ids.id("grp"), name=name, subject=_text(subject, "subject"),
                      image=_text(image, "x-image"), type=kind, created_at=self._clock.wall())
        group.participants[owner] = Participant(owner, CONNECTED, is_admin=True)
        for entry in participants:
            if not isinstance(entry, dict):
                raise InvalidInput("Invalid input value for message part %1", "participant")
            address = self._user_id(entry.get("address"))
            if address != owner:
                group.participants[address] = Participant(address, INVITED, bool(entry.get("x-isAdmin")))
        self.groups[group.id] = group
        for invitee in [p.address for p in group.participants.values() if p.status == INVITED]:
            self._invite(group, invitee)
        return group

    def delete(self, user: str, group_id: str) -> Group:
        group = self._group(group_id)
        self._require_admin(group, user)
        del self.groups[group.id]
        for member in group.active():
            if member.address != user:
                self._session_event(group, member.address,
                                    "SessionCancelled" if member.status == INVITED else "SessionEnded")
        for listener in list(self.on_deleted):
            listener(group.id)
        return group

    def add_participant(self, user: str, group_id: str, address: Any, is_admin: Any) -> Participant:
        group = self._group(group_id)
        self._require_admin(group, user)
        address = self._user_id(address)
        existing = group.participants.get(address)
        if existing is not None and existing.status in ACTIVE:
            raise Conflict("User %1 is already a participant of group %2", address, group.id)
        participant = Participant(address, INVITED, bool(is_admin))
        group.participants[address] = participant
        self._invite(group, address)
        self._tell_participants(group, participant, skip=(user, address))
        return participant

    def remove_participant(self, user: str, group_id: str, address: str) -> Participant:
        """Remove ``address``: leaving or declining when it is ``user``, an admin's act otherwise."""
        group = self._group(group_id)
        address = address.lower()
        member = group.participants.get(address)
        if address != user:
            self._require_admin(group, user)
        if member is None or member.status not in ACTIVE:
            if address == user:
                raise Forbidden("User %1 is not a participant of group %2", user, group.id)
            raise NotFound("User %1 is not a participant of group %2", address, group.id)
        if address == user and member.is_admin and member.status == CONNECTED \
                and not [p for p in group.active() if p.is_admin and p.address != user]:
            raise Forbidden("The only administrator of group %1 cannot leave it; delete the group", group.id)
        was_invited = member.status == INVITED
        member.status = (DECLINED if was_invited else DISCONNECTED) if address == user else DISCONNECTED
        if address != user:
            self._session_event(group, address, "SessionCancelled" if was_invited else "SessionEnded")
        self._tell_participants(group, member, skip=(user, address))
        return member

    def set_status(self, user: str, group_id: str, address: str, status: Any) -> Participant:
        group = self._group(group_id)
        if address.lower() != user:
            raise Forbidden("User %1 may only change their own status", user)
        member = group.participants.get(user)
        if member is None or member.status not in ACTIVE:
            raise Forbidden("User %1 has no invitation to group %2", user, group.id)
        if status != CONNECTED:
            raise InvalidInput("Invalid input value for message part %1", "participantSessionStatus.status")
        if member.status == INVITED:
            member.status = CONNECTED
            self._tell_participants(group, member, skip=(user,))
        return member

    # -- notifications -------------------------------------------------------------------------
    def _invite(self, group: Group, invitee: str) -> None:
        self._channels.notify(invitee, "chat", {"groupChatSessionInvitationNotification": {
            "x-name": group.name, "subject": group.subject,
            "link": [{"rel": "groupChatSessionInformation", "href": group_path(invitee, group.id)}],
            "participant": [participant_body(p) for p in group.active()],
        }})

    def _tell_participants(self, group: Group, changed: Participant, skip: tuple[str, ...]) -> None:
        for member in group.active():
            if member.address in skip:
                continue
            self._channels.notify(member.address, "chat", {"chatParticipantStatusNotification": {
                "x-name": group.name, "dateTime": self._clock.wall_ms(),
                "link": [{"rel": "groupChatSessionInformation", "href": group_path(member.address, group.id)}],
                "participant": [participant_body(changed)],
            }})

    def _session_event(self, group: Group, user: str, event: str) -> None:
        self._channels.notify(user, "chat", {"chatEventNotification": {
            "eventType": event,
            "link": [{"rel": "groupChatSessionInformation", "href": group_path(user, group.id)}],
        }})

    # -- helpers -------------------------------------------------------------------------------
    def _group(self, group_id: str) -> Group:
        group = self.groups.get(group_id.lower())
        if group is None:
            raise NotFound("Group %1 not found", group_id)
        return group

    @staticmethod
    def _active(group: Group, user: str) -> Participant | None:
        member = group.participants.get(user)
        return member if member is not None and member.status in ACTIVE else None

    @staticmethod
    def _require_admin(group: Group, user: str) -> None:
        member = group.participants.get(user)
        if member is None or member.status not in ACTIVE:
            raise Forbidden("User %1 is not a participant of group %2", user, group.id)
        if not member.is_admin or member.status != CONNECTED:
            raise Forbidden("User %1 is not an administrator of group %2", user, group.id)

    def _user_id(self, address: Any) -> str:
        if not isinstance(address, str) or not address:
            raise InvalidInput("Invalid input value for message part %1", "participant.address")
        user = self._users.find(address)
        if user is None or user.kind != "user":
            raise NotFound("User %1 not found", address)
        return user.user_id


def group_path(user: str, group_id: str, ver: str = "v1") -> str:
    return f"/cpaas/chat/{ver}/{user}/group/{group_id}"


def participant_body(participant: Participant) -> dict[str, Any]:
    return {"address": participant.address, "status": participant.status, "x-isAdmin": participant.is_admin}


def group_body(group: Group, viewer: str, ver: str = "v1") -> dict[str, Any]:
    """``groupChatSessionInformation`` as ``viewer`` sees it (cpaas-wire §4.7)."""
    base = group_path(viewer, group.id, ver)
    body: dict[str, Any] = {
        "resourceURL": base, "x-name": group.name, "x-type": group.type,
        "participant": [{**participant_body(p), "resourceURL": f"{base}/participants/{p.address}"}
                        for p in group.active()],
    }
    if group.subject is not None:
        body["subject"] = group.subject
    if group.image is not None:
        body["x-image"] = group.image
    return body


def _text(value: Any, part: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > MAX_TEXT:
        raise InvalidInput("Invalid input value for message part %1", part)
    return value
