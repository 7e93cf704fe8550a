"""What must not happen: "... receives no ... within N seconds".

A negative check looks from the latest cause (the last Given or When that acted) until N seconds
after it: an event in that window fails the check at once, whenever it came (so the check cannot
pass by starting to look after the event, nor by stopping before it could arrive).
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then

from ..world import World


def _received_message(own: str, sender: str | None = None) -> Any:
    """A ``messages:change`` of a message that reached ``own`` (from ``sender`` when given)."""
    def matches(params: dict[str, Any]) -> bool:
        got = params.get("sender")
        if got is None or "previousMessageId" in params or got == own:  # own sends carry previousMessageId
            return False
        return sender is None or got == sender.lower()

    return matches


@then(parsers.parse('{name} receives no "{event}" within {seconds:g} seconds'))
def receives_no_event(world: World, name: str, event: str, seconds: float) -> None:
    """No such event reaches the client from the cause until N seconds after it."""
    world.expect_no_event(name, event, seconds=seconds, expected=f"{name} to receive no {event!r}")


@then(parsers.parse("{name} receives no message within {seconds:g} seconds"))
def receives_no_message(world: World, name: str, seconds: float) -> None:
    """No message from anyone (a messages:change with a sender other than the client's user)."""
    own = world.actor(name).user.user_id
    world.expect_no_event(name, "messages:change", _received_message(own), seconds=seconds,
                          expected=f"{name} to receive no message")


@then(parsers.parse("{name} receives no message from {other} within {seconds:g} seconds"))
def receives_no_message_from(world: World, name: str, other: str, seconds: float) -> None:
    """No message whose sender is that user (their user id, or their number for SMS)."""
    own, person = world.actor(name).user.user_id, world.user(other)
    senders = {person.user_id.lower(), str(person.phone_number).lower()}

    def from_other(params: dict[str, Any]) -> bool:
        return _received_message(own)(params) and str(params.get("sender")).lower() in senders

    world.expect_no_event(name, "messages:change", from_other, seconds=seconds,
                          expected=f"{name} to receive no message from {other}")


@then(parsers.parse("{name} receives no call within {seconds:g} seconds"))
def receives_no_call(world: World, name: str, seconds: float) -> None:
    """No incoming call (call:receive)."""
    world.expect_no_event(name, "call:receive", seconds=seconds, expected=f"{name} to receive no call")


@then(parsers.parse('no push is sent to "{token}" within {seconds:g} seconds'))
def no_push_to_token(world: World, token: str, seconds: float) -> None:
    """The platform sends that device token no push from the cause until N seconds after it."""
    world.expect_no_push(seconds=seconds, expected=f'no push to "{token}"', token=token)


@then(parsers.re(r"no push is sent to (?P<name>\w+) within (?P<seconds>[\d.]+) seconds?$"),
      converters={"seconds": float})
def no_push_to_user(world: World, name: str, seconds: float) -> None:
    """The platform sends none of the user's push devices a push in that window."""
    world.expect_no_push(seconds=seconds, expected=f"no push to {name}'s devices", user=world.user(name).user_id)
