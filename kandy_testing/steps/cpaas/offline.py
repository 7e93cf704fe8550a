"""A CPaaS user offline and back: notifications held by the platform meanwhile."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from ...world import World
from .support import channels_of, uid


# -- offline -----------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) goes offline"))
def goes_offline(world: World, name: str) -> None:
    assert world.platform is not None
    fault = world.call(world.platform.faults.add, "refuse_upgrades", duration=60, match={"user": uid(world, name)})
    world.values[f"offline:{name}"] = fault.id
    assert world.run(world.platform.drop_sockets(user=uid(world, name))) == 1


@then(parsers.re(r"the platform holds (?P<count>\d+) notifications for (?P<name>\w+)"))
def platform_holds(world: World, count: str, name: str) -> None:
    held = world.call(lambda: sum(len(c.buffer) for c in channels_of(world, name)))
    assert held == int(count), f"{held} notifications held for {name}"


@when(parsers.re(r"(?P<name>\w+) comes back online"))
def comes_back(world: World, name: str) -> None:
    assert world.platform is not None
    world.call(world.platform.state.faults.remove, world.values.pop(f"offline:{name}"))
    world.wait_event(name, "ws:change", lambda p: p.get("state") == "connected")
