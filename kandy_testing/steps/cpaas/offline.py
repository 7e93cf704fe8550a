"""A CPaaS user offline and back: notifications held by the platform meanwhile."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from fake_platform.core.faults import FaultKind

from ...world import World
from .support import channels_of, uid


# -- offline -----------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) goes offline"))
def goes_offline(world: World, name: str) -> None:
    assert world.platform is not None
    fault = world.call(world.platform.faults.add, FaultKind.REFUSE_UPGRADES, duration=60,
                       match={"user": uid(world, name)})
    world.actor(name).state.offline_fault = fault.id
    assert world.run(world.platform.drop_sockets(user=uid(world, name))) == 1


@then(parsers.re(r"the platform holds (?P<count>\d+) notifications for (?P<name>\w+)"))
def platform_holds(world: World, count: str, name: str) -> None:
    held = world.call(lambda: sum(c["buffered"] for c in channels_of(world, name)))
    assert held == int(count), f"{held} notifications held for {name}"


@when(parsers.re(r"(?P<name>\w+) comes back online"))
def comes_back(world: World, name: str) -> None:
    assert world.platform is not None
    actor = world.actor(name)
    assert actor.state.offline_fault is not None, f"{name} did not go offline"
    world.call(world.platform.faults.remove, actor.state.offline_fault)
    actor.state.offline_fault = None
    world.wait_event(name, "ws:change", lambda p: p.get("state") == "connected",
                     expected=f"{name}'s websocket to be connected again")
