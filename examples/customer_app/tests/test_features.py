"""The app's Gherkin scenarios: the plugin's step library plus the app's own step."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd import parsers, scenarios, when
from support_line import SupportLine

scenarios(str(Path(__file__).resolve().parent.parent / "features"))


@when(parsers.parse('{name}\'s support line calls the IVR and keys in the PIN "{pin}"'))
def support_line_pin(world, name: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    actor = world.actor(name)
    line = SupportLine(actor.client, "ivr@example.com")
    actor.call_id = world.run(line.call_and_enter_pin(pin))
