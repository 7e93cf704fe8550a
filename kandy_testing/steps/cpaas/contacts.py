"""CPaaS contacts: add, update, fetch, remove, refresh and their events."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from ...world import World
from ..common import names
from .support import client_of, uid


# -- contacts ----------------------------------------------------------------------------------
def _add_contact(world: World, name: str, contact: dict[str, Any]) -> None:
    world.call(client_of(world, name).contacts.add, contact)


@when(parsers.re(r'(?P<name>\w+) adds the contact "(?P<contact_id>[^"]+)" with:'))
def add_contact_table(world: World, name: str, contact_id: str, datatable: list[list[str]]) -> None:
    contact: dict[str, Any] = {"contactId": contact_id}
    for key, value in datatable:
        contact[key] = value == "true" if key == "buddy" else value
    _add_contact(world, name, contact)


@given(parsers.re(r'(?P<name>\w+) added the contact "(?P<contact_id>[^"]+)" for (?P<other>\w+)'
                  r'(?P<buddy> as a buddy)?$'))
@when(parsers.re(r'(?P<name>\w+) adds the contact "(?P<contact_id>[^"]+)" for (?P<other>\w+)'
                 r'(?P<buddy> as a buddy)?$'))
def add_contact(world: World, name: str, contact_id: str, other: str, buddy: str | None) -> None:
    _add_contact(world, name, {"contactId": contact_id, "primaryContact": uid(world, other),
                               "firstName": world.user(other).first_name, "buddy": bool(buddy)})


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>contacts:[a-z]+)" for the contact "(?P<contact_id>[^"]+)"'))
def contact_event(world: World, name: str, event: str, contact_id: str) -> None:
    world.wait_event(name, event, lambda p: (p.get("contact") or {}).get("contactId") == contact_id,
                     expected=f"{name} to receive {event!r} for the contact {contact_id!r}")


@then(parsers.re(r'(?P<name>\w+)\'s contact "(?P<contact_id>[^"]+)" has the firstName "(?P<first>[^"]+)" and the '
                 r"buddy flag (?P<buddy>true|false)"))
def contact_first_and_buddy(world: World, name: str, contact_id: str, first: str, buddy: str) -> None:
    contact = world.call(client_of(world, name).contacts.get, contact_id)
    assert (contact["firstName"], contact["buddy"]) == (first, buddy == "true"), contact


@then(parsers.re(r'(?P<name>\w+)\'s contact "(?P<contact_id>[^"]+)" has the (?P<field>\w+) "(?P<value>[^"]*)"$'))
def contact_field(world: World, name: str, contact_id: str, field: str, value: str) -> None:
    contact = world.call(client_of(world, name).contacts.get, contact_id)
    assert contact is not None and contact.get(field) == value, contact


@then(parsers.re(r'(?P<name>\w+)\'s contacts are "(?P<ids>[^"]*)"'))
def contacts_are(world: World, name: str, ids: str) -> None:
    found = sorted(c["contactId"] for c in world.call(client_of(world, name).contacts.getAll))
    assert found == sorted(names(ids)), found


@when(parsers.re(r'(?P<name>\w+) updates the contact "(?P<contact_id>[^"]+)" with the (?P<field>\w+) '
                 r'"(?P<value>[^"]*)"'))
def update_contact(world: World, name: str, contact_id: str, field: str, value: str) -> None:
    contacts = client_of(world, name).contacts
    contact = world.call(contacts.get, contact_id)
    world.call(contacts.update, {**contact, field: value})


@when(parsers.re(r'(?P<name>\w+) fetches the contact "(?P<contact_id>[^"]+)"'))
def fetch_contact(world: World, name: str, contact_id: str) -> None:
    world.call(client_of(world, name).contacts.fetch, contact_id)


@when(parsers.re(r'(?P<name>\w+) removes the contact "(?P<contact_id>[^"]+)"'))
def remove_contact(world: World, name: str, contact_id: str) -> None:
    world.call(client_of(world, name).contacts.remove, contact_id)


@when(parsers.re(r"(?P<name>\w+) refreshes the contacts"))
def refresh_contacts(world: World, name: str) -> None:
    world.call(client_of(world, name).contacts.refresh)


@when(parsers.re(r"(?P<name>\w+) adds a contact without a contactId"))
def contact_without_id(world: World, name: str) -> None:
    world.attempt(client_of(world, name).contacts.add, {"primaryContact": "someone@example.com"})
