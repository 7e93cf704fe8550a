"""``client.presence``: this user's presence and other users' (CPaaS "Presence" section).

``update`` publishes and emits ``presence:selfChange`` (the SDK's own presence is what the platform
echoes); ``fetch`` asks for users' current presence and emits ``presence:change`` per user;
``subscribe``/``unsubscribe`` add users to / remove them from the presence list the ``presence``
service subscription feeds, and every later ``presenceNotification`` emits ``presence:change``
``{userId, status, activity, note}``. Failures emit ``presence:error`` ``{error}``.

Status and activity values are the platform's (ambiguity CPAAS-18); the legacy lower-case values
the platform SDKs accept are mapped to them first, anything else raises a BasicError.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, api
from .protocol.presence import PresenceProtocol

if TYPE_CHECKING:
    from . import CpaasClient


class statuses:
    """Possible presence status values (documented ``presence.statuses``)."""

    OPEN = "Open"
    CLOSED = "Closed"


class activities:
    """Possible presence activity values (documented ``presence.activities``)."""

    AVAILABLE = "Available"
    BUSY = "Busy"
    LUNCH = "Lunch"
    VACATION = "Vacation"
    ON_THE_PHONE = "OnThePhone"
    ACTIVITIES_UNKNOWN = "ActivitiesUnknown"
    ACTIVITIES_OTHER = "ActivitiesOther"


STATUSES = (statuses.OPEN, statuses.CLOSED)
ACTIVITIES = tuple(v for k, v in vars(activities).items() if k.isupper())
LEGACY = {"open": statuses.OPEN, "closed": statuses.CLOSED, "active": activities.AVAILABLE,
          "idle": activities.ACTIVITIES_UNKNOWN, "away": activities.ACTIVITIES_UNKNOWN, "lunch": activities.LUNCH,
          "other": activities.ACTIVITIES_OTHER, "busy": activities.BUSY, "vacation": activities.VACATION,
          "on-the-phone": activities.ON_THE_PHONE, "unknown": activities.ACTIVITIES_UNKNOWN}
MAX_NOTE = 256


class Presence(Namespace):
    """The documented ``presence`` namespace."""

    api_path = "presence"
    statuses = statuses
    activities = activities
    _client: CpaasClient

    def __init__(self, client: CpaasClient) -> None:
        super().__init__(client)
        self._protocol = PresenceProtocol(client.rest)
        self._self: dict[str, Any] = {}
        self._others: dict[str, dict[str, Any]] = {}
        client.notifications.on("presenceNotification", self._on_presence)

    # -- documented API ------------------------------------------------------------------------
    @api
    def update(self, status: str, activity: str, note: str | None = None) -> asyncio.Task[None]:
        """Updates the presence information for the current user."""
        status = LEGACY.get(status, status) if isinstance(status, str) else status
        activity = LEGACY.get(activity, activity) if isinstance(activity, str) else activity
        if status not in STATUSES:
            raise BasicError(Codes.PRESENCE_INVALID_PARAM, f"Invalid presence status {status!r}; expected {STATUSES}")
        if activity not in ACTIVITIES:
            raise BasicError(Codes.PRESENCE_INVALID_PARAM, f"Invalid activity {activity!r}; expected {ACTIVITIES}")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
            raise BasicError(Codes.PRESENCE_INVALID_PARAM, f"The note must be a string of at most {MAX_NOTE}")
        # The note is only sent with ACTIVITIES_OTHER, as the document says.
        note = note if activity == activities.ACTIVITIES_OTHER else None
        return self._client.spawn(self._update(status, activity, note), "presence-update")

    @api
    def get(self, user: str | list[str]) -> dict[str, Any] | list[dict[str, Any]] | None:
        """Presence information of a user (an object, or None) or of a list of users (a list)."""
        if isinstance(user, str):
            found = self._others.get(user.lower())
            return dict(found) if found else None
        return [dict(self._others[u.lower()]) for u in _users(user) if u.lower() in self._others]

    @api
    def getAll(self) -> list[dict[str, Any]]:
        """Presence information of all users known to this client."""
        return [dict(p) for p in self._others.values()]

    @api
    def getSelf(self) -> dict[str, Any]:
        """This user's presence, as last confirmed by the platform (``{}`` before any update)."""
        return dict(self._self)

    @api
    def fetch(self, user: str | list[str]) -> asyncio.Task[None]:
        """Fetches the presence of the given users from the platform."""
        return self._client.spawn(self._fetch(_users(user)), "presence-fetch")

    @api
    def subscribe(self, users: str | list[str]) -> asyncio.Task[None]:
        """Subscribe to the presence updates of the given users."""
        return self._client.spawn(self._watch(_users(users), True), "presence-subscribe")

    @api
    def unsubscribe(self, users: str | list[str]) -> asyncio.Task[None]:
        """Unsubscribe from the presence updates of the given users."""
        return self._client.spawn(self._watch(_users(users), False), "presence-unsubscribe")

    # -- flows ---------------------------------------------------------------------------------
    async def _update(self, status: str, activity: str, note: str | None) -> None:
        try:
            self._self = await self._protocol.publish(status, activity, note)
        except BasicError as error:
            self._error(error)
            return
        self._client.emit("presence:selfChange", dict(self._self))

    async def _fetch(self, users: list[str]) -> None:
        try:
            found = await self._protocol.fetch(users)
        except BasicError as error:
            self._error(error)
            return
        for presence in found:
            self._store(presence)

    async def _watch(self, users: list[str], subscribe: bool) -> None:
        record = self._client.services.subscriptions.get("presence")
        list_id = record.get("presenceListId") if record else None
        if not list_id:
            self._error(BasicError(Codes.PRESENCE_FAILED, "Subscribe to the 'presence' service first "
                                   "(services.subscribe(['presence']))"))
            return
        try:
            if subscribe:
                await self._protocol.watch(list_id, users)
            else:
                await self._protocol.unwatch(list_id, users)
        except BasicError as error:
            self._error(error)

    def _on_presence(self, frame: dict[str, Any], _channel: str) -> None:
        presence = self._protocol.parse_notification(frame["presenceNotification"])
        if presence is not None and presence.get("userId"):
            self._store(presence)

    def _store(self, presence: dict[str, Any]) -> None:
        self._others[presence["userId"]] = presence
        self._client.emit("presence:change", dict(presence))

    def _error(self, error: BasicError) -> None:
        self._log.warn(f"presence error: {error.message}")
        self._client.emit("presence:error", {"error": error})

    def snapshot(self) -> Any:
        return {"self": self._self, "others": len(self._others)}


def _users(value: Any) -> list[str]:
    users = [value] if isinstance(value, str) else value
    if not isinstance(users, list | tuple) or not users or not all(isinstance(u, str) and u for u in users):
        raise BasicError(Codes.PRESENCE_INVALID_PARAM, "Expected a User ID or a non-empty list of User IDs")
    return [u.strip() for u in users]
