"""Address-book requests (cpaas-wire §4.8): a contact's properties travel as ``{name, value}``
string attributes; ``buddy`` comes back as the boolean the document types it as."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import BasicError, Codes
from .rest import CpaasRest, segment

BOOLEAN_FIELDS = ("buddy",)


def to_attributes(contact: Mapping[str, Any]) -> dict[str, Any]:
    attributes = []
    for name, value in contact.items():
        if name == "contactId" or value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        attributes.append({"name": name, "value": text})
    return {"attribute": attributes}


def from_wire(item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping) or not item.get("contactId"):
        raise BasicError(Codes.CONTACTS_FAILED, "Malformed contact from the platform")
    contact: dict[str, Any] = {"contactId": item["contactId"]}
    for attribute in (item.get("attributeList") or {}).get("attribute") or []:
        if isinstance(attribute, Mapping) and isinstance(attribute.get("name"), str):
            value = attribute.get("value")
            if attribute["name"] in BOOLEAN_FIELDS:
                value = value in (True, "true")
            contact[attribute["name"]] = value
    return contact


class ContactsProtocol:
    def __init__(self, rest: CpaasRest) -> None:
        self._rest = rest

    def _url(self, contact_id: str | None = None) -> str:
        tail = f"/{segment(contact_id)}" if contact_id else ""
        return self._rest.url("addressbook", f"default/contacts{tail}", version="v1")

    async def add(self, contact: Mapping[str, Any]) -> None:
        body = {"contact": {"contactId": contact["contactId"], "attributeList": to_attributes(contact)}}
        await self._rest.request("POST", self._url(), body, operation="Add contact", response_type="none",
                                 error_code=Codes.CONTACTS_FAILED)

    async def update(self, contact: Mapping[str, Any]) -> None:
        body = {"contact": {"contactId": contact["contactId"],
                            "attributeList": to_attributes({k: v for k, v in contact.items() if k != "name"})}}
        await self._rest.request("PUT", self._url(contact["contactId"]), body, operation="Update contact",
                                 response_type="none", error_code=Codes.CONTACTS_FAILED)

    async def remove(self, contact_id: str) -> None:
        await self._rest.request("DELETE", self._url(contact_id), operation="Remove contact", response_type="none",
                                 error_code=Codes.CONTACTS_FAILED)

    async def fetch(self, contact_id: str) -> dict[str, Any]:
        reply = await self._rest.request("GET", self._url(contact_id), operation="Fetch contact",
                                         error_code=Codes.CONTACTS_FAILED)
        return from_wire((reply or {}).get("contact"))

    async def fetch_all(self) -> list[dict[str, Any]]:
        reply = await self._rest.request("GET", self._url(), operation="Refresh contacts",
                                         error_code=Codes.CONTACTS_FAILED)
        collection = (reply or {}).get("contactCollection")
        if not isinstance(collection, Mapping):
            raise BasicError(Codes.CONTACTS_FAILED, "Malformed contact list from the platform")
        return [from_wire(c) for c in collection.get("contact") or []]
