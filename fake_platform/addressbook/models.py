"""Each user's own address book: contacts with string attributes, keyed by contactId.

Nobody reads or changes another user's book (the ``{user}`` of the path is the token's user).
Attributes are the wire's ``{name, value}`` pairs, values strings; ``primaryContact`` is required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import Conflict, InvalidInput, NotFound

BOOKS = ("default",)
CONTACT_ID = re.compile(r"^[A-Za-z0-9._@+\-]{1,128}$")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")
MAX_CONTACTS = 1000
MAX_VALUE = 1024


@dataclass
class AddressBook:
    books: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def contacts(self, user: str, book: str) -> dict[str, dict[str, str]]:
        if book not in BOOKS:
            raise NotFound("Address book %1 not found", book)
        return self.books.setdefault(user, {})

    def add(self, user: str, book: str, contact_id: Any, attributes: Any) -> dict[str, str]:
        contacts = self.contacts(user, book)
        if not isinstance(contact_id, str) or not CONTACT_ID.match(contact_id):
            raise InvalidInput("Invalid input value for message part %1", "contactId")
        if contact_id in contacts:
            raise Conflict("Contact %1 already exists", contact_id)
        if len(contacts) >= MAX_CONTACTS:
            raise Conflict("The address book is full (%1 contacts)", MAX_CONTACTS)
        contacts[contact_id] = parse_attributes(attributes)
        return contacts[contact_id]

    def get(self, user: str, book: str, contact_id: str) -> dict[str, str]:
        contact = self.contacts(user, book).get(contact_id)
        if contact is None:
            raise NotFound("Contact %1 not found", contact_id)
        return contact

    def update(self, user: str, book: str, contact_id: str, attributes: Any) -> dict[str, str]:
        self.get(user, book, contact_id)
        self.contacts(user, book)[contact_id] = parse_attributes(attributes)
        return self.contacts(user, book)[contact_id]

    def remove(self, user: str, book: str, contact_id: str) -> None:
        self.get(user, book, contact_id)
        del self.contacts(user, book)[contact_id]

    def buddies(self, user: str) -> set[str]:
        """The primary contacts ``user`` marked as buddies (the directory's ``buddy`` flag)."""
        return {c["primaryContact"].lower() for c in self.books.get(user, {}).values()
                if c.get("buddy") == "true" and "primaryContact" in c}


def parse_attributes(value: Any) -> dict[str, str]:
    attribute_list = value.get("attribute") if isinstance(value, dict) else None
    if not isinstance(attribute_list, list):
        raise InvalidInput("Invalid input value for message part %1", "attributeList.attribute")
    result: dict[str, str] = {}
    for item in attribute_list:
        name = item.get("name") if isinstance(item, dict) else None
        raw = item.get("value") if isinstance(item, dict) else None
        if not isinstance(name, str) or not ATTRIBUTE_NAME.match(name) or name in result or name == "contactId":
            raise InvalidInput("Invalid input value for message part %1", f"attribute {name!r}")
        if isinstance(raw, bool):
            raw = "true" if raw else "false"
        if not isinstance(raw, str | int | float) or len(str(raw)) > MAX_VALUE:
            raise InvalidInput("Invalid input value for message part %1", f"attribute {name}")
        result[name] = str(raw)
    if not result.get("primaryContact"):
        raise InvalidInput("Invalid input value for message part %1", "primaryContact")
    return result


def contact_body(contact_id: str, attributes: dict[str, str], resource_url: str) -> dict[str, Any]:
    return {"contactId": contact_id, "resourceURL": resource_url,
            "attributeList": {"attribute": [{"name": k, "value": v} for k, v in attributes.items()]}}
