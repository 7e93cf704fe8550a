"""CPaaS users: signed-in clients subscribed to services, second devices."""

from __future__ import annotations

from pytest_bdd import given, parsers

from ...clients import Product
from ...world import World, sets_up
from ..common import names
from .support import CLIENT_CONFIG


# -- users and clients -------------------------------------------------------------------------
@given(parsers.re(r'(?P<who>[\w, ]+?) (?:is a cpaas user|are cpaas users) subscribed to "(?P<services>[^"]*)"'))
@sets_up
def cpaas_users(world: World, who: str, services: str) -> None:
    """Each one signed in and subscribed to exactly the services named."""
    for name in names(who):
        world.create_client(name, Product.CPAAS, config=CLIENT_CONFIG)
        world.sign_in(name)
        world.call(world.actor(name).client.services.subscribe, names(services))
        subscribed = world.call(world.actor(name).client.services.getSubscriptions)["subscribed"]
        assert sorted(subscribed) == sorted(names(services)), f"{name}: {subscribed}"


@given(parsers.re(r'(?P<name>\w+) has a second cpaas client "(?P<device>\w+)" subscribed to "(?P<services>[^"]*)"'))
@sets_up
def second_device(world: World, name: str, device: str, services: str) -> None:
    """Another CPaaS client of the same user, signed in and subscribed to the services named."""
    world.users[device] = world.user(name)
    cpaas_users(world, device, services)
