"""``client.contacts``: the user's personal address book (CPaaS "Contacts" section).

``add`` emits ``contacts:new`` ``{contact}``, as the document says (the platform SDK 4.9.0 emits a
``contacts:change`` there instead: ambiguity CPAAS-11); ``refresh``, ``remove``, ``update`` and
``fetch`` emit ``contacts:change`` (``{contacts}``, ``{contactId}``, ``{contact}``). A failure
emits ``contacts:error`` ``{error}``. A contact without ``list`` goes to the ``friends`` list.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, api
from .protocol.contacts import ContactsProtocol

if TYPE_CHECKING:
    from . import CpaasClient

#: The documented contact properties and their types.
FIELDS: dict[str, type | tuple[type, ...]] = {
    "primaryContact": str, "contactId": str, "firstName": str, "lastName": str, "email": str,
    "homePhoneNumber": str, "businessPhoneNumber": str, "mobilePhoneNumber": str, "list": str, "buddy": bool,
}
DEFAULT_LIST = "friends"


class Contacts(Namespace):
    """The documented ``contacts`` namespace."""

    api_path = "contacts"
    _client: CpaasClient

    def __init__(self, client: CpaasClient) -> None:
        super().__init__(client)
        self._protocol = ContactsProtocol(client.rest)
        self._contacts: dict[str, dict[str, Any]] = {}

    # -- documented API ------------------------------------------------------------------------
    @api
    def add(self, contact: Mapping[str, Any]) -> asyncio.Task[None]:
        """Add a contact to the personal address book."""
        checked = _contact(contact)
        checked.setdefault("list", DEFAULT_LIST)
        return self._client.spawn(self._add(checked), "contacts-add")

    @api
    def get(self, contactId: str) -> dict[str, Any] | None:
        """Local information about a contact, or None."""
        found = self._contacts.get(_id(contactId))
        return copy.deepcopy(found) if found else None

    @api
    def getAll(self) -> list[dict[str, Any]]:
        """Local information about all contacts."""
        return [copy.deepcopy(c) for c in self._contacts.values()]

    @api
    def refresh(self) -> asyncio.Task[None]:
        """Replaces the local contacts with the platform's."""
        return self._client.spawn(self._refresh(), "contacts-refresh")

    @api
    def remove(self, id: str) -> asyncio.Task[None]:
        """Remove a contact from the personal address book."""
        return self._client.spawn(self._remove(_id(id)), "contacts-remove")

    @api
    def update(self, contact: Mapping[str, Any]) -> asyncio.Task[None]:
        """Update a contact (all its properties are replaced by the given ones)."""
        checked = _contact(contact)
        checked.setdefault("list", DEFAULT_LIST)
        return self._client.spawn(self._update(checked), "contacts-update")

    @api
    def fetch(self, contactId: str) -> asyncio.Task[None]:
        """Fetch one contact from the platform."""
        return self._client.spawn(self._fetch(_id(contactId)), "contacts-fetch")

    # -- flows ---------------------------------------------------------------------------------
    async def _add(self, contact: dict[str, Any]) -> None:
        if not await self._attempt(self._protocol.add(contact)):
            return
        self._contacts[contact["contactId"]] = contact
        self._client.emit("contacts:new", {"contact": copy.deepcopy(contact)})

    async def _update(self, contact: dict[str, Any]) -> None:
        if await self._attempt(self._protocol.update(contact)):
            self._contacts[contact["contactId"]] = contact
            self._client.emit("contacts:change", {"contact": copy.deepcopy(contact)})

    async def _remove(self, contact_id: str) -> None:
        if await self._attempt(self._protocol.remove(contact_id)):
            self._contacts.pop(contact_id, None)
            self._client.emit("contacts:change", {"contactId": contact_id})

    async def _fetch(self, contact_id: str) -> None:
        try:
            contact = await self._protocol.fetch(contact_id)
        except BasicError as error:
            self._error(error)
            return
        self._contacts[contact["contactId"]] = contact
        self._client.emit("contacts:change", {"contact": copy.deepcopy(contact)})

    async def _refresh(self) -> None:
        try:
            contacts = await self._protocol.fetch_all()
        except BasicError as error:
            self._error(error)
            return
        self._contacts = {c["contactId"]: c for c in contacts}
        self._client.emit("contacts:change", {"contacts": self.getAll()})

    async def _attempt(self, request: Any) -> bool:
        try:
            await request
        except BasicError as error:
            self._error(error)
            return False
        return True

    def _error(self, error: BasicError) -> None:
        self._log.warn(f"contacts error: {error.message}")
        self._client.emit("contacts:error", {"error": error})

    def snapshot(self) -> Any:
        return sorted(self._contacts)


def _contact(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise BasicError(Codes.CONTACTS_INVALID_PARAM, "A contact must be an object")
    for key in ("primaryContact", "contactId"):
        if not isinstance(value.get(key), str) or not value[key].strip():
            raise BasicError(Codes.CONTACTS_INVALID_PARAM, f"contact.{key} is required")
    for key, expected in FIELDS.items():
        if value.get(key) is not None and not isinstance(value[key], expected):
            raise BasicError(Codes.CONTACTS_INVALID_PARAM, f"contact.{key} must be of type {expected}")
    return {k: v for k, v in value.items() if v is not None}


def _id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BasicError(Codes.CONTACTS_INVALID_PARAM, "A contact ID is required")
    return value
