"""CPaaS user directory: search, paging, fetch and the documented User fields."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from ...scenario import Search
from ...world import World, sets_up
from ..common import names
from .support import client_of, phone, uid


# -- directory ---------------------------------------------------------------------------------
@given("the directory has these users:")
@sets_up
def directory_users(world: World, datatable: list[list[str]]) -> None:
    """Platform users with these first and last names (no clients)."""
    assert world.platform is not None
    header, *rows = datatable
    for row in rows:
        fields = dict(zip(header, row, strict=True))
        world.users[fields["firstName"]] = world.run(world.platform.users.create(
            first_name=fields["firstName"], last_name=fields["lastName"]))


def _search(world: World, name: str, filters: dict[str, Any], options: dict[str, Any]) -> None:
    world.scenario.search = Search(filters, options)
    world.attempt(client_of(world, name).user.search, filters, options)


@when(parsers.re(r"(?P<name>\w+) fetches the directory entry of (?P<other>\w+)"))
def fetch_user(world: World, name: str, other: str) -> None:
    world.call(client_of(world, name).user.fetch, uid(world, other))


@when(parsers.re(r"(?P<name>\w+) fetches (?:her|his) own directory entry"))
def fetch_self(world: World, name: str) -> None:
    world.call(client_of(world, name).user.fetchSelfInfo)


@when(parsers.re(r'(?P<name>\w+) searches the directory for (?P<field>\w+) "(?P<value>[^"]+)" sorted by '
                 r"(?P<sort>\w+)(?: (?P<order>asc|desc))?(?:, (?P<page>\d+) at a time)?$"))
def search(world: World, name: str, field: str, value: str, sort: str, order: str | None, page: str | None) -> None:
    if value.endswith("'s number"):
        value = phone(world, value[: -len("'s number")])
    options: dict[str, Any] = {"sortBy": sort}
    if order:
        options["order"] = order
    if page:
        options["max"] = int(page)
    _search(world, name, {field: value}, options)


@when(parsers.re(r"(?P<name>\w+) asks for the next page"))
def next_page(world: World, name: str) -> None:
    search = world.scenario.search
    assert search is not None, f"{name} has not searched the directory"
    _search(world, name, search.filters, {**search.options, "next": search.next_page})


@then(parsers.re(r'(?P<name>\w+) receives "directory:change" with the results "(?P<people>[^"]*)"'
                 r"(?: and (?P<paging>a|no) next page)?$"))
def directory_results(world: World, name: str, people: str, paging: str | None) -> None:
    assert world.last_error is None, world.last_error
    params = world.wait_event(name, "directory:change",
                              expected=f"{name} to receive 'directory:change' with the results {people!r}")
    found = [f"{u['firstName']} {u['lastName']}" for u in params["results"]]
    assert found == names(people), found
    if paging is not None:
        assert ("next" in params) == (paging == "a"), params
        assert world.scenario.search is not None
        world.scenario.search.next_page = params.get("next")


@then(parsers.re(r"(?P<name>\w+)'s user get for (?P<other>\w+) has the documented User fields"))
def user_fields(world: World, name: str, other: str) -> None:
    user = world.call(client_of(world, name).user.get, uid(world, other))
    person = world.user(other)
    assert (user["userId"], user["firstName"], user["lastName"], user["emailAddress"]) == \
        (person.user_id, person.first_name, person.last_name, person.email), user
    assert user["photoURL"].startswith("https://") and user["buddy"] in ("true", "false"), user


@then(parsers.re(r"(?P<name>\w+)'s user getAll lists (?P<others>[\w, ]+)$"))
def users_get_all(world: World, name: str, others: str) -> None:
    found = {u["userId"] for u in world.call(client_of(world, name).user.getAll)}
    assert found == {uid(world, o) for o in names(others)}, found


@then(parsers.re(r'(?P<name>\w+)\'s user get for (?P<other>\w+) says buddy "(?P<buddy>true|false)"'))
def user_buddy(world: World, name: str, other: str, buddy: str) -> None:
    world.wait_event(name, "directory:change")
    assert world.call(client_of(world, name).user.get, uid(world, other))["buddy"] == buddy
