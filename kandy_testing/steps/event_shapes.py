"""Steps that check an event's whole documented payload: every documented field present, of its
documented type (kandy_testing/shapes.py, from the protocol notes and docs/decisions.md)."""

from __future__ import annotations

from pytest_bdd import parsers, then

from ..shapes import PAYLOADS, check
from ..world import World
from .values import Words

DOCUMENTED_EVENT = Words({event: event for event in PAYLOADS}, "documented event")
# The recorder hears an event under its canonical name (CPAAS-01: messages:changed is messages:change).
CANONICAL = {"messages:changed": "messages:change"}


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" with the documented payload$'),
      converters={"event": DOCUMENTED_EVENT})
def receives_documented_payload(world: World, name: str, event: str) -> None:
    """The first such event after the cause that is not an error fits one of its documented shapes."""
    heard = CANONICAL.get(event, event)
    about_an_error = any(shape.get("error") is not None and shape["error"].required for shape in PAYLOADS[event])
    params = world.wait_event(name, heard, None if about_an_error else lambda p: "error" not in p,
                              expected=f"{name} to receive {event!r}" + ("" if about_an_error else " without an error"))
    problems = check(event, params)
    assert not problems, f"{name}'s {event!r} does not have its documented payload: {problems}; it was {params}"
