"""Group requests and notifications (cpaas-wire §4.7, §6.6-6.8).

Groups reach the namespace as ``{id, name, subject, image, type, participants}`` with participants
``{address, status, isAdmin}``; invitations as ``{id, name, subject, participants}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import BasicError, Codes
from .rest import CpaasRest, segment

#: chatEventNotification types that take the group away (the only two the platform SDK accepts).
GROUP_GONE = ("SessionEnded", "SessionCancelled")


def parse_participant(item: Mapping[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in item.items() if k not in ("address", "status", "x-isAdmin", "resourceURL")}
    return {**extra, "address": str(item.get("address", "")).lower(), "status": item.get("status"),
            "isAdmin": bool(item.get("x-isAdmin"))}


def parse_group(info: Any) -> dict[str, Any]:
    if not isinstance(info, Mapping) or "/" not in str(info.get("resourceURL", "")) \
            or not isinstance(info.get("participant"), list):
        raise BasicError(Codes.GROUPS_FAILED, "Malformed group information from the platform")
    return {"id": str(info["resourceURL"]).rsplit("/", 1)[1], "name": info.get("x-name"),
            "subject": info.get("subject"), "image": info.get("x-image"), "type": info.get("x-type"),
            "participants": [parse_participant(p) for p in info["participant"] if isinstance(p, Mapping)]}


def _group_id(notification: Mapping[str, Any]) -> str | None:
    for link in notification.get("link") or []:
        if isinstance(link, Mapping) and link.get("rel") == "groupChatSessionInformation":
            return str(link.get("href", "")).rsplit("/", 1)[-1] or None
    return None


class GroupsProtocol:
    def __init__(self, rest: CpaasRest) -> None:
        self._rest = rest

    def _url(self, tail: str = "") -> str:
        return self._rest.url("chat", f"group{tail}")

    async def _call(self, method: str, url: str, body: Any = None, *, operation: str,
                    response_type: str = "json") -> Any:
        return await self._rest.request(method, url, body, operation=operation, response_type=response_type,
                                        error_code=Codes.GROUPS_FAILED)

    async def create(self, owner: str, participants: list[str], name: str, subject: str | None,
                     image: str | None, group_type: str) -> dict[str, Any]:
        info: dict[str, Any] = {
            "participant": [{"address": owner, "x-isAdmin": True}]
            + [{"address": p, "x-isAdmin": False} for p in participants],
            "x-name": name, "x-type": group_type}
        if subject is not None:
            info["subject"] = subject
        if image is not None:
            info["x-image"] = image
        reply = await self._call("POST", self._url(), {"groupChatSessionInformation": info}, operation="Create group")
        return parse_group((reply or {}).get("groupChatSessionInformation"))

    async def fetch_all(self) -> list[dict[str, Any]]:
        reply = await self._call("GET", self._url(), operation="Fetch groups")
        items = ((reply or {}).get("groupChatSessionInformationList") or {}).get("groupChatSessionInformation")
        return [parse_group(i) for i in items or []]

    async def fetch(self, group_id: str) -> dict[str, Any]:
        reply = await self._call("GET", self._url(f"/{segment(group_id)}"), operation="Fetch group")
        return parse_group((reply or {}).get("groupChatSessionInformation"))

    async def delete(self, group_id: str) -> None:
        await self._call("DELETE", self._url(f"/{segment(group_id)}"), operation="Delete group",
                         response_type="none")

    async def add_participant(self, group_id: str, address: str) -> dict[str, Any]:
        reply = await self._call("POST", self._url(f"/{segment(group_id)}/participants"),
                                 {"participantInformation": {"address": address, "x-isAdmin": False}},
                                 operation="Add participant")
        return parse_participant((reply or {}).get("participantInformation") or {"address": address})

    async def remove_participant(self, group_id: str, address: str) -> None:
        """Also how a participant leaves, or declines an invitation (their own address)."""
        await self._call("DELETE", self._url(f"/{segment(group_id)}/participants/{segment(address)}"),
                         operation="Remove participant", response_type="none")

    async def accept(self, group_id: str, me: str) -> dict[str, Any]:
        await self._call("PUT", self._url(f"/{segment(group_id)}/participants/{segment(me)}/status"),
                         {"participantSessionStatus": {"status": "Connected"}}, operation="Accept invitation",
                         response_type="none")
        return await self.fetch(group_id)

    # -- notifications -------------------------------------------------------------------------
    @staticmethod
    def parse_invitation(notification: Mapping[str, Any]) -> dict[str, Any] | None:
        group_id = _group_id(notification)
        if group_id is None or not isinstance(notification.get("participant"), list):
            return None
        return {"id": group_id, "name": notification.get("x-name"), "subject": notification.get("subject"),
                "participants": [parse_participant(p) for p in notification["participant"]
                                 if isinstance(p, Mapping)]}

    @staticmethod
    def parse_participant_status(notification: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        group_id = _group_id(notification)
        participants = notification.get("participant")
        if group_id is None or not isinstance(participants, list) or not participants:
            return None
        return group_id, parse_participant(participants[0])

    @staticmethod
    def parse_event(notification: Mapping[str, Any]) -> tuple[str, str] | None:
        group_id = _group_id(notification)
        if group_id is None or notification.get("eventType") not in GROUP_GONE:
            return None
        return group_id, str(notification["eventType"])
