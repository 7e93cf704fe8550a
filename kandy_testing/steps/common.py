"""Steps about the platform, users, clients and errors, shared by every feature."""

from __future__ import annotations

import json
from typing import Any

from pytest_bdd import given, parsers, then, when

from sdk.errors import BasicError

from ..clients import Product
from ..world import World, sets_up


def parse_value(text: str) -> Any:
    """A Gherkin cell as JSON when it parses (numbers, true, "strings", objects), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@given("the platform is running")
@sets_up
def platform_running(world: World) -> None:
    """A fresh platform on 127.0.0.1 (http/ws)."""
    world.start_platform()


@given(parsers.parse("the platform is running with TLS"))
@sets_up
def platform_running_tls(world: World) -> None:
    """A fresh platform over TLS (https/wss, a throw-away CA the clients trust)."""
    world.start_platform(tls=True)


@given(parsers.parse("{name} is a platform user"))
@sets_up
def platform_user(world: World, name: str) -> None:
    """A platform user of that first name, with no client."""
    world.user(name)


@given(parsers.re(r"(?P<name>\w+) has an? (?P<product>cpaas|link) client$"))
@sets_up
def has_client(world: World, name: str, product: str) -> None:
    """A client of that product for the user, not signed in or connected: no services."""
    world.create_client(name, product)


@given(parsers.re(r"(?P<name>\w+) has a link client without a platform user"))
@sets_up
def has_anonymous_client(world: World, name: str) -> None:
    """A Link client with no platform user (an anonymous CallMe caller)."""
    world.create_client(name, Product.LINK, with_user=False)


@when(parsers.parse("{name} signs in"))
@given(parsers.parse("{name} signs in"))
def signs_in(world: World, name: str) -> None:
    world.sign_in(name)


@when(parsers.parse("{name} destroys her client"))
def destroys(world: World, name: str) -> None:
    client = world.actor(name).client
    world.call(client.destroy)  # as an app would; aclose() then waits for the teardown to finish
    world.run(client.aclose())


@then(parsers.parse('the call fails with a BasicError whose code is "{code}"'))
def fails_with_code_text(world: World, code: str) -> None:
    error = _last_basic_error(world)
    assert str(error.code) == code, f"expected code {code}, got {error!r}"


@then(parsers.re(r"the call fails with a BasicError whose code is (?P<code>\d+)$"))
def fails_with_code_number(world: World, code: str) -> None:
    error = _last_basic_error(world)
    assert error.code == int(code), f"expected code {code}, got {error!r}"


@then(parsers.parse('the call fails with a BasicError whose message is "{message}"'))
def fails_with_message(world: World, message: str) -> None:
    error = _last_basic_error(world)
    assert error.message == message, f"expected message {message!r}, got {error!r}"


def _last_basic_error(world: World) -> BasicError:
    error = world.last_error
    assert error is not None, "the call did not fail"
    assert isinstance(error, BasicError), f"expected a BasicError, got {type(error).__name__}: {error}"
    return error


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)"$'))
def receives_event(world: World, name: str, event: str) -> None:
    world.wait_event(name, event)


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" with error code "(?P<code>[^"]+)"'))
def receives_event_with_error(world: World, name: str, event: str, code: str) -> None:
    params = world.wait_event(name, event, lambda p: isinstance(p.get("error"), BasicError),
                              expected=f"{name} to receive {event!r} with an error")
    assert str(params["error"].code) == code, f"expected {code}, got {params['error']!r}"


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" with (?P<key>\w+) "(?P<value>[^"]+)"'))
def receives_event_with_text(world: World, name: str, event: str, key: str, value: str) -> None:
    world.wait_event(name, event, lambda p: str(p.get(key)) == value,
                     expected=f"{name} to receive {event!r} with {key} {value!r}")


@then(parsers.re(r'(?P<name>\w+) receives "(?P<event>[^"]+)" with (?P<key>\w+) (?P<value>true|false|\d+)$'))
def receives_event_with_value(world: World, name: str, event: str, key: str, value: str) -> None:
    expected = parse_value(value)
    world.wait_event(name, event, lambda p: p.get(key) == expected,
                     expected=f"{name} to receive {event!r} with {key} {value}")


@then(parsers.re(r'an? (?P<level>[A-Z]+) log mentions "(?P<text>.*)"$'))
def log_mentions(world: World, level: str, text: str) -> None:
    entries = [e for actor in world.actors.values() for e in actor.logs]
    matching = [e for e in entries if e.level == level.lower() and any(text in str(m) for m in e.messages)]
    assert matching, f"no {level} log mentions {text!r}; logs: {[(e.level, e.messages) for e in entries][-20:]}"
