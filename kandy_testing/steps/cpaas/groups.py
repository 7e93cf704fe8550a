"""CPaaS groups: create, invitations, participants, administrators, leave and delete."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from ...world import World
from ..common import names
from .support import client_of, group_id_of, uid


# -- groups ------------------------------------------------------------------------------------
def _create_group(world: World, name: str, group: str, members: str, **params: Any) -> str:
    client = client_of(world, name)
    mark = world.actor(name).recorder.mark  # also called by other steps: wait from here
    world.call(client.groups.create, {"name": group, "participants": [uid(world, m) for m in names(members)],
                                      "type": "closed", **params})
    created = world.wait_event(name, "group:new", since=mark)
    assert "error" not in created, created
    world.scenario.groups[group] = created["id"]
    return created["id"]


@when(parsers.re(r'(?P<name>\w+) creates the group "(?P<group>[^"]+)" with (?P<members>[\w, ]+?), subject '
                 r'"(?P<subject>[^"]+)" and image "(?P<image>[^"]+)"'))
def create_group(world: World, name: str, group: str, members: str, subject: str, image: str) -> None:
    _create_group(world, name, group, members, subject=subject, image=image)


@given(parsers.re(r'(?P<name>\w+) created the group "(?P<group>[^"]+)" with (?P<members>[\w, ]+)$'))
def created_group(world: World, name: str, group: str, members: str) -> None:
    group_id = _create_group(world, name, group, members)
    for member in names(members):  # invitations in hand before anyone answers them
        world.wait_event(member, "group:invitation_received", lambda p: p["invitation"]["id"] == group_id,
                         expected=f"{member} to receive the invitation to the group {group!r}")


@when(parsers.re(r"(?P<name>\w+) creates a group without a name"))
def group_without_name(world: World, name: str) -> None:
    world.attempt(client_of(world, name).groups.create, {"participants": [], "type": "closed"})


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>group:[a-z]+)" for the group "(?P<group>[^"]+)"'))
def group_event(world: World, name: str, event: str, group: str) -> None:
    group_id = group_id_of(world, group)

    def matches(params: dict[str, Any]) -> bool:
        found = params.get("id") or (params.get("group") or {}).get("id")
        return found == group_id and "error" not in params

    world.wait_event(name, event, matches, expected=f"{name} to receive {event!r} for the group {group!r}")


@then(parsers.re(r'(?P<name>\w+) receives an invitation to the group "(?P<group>[^"]+)" from (?P<admin>\w+)'))
def invitation(world: World, name: str, group: str, admin: str) -> None:
    params = world.wait_event(name, "group:invitation_received",
                              lambda p: p["invitation"]["id"] == group_id_of(world, group))
    invited = params["invitation"]
    assert invited["name"] == group
    assert {"address": uid(world, admin), "status": "Connected", "isAdmin": True} in invited["participants"]


@then(parsers.re(r'(?P<name>\w+)\'s (?P<kind>invitations|groups) (?P<verb>list|do not list) the group '
                 r'"(?P<group>[^"]+)"'))
def groups_listed(world: World, name: str, kind: str, verb: str, group: str) -> None:
    namespace = client_of(world, name).groups
    items = world.call(namespace.getInvitations if kind == "invitations" else namespace.getAll)
    assert (group_id_of(world, group) in [i["id"] for i in items]) == (verb == "list"), items


@then(parsers.re(r'(?P<name>\w+)\'s group "(?P<group>[^"]+)" has the name "(?P<title>[^"]+)", subject '
                 r'"(?P<subject>[^"]+)" and image "(?P<image>[^"]+)"'))
def group_details(world: World, name: str, group: str, title: str, subject: str, image: str) -> None:
    found = world.call(client_of(world, name).groups.get, group_id_of(world, group))
    assert (found["name"], found["subject"], found["image"], found["type"]) == (title, subject, image, "closed")


@then(parsers.re(r'the participants of (?P<name>\w+)\'s group "(?P<group>[^"]+)" are (?P<members>[\w, ]+)$'))
def participants(world: World, name: str, group: str, members: str) -> None:
    found = world.call(client_of(world, name).groups.getParticipants, group_id_of(world, group))
    assert sorted(found) == sorted(uid(world, m) for m in names(members)), found


@then(parsers.re(r'(?P<name>\w+) is the administrator of the group "(?P<group>[^"]+)"'))
def is_admin(world: World, name: str, group: str) -> None:
    found = world.call(client_of(world, name).groups.get, group_id_of(world, group))
    admins = [p["address"] for p in found["participants"] if p["isAdmin"]]
    assert admins == [uid(world, name)], found


@given(parsers.re(r'(?P<name>\w+) accepted the invitation to the group "(?P<group>[^"]+)"'))
def accepted(world: World, name: str, group: str) -> None:
    mark = world.actor(name).recorder.mark  # also called by other steps: wait from here
    world.call(client_of(world, name).groups.acceptInvitation, group_id_of(world, group))
    assert "error" not in world.wait_event(name, "group:change", since=mark)


@when(parsers.re(r'(?P<name>\w+) (?P<action>accepts|rejects) the invitation to the group "(?P<group>[^"]+)"'))
def answer_invitation(world: World, name: str, action: str, group: str) -> None:
    namespace = client_of(world, name).groups
    operation = namespace.acceptInvitation if action == "accepts" else namespace.rejectInvitation
    world.call(operation, group_id_of(world, group))


@when(parsers.re(r'(?P<name>\w+) leaves the group "(?P<group>[^"]+)"'))
def leave_group(world: World, name: str, group: str) -> None:
    world.call(client_of(world, name).groups.leave, group_id_of(world, group))


@when(parsers.re(r'(?P<name>\w+) adds (?P<other>\w+) to the group "(?P<group>[^"]+)"'))
def add_participant(world: World, name: str, other: str, group: str) -> None:
    world.call(client_of(world, name).groups.addParticipant, group_id_of(world, group), uid(world, other))


@when(parsers.re(r'(?P<name>\w+) removes (?P<other>\w+) from the group "(?P<group>[^"]+)"'))
def remove_participant(world: World, name: str, other: str, group: str) -> None:
    world.call(client_of(world, name).groups.removeParticipant, group_id_of(world, group), uid(world, other))


@when(parsers.re(r'(?P<name>\w+) deletes the group "(?P<group>[^"]+)"'))
def delete_group(world: World, name: str, group: str) -> None:
    world.call(client_of(world, name).groups.delete, group_id_of(world, group))


@when(parsers.re(r'(?P<name>\w+) tries to (?P<operation>add \w+ to|remove \w+ from|delete) the group '
                 r'"(?P<group>[^"]+)"'))
def try_admin_operation(world: World, name: str, operation: str, group: str) -> None:
    verb, *rest = operation.split()
    if verb == "add":
        add_participant(world, name, rest[0], group)
    elif verb == "remove":
        remove_participant(world, name, rest[0], group)
    else:
        delete_group(world, name, group)


@then(parsers.re(r'(?P<name>\w+) sees (?P<other>\w+) as "(?P<status>\w+)" in the group "(?P<group>[^"]+)"'))
def sees_participant(world: World, name: str, other: str, status: str, group: str) -> None:
    group_id, address = group_id_of(world, group), uid(world, other)

    def shown(params: dict[str, Any]) -> bool:
        found = client_of(world, name).groups.get(group_id)
        return params.get("id") == group_id and found is not None and \
            any(p["address"] == address and p["status"] == status for p in found["participants"])

    world.wait_event(name, "group:change", shown,
                     expected=f"{name} to see {other} as {status!r} in the group {group!r}")


@then(parsers.re(r'(?P<name>\w+) no longer sees (?P<other>\w+) in the group "(?P<group>[^"]+)"'))
def no_longer_sees(world: World, name: str, other: str, group: str) -> None:
    group_id, address = group_id_of(world, group), uid(world, other)

    def gone(params: dict[str, Any]) -> bool:
        found = client_of(world, name).groups.get(group_id)
        return params.get("id") == group_id and found is not None and \
            all(p["address"] != address for p in found["participants"])

    world.wait_event(name, "group:change", gone, expected=f"{name} to no longer see {other} in the group {group!r}")


@when(parsers.re(r"(?P<name>\w+) fetches the groups"))
def fetch_groups(world: World, name: str) -> None:
    world.call(client_of(world, name).groups.fetch)
