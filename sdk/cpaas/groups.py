"""``client.groups``: group chat sessions (CPaaS "Groups" section).

The creator of a group is its administrator; only an administrator may add or remove
participants or delete the group, and the platform's refusal comes back as the ``error`` of the
event. Events:

* ``group:new`` ``{id}`` (or ``{error}``) after ``create``;
* ``group:change`` ``{id}`` (or ``{id, error}``) after ``leave``, ``acceptInvitation``,
  ``rejectInvitation``, ``addParticipant``, ``removeParticipant``, and when the platform reports a
  participant's new status;
* ``group:delete`` ``{group}`` (or ``{id, error}``) after ``delete``, and on every participant's
  client when a group goes away for them (deleted, or they were removed);
* ``group:refresh`` ``{}`` (or ``{error}``) after ``fetch``;
* ``group:invitation_received`` ``{invitation: {id, name, subject, participants}}``.

Groups this user is invited to (but has not joined) are invitations, not groups: ``getAll`` and
``get`` show joined groups, ``getInvitations`` the rest. Group chat goes through
``client.conversation`` with ``chatTypes.GROUP`` and the group id as destination.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, api
from .protocol.groups import GroupsProtocol

if TYPE_CHECKING:
    from . import CpaasClient

INVITED, CONNECTED = "Invited", "Connected"
GONE = ("Disconnected", "Declined")
GROUP_TYPES = {"closed": "closed", "Closed": "closed"}  # CPAAS-18: "Only Closed supported"


class Groups(Namespace):
    """The documented ``groups`` namespace."""

    api_path = "groups"
    _client: CpaasClient

    def __init__(self, client: CpaasClient) -> None:
        super().__init__(client)
        self._protocol = GroupsProtocol(client.rest)
        self._groups: dict[str, dict[str, Any]] = {}
        self._invitations: dict[str, dict[str, Any]] = {}
        client.notifications.on("groupChatSessionInvitationNotification", self._on_invitation)
        client.notifications.on("chatParticipantStatusNotification", self._on_participant_status)
        client.notifications.on("chatEventNotification", self._on_event)

    @property
    def _me(self) -> str:
        return (self._client.auth.identity or "").lower()

    # -- documented API ------------------------------------------------------------------------
    @api
    def create(self, params: Mapping[str, Any]) -> asyncio.Task[None]:
        """Creates a Group; this user is its administrator, the participants are invited."""
        if not isinstance(params, Mapping):
            raise BasicError(Codes.GROUPS_MISSING_PARAM, "groups.create expects an object of parameters")
        name = params.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BasicError(Codes.GROUPS_MISSING_PARAM, "A group needs a name")
        group_type = GROUP_TYPES.get(params.get("type", "closed"))
        if group_type is None:
            raise BasicError(Codes.GROUPS_MISSING_PARAM, "Only 'closed' groups are supported")
        participants = [_address(p) for p in params.get("participants") or []]
        for key in ("subject", "image"):
            if params.get(key) is not None and not isinstance(params[key], str):
                raise BasicError(Codes.GROUPS_MISSING_PARAM, f"params.{key} must be a string")
        return self._client.spawn(self._create(participants, name, params.get("subject"), params.get("image"),
                                               group_type), "groups-create")

    @api
    def fetch(self) -> asyncio.Task[None]:
        """Fetches all the groups this user belongs to or is invited to."""
        return self._client.spawn(self._fetch(), "groups-fetch")

    @api
    def getAll(self) -> list[dict[str, Any]]:
        """All available (joined) groups."""
        return [copy.deepcopy(g) for g in self._groups.values()]

    @api
    def get(self, groupId: str) -> dict[str, Any] | None:
        """One available group, or None."""
        group = self._groups.get(_group_id(groupId))
        return copy.deepcopy(group) if group else None

    @api
    def getParticipants(self, groupId: str) -> list[str]:
        """The User IDs of an available group's participants (invited ones included)."""
        group = self._groups.get(_group_id(groupId))
        return [p["address"] for p in group["participants"]] if group else []

    @api
    def getInvitations(self) -> list[dict[str, Any]]:
        """Invitations to groups this user has not accepted or rejected yet."""
        return [copy.deepcopy(i) for i in self._invitations.values()]

    @api
    def leave(self, groupId: str) -> asyncio.Task[None]:
        """Leaves a group."""
        group_id = _group_id(groupId)
        return self._client.spawn(self._change(group_id, self._leave, group_id), "groups-leave")

    @api
    def acceptInvitation(self, groupId: str) -> asyncio.Task[None]:
        """Accepts an invitation: the group becomes available."""
        group_id = _group_id(groupId)
        return self._client.spawn(self._change(group_id, self._accept, group_id), "groups-accept")

    @api
    def rejectInvitation(self, groupId: str) -> asyncio.Task[None]:
        """Rejects an invitation."""
        group_id = _group_id(groupId)
        return self._client.spawn(self._change(group_id, self._reject, group_id), "groups-reject")

    @api
    def addParticipant(self, groupId: str, participant: str) -> asyncio.Task[None]:
        """Invites ``participant`` to a group (administrators only)."""
        group_id, address = _group_id(groupId), _address(participant)
        return self._client.spawn(self._change(group_id, self._add, group_id, address), "groups-add")

    @api
    def removeParticipant(self, groupId: str, participant: str) -> asyncio.Task[None]:
        """Removes ``participant`` from a group (administrators only)."""
        group_id, address = _group_id(groupId), _address(participant)
        return self._client.spawn(self._change(group_id, self._remove, group_id, address), "groups-remove")

    @api
    def delete(self, groupId: str) -> asyncio.Task[None]:
        """Deletes a group (administrators only); every participant gets ``group:delete``."""
        return self._client.spawn(self._delete(_group_id(groupId)), "groups-delete")

    # -- flows ---------------------------------------------------------------------------------
    async def _create(self, participants: list[str], name: str, subject: str | None, image: str | None,
                      group_type: str) -> None:
        try:
            group = await self._protocol.create(self._me, participants, name, subject, image, group_type)
        except BasicError as error:
            self._client.emit("group:new", {"error": error})
            return
        self._groups[group["id"]] = group
        self._client.emit("group:new", {"id": group["id"]})

    async def _fetch(self) -> None:
        try:
            groups = await self._protocol.fetch_all()
        except BasicError as error:
            self._client.emit("group:refresh", {"error": error})
            return
        self._groups.clear()
        for group in groups:
            self._keep(group)
        self._client.emit("group:refresh", {})

    async def _change(self, group_id: str, flow: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run one participant change and emit ``group:change`` with its outcome."""
        try:
            await flow(*args)
        except BasicError as error:
            self._client.emit("group:change", {"id": group_id, "error": error})
            return
        self._client.emit("group:change", {"id": group_id})

    async def _leave(self, group_id: str) -> None:
        await self._protocol.remove_participant(group_id, self._me)
        self._groups.pop(group_id, None)

    async def _accept(self, group_id: str) -> None:
        self._keep(await self._protocol.accept(group_id, self._me))

    async def _reject(self, group_id: str) -> None:
        await self._protocol.remove_participant(group_id, self._me)
        self._invitations.pop(group_id, None)

    async def _add(self, group_id: str, address: str) -> None:
        participant = await self._protocol.add_participant(group_id, address)
        self._set_participant(group_id, participant)

    async def _remove(self, group_id: str, address: str) -> None:
        await self._protocol.remove_participant(group_id, address)
        self._set_participant(group_id, {"address": address, "status": "Disconnected", "isAdmin": False})

    async def _delete(self, group_id: str) -> None:
        try:
            await self._protocol.delete(group_id)
        except BasicError as error:
            self._client.emit("group:delete", {"id": group_id, "error": error})
            return
        self._gone(group_id)

    # -- notifications -------------------------------------------------------------------------
    def _on_invitation(self, frame: dict[str, Any], _channel: str) -> None:
        invitation = self._protocol.parse_invitation(frame["groupChatSessionInvitationNotification"])
        if invitation is None:
            self._log.warn("group invitation without a group link or participants ignored")
            return
        self._invitations[invitation["id"]] = invitation
        self._client.emit("group:invitation_received", {"invitation": copy.deepcopy(invitation)})

    def _on_participant_status(self, frame: dict[str, Any], _channel: str) -> None:
        parsed = self._protocol.parse_participant_status(frame["chatParticipantStatusNotification"])
        if parsed is None:
            return
        group_id, participant = parsed
        self._set_participant(group_id, participant)
        self._client.emit("group:change", {"id": group_id})

    def _on_event(self, frame: dict[str, Any], _channel: str) -> None:
        parsed = self._protocol.parse_event(frame["chatEventNotification"])
        if parsed is not None:
            self._gone(parsed[0], reason=parsed[1])

    # -- state ---------------------------------------------------------------------------------
    def _keep(self, group: dict[str, Any]) -> None:
        """File a group from the platform under groups (joined) or invitations (only invited)."""
        mine = next((p for p in group["participants"] if p["address"] == self._me), None)
        if mine is not None and mine["status"] == INVITED:
            self._invitations[group["id"]] = {"id": group["id"], "name": group["name"], "subject": group["subject"],
                                              "participants": group["participants"]}
            return
        self._invitations.pop(group["id"], None)
        self._groups[group["id"]] = group

    def _set_participant(self, group_id: str, participant: dict[str, Any]) -> None:
        group = self._groups.get(group_id)
        if group is None:
            return
        others = [p for p in group["participants"] if p["address"] != participant["address"]]
        group["participants"] = others if participant.get("status") in GONE else [*others, participant]

    def _gone(self, group_id: str, reason: str | None = None) -> None:
        group = self._groups.pop(group_id, None) or self._invitations.get(group_id) or {"id": group_id}
        self._invitations.pop(group_id, None)
        payload: dict[str, Any] = {"group": {k: copy.deepcopy(group.get(k)) for k in
                                             ("id", "name", "participants", "subject", "image")}}
        if reason:
            payload["reason"] = reason
        self._client.emit("group:delete", payload)

    def snapshot(self) -> Any:
        return {"groups": sorted(self._groups), "invitations": sorted(self._invitations)}


def _group_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BasicError(Codes.GROUPS_MISSING_PARAM, "A group ID is required")
    return value.strip().lower()


def _address(value: Any) -> str:
    if isinstance(value, Mapping):  # {address} objects, as the platform SDK builds them
        value = value.get("address")
    if not isinstance(value, str) or not value.strip():
        raise BasicError(Codes.GROUPS_MISSING_PARAM, "A participant must be a User ID")
    return value.strip().lower()
