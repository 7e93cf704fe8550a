"""Presence requests and notifications (cpaas-wire §4.6, §6.5).

The namespace deals in ``{userId, status, activity, note}``; this adapter owns the
``presence.person`` wire shape, the presence-list paths and the list id taken from the presence
service subscription.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import BasicError, Codes
from .rest import CpaasRest, segment


def parse_person(user_id: str | None, presence: Any) -> dict[str, Any]:
    person = (presence or {}).get("person") if isinstance(presence, Mapping) else None
    person = person if isinstance(person, Mapping) else {}
    activities = person.get("activities") or {}
    return {"userId": user_id.lower() if isinstance(user_id, str) else user_id,
            "status": (person.get("overriding-willingness") or {}).get("overridingWillingnessValue"),
            "activity": activities.get("activityValue"), "note": activities.get("other")}


class PresenceProtocol:
    def __init__(self, rest: CpaasRest) -> None:
        self._rest = rest

    async def publish(self, status: str, activity: str, note: str | None) -> dict[str, Any]:
        activities: dict[str, Any] = {"activityValue": activity}
        if note is not None:
            activities["other"] = note
        body = {"presenceSource": {"clientCorrelator": self._rest.correlator, "presence": {"person": {
            "overriding-willingness": {"overridingWillingnessValue": status}, "activities": activities}}}}
        reply = await self._rest.request("POST", self._rest.url("presence", "presenceSources"), body,
                                         operation="Update presence", error_code=Codes.PRESENCE_FAILED)
        source = (reply or {}).get("presenceSource") or {}
        if not isinstance(source.get("presence"), Mapping):
            raise BasicError(Codes.PRESENCE_FAILED, "Malformed presence update response: no presence.person")
        return parse_person(self._rest._client.auth.identity, source["presence"])

    async def fetch(self, users: list[str]) -> list[dict[str, Any]]:
        body = {"adhocPresenceList": {"presentityUserId": users}}
        reply = await self._rest.request("POST", self._rest.url("presence", "adhocPresenceList"), body,
                                         operation="Fetch presence", error_code=Codes.PRESENCE_FAILED)
        contacts = ((reply or {}).get("presenceList") or {}).get("presenceContact") or []
        return [parse_person(c.get("presentityUserId"), c.get("presence")) for c in contacts
                if isinstance(c, Mapping)]

    async def watch(self, list_id: str, users: list[str]) -> None:
        await self._rest.request("PUT", self._contacts_url(list_id, users),
                                 {"presenceContact": {"presentityUserId": users}},
                                 operation="Subscribe to presence", response_type="none",
                                 error_code=Codes.PRESENCE_FAILED)

    async def unwatch(self, list_id: str, users: list[str]) -> None:
        await self._rest.request("DELETE", self._contacts_url(list_id, users), operation="Unsubscribe from presence",
                                 response_type="none", error_code=Codes.PRESENCE_FAILED)

    def _contacts_url(self, list_id: str, users: list[str]) -> str:
        # The platform SDK interpolates the user list, comma-joined, into the path.
        return self._rest.url("presence", f"presenceLists/{segment(list_id)}/presenceContacts/"
                                          f"{','.join(segment(u) for u in users)}")

    @staticmethod
    def parse_notification(notification: Mapping[str, Any]) -> dict[str, Any] | None:
        if not isinstance(notification.get("presence"), Mapping):
            return None
        return parse_person(notification.get("presentityUserId"), notification["presence"])
