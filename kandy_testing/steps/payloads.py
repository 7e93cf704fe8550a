"""Steps that check an event's payload has its documented fields (issue 14: an event emitted with an
empty payload must fail a scenario; ``make knockout`` empties each event in turn to check)."""

from __future__ import annotations

from pytest_bdd import parsers, then

from ..world import World

EMPTY = (None, "", [], {})


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" with the fields (?P<fields>\w+(?:, \w+)*)$'))
def receives_with_fields(world: World, name: str, event: str, fields: str) -> None:
    wanted = [f.strip() for f in fields.split(",")]
    params = world.wait_event(name, event)
    missing = [f for f in wanted if params.get(f) in EMPTY]
    assert not missing, f"{name}'s {event} lacks {missing} (documented fields {wanted}): {params}"
