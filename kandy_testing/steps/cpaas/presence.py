"""CPaaS presence: own status, watched users, fetch/get/getAll, unsubscribing."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from sdk.cpaas.presence import activities, statuses

from ...world import World
from ..common import names
from ..values import PRESENCE_ACTIVITY, PRESENCE_STATUS
from .support import channels_of, client_of, uid

# -- presence ----------------------------------------------------------------------------------
PRESENCE = {"status": PRESENCE_STATUS, "activity": PRESENCE_ACTIVITY}


def _presence_value(namespace: type, text: str) -> str:
    """A quoted value as it is (to try a wrong one), else a checked constant's value."""
    if text.startswith('"'):
        return text.strip('"')
    checked = PRESENCE_STATUS(text) if namespace is statuses else PRESENCE_ACTIVITY(text)
    return str(getattr(namespace, str(checked)))


@then(parsers.re(r"the presence (?P<kind>statuses|activities) are:"))
def presence_constants(world: World, kind: str, datatable: list[list[str]]) -> None:
    namespace = getattr(next(iter(world.actors.values())).client.presence, kind)
    assert {row[0]: getattr(namespace, row[0]) for row in datatable} == dict(datatable)


@given(parsers.re(r"(?P<name>\w+) subscribes to the presence of (?P<others>[\w, ]+)$"))
@when(parsers.re(r"(?P<name>\w+) subscribes to the presence of (?P<others>[\w, ]+)$"))
def presence_subscribe(world: World, name: str, others: str) -> None:
    world.call(client_of(world, name).presence.subscribe, [uid(world, o) for o in names(others)])


@when(parsers.re(r"(?P<name>\w+) unsubscribes from the presence of (?P<others>[\w, ]+)$"))
def presence_unsubscribe(world: World, name: str, others: str) -> None:
    world.call(client_of(world, name).presence.unsubscribe, [uid(world, o) for o in names(others)])
    world.actor(name).state.notifications_sent = world.call(lambda: sum(c["sent"] for c in channels_of(world, name)))


@when(parsers.re(r'(?P<name>\w+) updates (?:her|his) presence to (?P<status>"[^"]+"|\w+) and (?P<activity>\w+)'
                 r'(?: with the note "(?P<note>[^"]*)")?$'))
def presence_update(world: World, name: str, status: str, activity: str, note: str | None) -> None:
    args = [_presence_value(statuses, status), _presence_value(activities, activity)] + ([note] if note else [])
    world.attempt(client_of(world, name).presence.update, *args)
    assert world.last_error is None or status.startswith('"'), world.last_error


@given(parsers.re(r"(?P<name>\w+) updated (?:her|his) presence to (?P<status>\w+) and (?P<activity>\w+)$"),
       converters=PRESENCE)
def presence_updated(world: World, name: str, status: str, activity: str) -> None:
    world.call(client_of(world, name).presence.update, getattr(statuses, status), getattr(activities, activity))
    world.wait_event(name, "presence:selfChange", expected=f"{name} to receive her own presence change")


@then(parsers.re(r"(?P<name>\w+)'s own presence is (?P<status>\w+) and (?P<activity>\w+)$"),
       converters=PRESENCE)
def own_presence(world: World, name: str, status: str, activity: str) -> None:
    own = world.call(client_of(world, name).presence.getSelf)
    assert (own["userId"], own["status"], own["activity"]) == \
        (uid(world, name), getattr(statuses, status), getattr(activities, activity)), own


@then(parsers.re(r'(?P<name>\w+)\'s own presence has the note "(?P<note>[^"]*)"'))
def own_note(world: World, name: str, note: str) -> None:
    assert world.call(client_of(world, name).presence.getSelf)["note"] == note


@then(parsers.re(r"(?P<name>\w+) sees (?P<other>\w+)'s presence as (?P<status>\w+) and (?P<activity>\w+)"
                 r'(?: with the note "(?P<note>[^"]*)")?$'), converters=PRESENCE)
def sees_presence(world: World, name: str, other: str, status: str, activity: str, note: str | None) -> None:
    wanted = {"userId": uid(world, other), "status": getattr(statuses, status),
              "activity": getattr(activities, activity), "note": note}
    world.wait_event(name, "presence:change", lambda p: p == wanted,
                     expected=(f"{name} to see {other}'s presence as {status} and {activity}" +
                               (f" with the note {note!r}" if note else "")))
    assert world.call(client_of(world, name).presence.get, uid(world, other)) == wanted


@when(parsers.re(r'(?P<name>\w+) fetches the presence of (?:"(?P<address>[^"]+)"|(?P<others>[\w, ]+))$'))
def presence_fetch(world: World, name: str, address: str | None, others: str | None) -> None:
    users = [address] if address else [uid(world, o) for o in names(str(others))]
    world.call(client_of(world, name).presence.fetch, users)


@then(parsers.re(r"(?P<name>\w+)'s presence get for (?P<other>\w+) is (?P<status>\w+) and (?P<activity>\w+)$"),
       converters=PRESENCE)
def presence_get(world: World, name: str, other: str, status: str, activity: str) -> None:
    found = world.call(client_of(world, name).presence.get, uid(world, other))
    assert (found["status"], found["activity"]) == (getattr(statuses, status), getattr(activities, activity))


@then(parsers.re(r"(?P<name>\w+)'s presence get for (?P<others>[\w, ]+) lists (?P<count>\d+) users"))
def presence_get_many(world: World, name: str, others: str, count: str) -> None:
    found = world.call(client_of(world, name).presence.get, [uid(world, o) for o in names(others)])
    assert len(found) == int(count), found


@then(parsers.re(r"(?P<name>\w+)'s presence getAll lists (?P<others>[\w, ]+)$"))
def presence_get_all(world: World, name: str, others: str) -> None:
    found = {p["userId"] for p in world.call(client_of(world, name).presence.getAll)}
    assert found == {uid(world, o) for o in names(others)}, found


@then(parsers.re(r"the platform sent (?P<name>\w+) no notification since (?:she|he) unsubscribed"))
def no_notification_since(world: World, name: str) -> None:
    now = world.call(lambda: sum(c["sent"] for c in channels_of(world, name)))
    assert now == world.actor(name).state.notifications_sent, f"{now} notifications sent to {name}"
