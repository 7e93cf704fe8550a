"""Steps about the SDK skeleton: configuration, events API, logger, versions and destroy."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pytest_bdd import given, parsers, then, when

from sdk.config import lookup
from sdk.errors import BasicError
from sdk.logger import LogEntry
from sdk.version import __version__

from ..clients import Product
from ..inventory import documented_defaults
from ..scenario import Listeners
from ..world import World
from .common import names, parse_value
from .values import PRODUCT

ME = "I"


def _dotted(key: str, value: Any) -> dict[str, Any]:
    result: Any = value
    for part in reversed(key.split(".")):
        result = {part: result}
    return result


def _current(world: World) -> str:
    return world.scenario.current


# -- configuration -----------------------------------------------------------------------------
@when(parsers.parse("I create a {product} client with an empty configuration"), converters={"product": PRODUCT})
def create_empty(world: World, product: str) -> None:
    world.create_client(ME, product, with_user=False, raw_config={})
    world.scenario.current = ME


@when(parsers.parse('I create a {product} client with "{key}" set to {value}'), converters={"product": PRODUCT})
def create_with_value(world: World, product: str, key: str, value: str) -> None:
    world.create_client(ME, product, config=_dotted(key, parse_value(value)), with_user=False)
    world.scenario.current = ME


@then(parsers.parse("every documented configuration key of {product} has its documented default"),
      converters={"product": PRODUCT})
def documented_defaults_hold(world: World, product: str) -> None:
    config = world.call(world.actor(_current(world)).client.getConfig)
    mismatches = []
    for key, default in documented_defaults(product).items():
        parent = key.rsplit(".", 1)[0]
        if parent != key and lookup(config, parent) is False:
            continue  # a section documented as `false` by default (Link logs.logActions): no children
        actual = lookup(config, key, "<missing>")
        if actual != default:
            mismatches.append((key, default, actual))
    assert not mismatches, f"keys whose value is not the documented default: {mismatches}"


@then(parsers.parse('the configuration value "{key}" is {value}'))
def config_value(world: World, key: str, value: str) -> None:
    config = world.call(world.actor(_current(world)).client.getConfig)
    assert lookup(config, key, "<missing>") == parse_value(value), f"{key} = {lookup(config, key, '<missing>')!r}"


@when(parsers.parse("{name} updates the configuration with {values}"))
def update_config(world: World, name: str, values: str) -> None:
    world.call(world.actor(name).client.updateConfig, parse_value(values))
    world.scenario.current = name


@then(parsers.parse("{name}'s getVersion returns the package version"))
def get_version(world: World, name: str) -> None:
    assert world.call(world.actor(name).client.getVersion) == __version__


@then(parsers.parse('{name}\'s getBrowserDetails names the browser "{browser}" with a version'))
def browser_details(world: World, name: str, browser: str) -> None:
    details = world.call(world.actor(name).client.getBrowserDetails)
    assert details["browser"] == browser and details["version"], details


@then(parsers.parse("{name}'s user info has her user name and her access token"))
def user_info_tokens(world: World, name: str) -> None:
    actor = world.actor(name)
    info = world.call(actor.client.getUserInfo)
    assert info["username"] == actor.user.user_id, info
    assert info["token"] and info["token"].count(".") == 2, info


@when(parsers.parse('{name} calls setTokens with an idToken "{token}"'))
def set_bad_tokens(world: World, name: str, token: str) -> None:
    world.attempt(world.actor(name).client.setTokens, {"accessToken": "abc", "idToken": token})


@then(parsers.parse('calling getConfig on {name}\'s client raises a BasicError whose message mentions "{text}"'))
def destroyed_get_config(world: World, name: str, text: str) -> None:
    world.attempt(world.actor(name).client.getConfig)
    assert isinstance(world.last_error, BasicError) and text in world.last_error.message, world.last_error


# -- events ------------------------------------------------------------------------------------
@when(parsers.parse('{name} calls on with the event type "{event}"'))
def call_on(world: World, name: str, event: str) -> None:
    world.attempt(world.actor(name).client.on, event, lambda params: None)


@when(parsers.parse('{name} calls off with the event type "{event}"'))
def call_off(world: World, name: str, event: str) -> None:
    world.attempt(world.actor(name).client.off, event, lambda params: None)


@when(parsers.parse("{name} calls {method} with a listener that is not a function"))
def call_with_non_function(world: World, name: str, method: str) -> None:
    world.attempt(getattr(world.actor(name).client, method), "not a function")


def _received(world: World) -> Listeners:
    return world.scenario.listeners


@given(parsers.parse('{name} listens to "{event}" with a listener that raises'))
def raising_listener(world: World, name: str, event: str) -> None:
    def listener(params: dict[str, Any]) -> None:
        raise RuntimeError("listener failure on purpose")

    world.call(world.actor(name).client.on, event, listener)


@given(parsers.parse('{name} listens to "{event}" with a sync listener'))
def sync_listener(world: World, name: str, event: str) -> None:
    received = _received(world)

    def listener(params: dict[str, Any]) -> None:
        received.add("sync", event, params)

    received.removable = (event, listener)
    world.call(world.actor(name).client.on, event, listener)


@given(parsers.parse('{name} listens to "{event}" with an async listener'))
def async_listener(world: World, name: str, event: str) -> None:
    received = _received(world)

    async def listener(params: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        received.add("async_", event, params)

    world.call(world.actor(name).client.on, event, listener)


@given(parsers.parse("{name} adds a global listener"))
def global_listener(world: World, name: str) -> None:
    received = _received(world)

    def listener(event: str, params: dict[str, Any]) -> None:
        received.add("global_", event, params)

    received.global_listener = listener
    world.call(world.actor(name).client.subscribe, listener)


@when(parsers.parse("{name} removes that listener with off"))
def remove_listener(world: World, name: str) -> None:
    assert world.scenario.listeners.removable is not None, "no sync listener to remove"
    event, listener = world.scenario.listeners.removable
    world.scenario.listeners.heard_before_removal["sync"] = len(_received(world).sync)
    world.call(world.actor(name).client.off, event, listener)


@when(parsers.parse("{name} removes the global listener with unsubscribe"))
def remove_global_listener(world: World, name: str) -> None:
    received = _received(world)
    received.heard_before_removal["global"] = len(received.global_)
    world.call(world.actor(name).client.unsubscribe, received.global_listener)


def _heard(world: World, kind: str) -> list[tuple[str, Any]]:
    return list(getattr(_received(world), "sync" if kind == "sync" else "global_"))


@then(parsers.re(r'the (?P<kind>sync|global) listener received "(?P<event>[^"]+)"$'))
def listener_received(world: World, kind: str, event: str) -> None:
    """The recorder (a global listener since the client's creation) hears each event in the same
    delivery as the other listeners: once it has the event, so must the listener."""
    name = next(iter(world.actors))
    _received(world).checked_event = event
    params = world.wait_event(name, event)
    assert (event, params) in _heard(world, kind), (
        f"the {kind} listener did not receive the {event} event {params}; it received {_heard(world, kind)}")


@then(parsers.re(r"the (?P<kind>sync|global) listener received nothing more$"))
def listener_received_nothing_more(world: World, kind: str) -> None:
    name = next(iter(world.actors))
    received = _received(world)
    assert received.checked_event is not None, "check first that the listener received an event"
    world.wait_event(name, received.checked_event)  # emitted again after the removal...
    late = _heard(world, kind)[received.heard_before_removal[kind]:]
    assert late == [], f"the {kind} listener was removed, yet it received {late}"  # ...and not heard


@then(parsers.parse('the sync, async and global listeners each received "{event}"'))
def all_received(world: World, event: str) -> None:
    received = _received(world)
    name = next(iter(world.actors))

    # Delivery order: the recorder hears the event's final state after the sync listener did;
    # async listeners run as tasks, so they get their own bounded wait.
    world.wait_event(name, event, lambda p: p.get("isPending") is False)
    world.run(received.changes.until(lambda: True if received.async_ else None, timeout=world.timeout,
                                      expected=f"the async listener to receive {event!r}"))
    for kind in ("sync", "async_", "global_"):
        got = getattr(received, kind)
        assert any(e == event for e, _ in got), f"{kind.rstrip('_')} listener got {got}"


# -- logger ------------------------------------------------------------------------------------
@when(parsers.parse('I create a {product} client with log level "{level}" and a recording log handler'),
      converters={"product": PRODUCT})
def create_with_level(world: World, product: str, level: str) -> None:
    world.create_client(ME, product, config={"logs": {"logLevel": level}}, with_user=False)
    world.scenario.current = ME


@when("the client logs one entry at each level")
def log_each_level(world: World) -> None:
    log = world.actor(_current(world)).client.log_for("Probe", "p1")
    for method in ("debug", "info", "warn", "error"):
        world.call(getattr(log, method), f"probe {method}")


def _probe_entries(world: World) -> list[LogEntry]:
    return [e for e in world.actor(_current(world)).logs if e.target.get("type") == "Probe"]


@then(parsers.parse("the handler received entries at the levels {levels}"))
def levels_received(world: World, levels: str) -> None:
    expected = [] if levels.strip() == "none" else names(levels)
    assert [e.level for e in _probe_entries(world)] == expected


@then("every recorded entry has a timestamp, a method, a level, a target with type, id and name, and messages")
def entry_fields(world: World) -> None:
    entries = _probe_entries(world)
    assert entries
    for entry in entries:
        assert isinstance(entry.timestamp, int) and entry.timestamp > 1_600_000_000_000
        assert entry.method in ("debug", "info", "warn", "error") and entry.level == entry.method
        assert entry.target == {"type": "Probe", "id": "p1", "name": "Probe/p1"}
        assert entry.messages == [f"probe {entry.method}"]


@when("the client times an operation")
def time_operation(world: World) -> None:
    log = world.actor(_current(world)).client.log_for("Probe", "p1")
    world.call(log.time, "op")
    world.call(log.timeEnd, "op")


@then(parsers.parse('the last recorded entry has method "{method}" and a timer with a duration'))
def timer_entry(world: World, method: str) -> None:
    entry = _probe_entries(world)[-1]
    assert entry.method == method and entry.timer is not None and entry.timer["duration"] >= 0


@when(parsers.parse("I create a link client with action logs {options} and a recording action handler"))
def create_with_actions(world: World, options: str) -> None:
    actions = world.scenario.actions
    config = {"logs": {"logLevel": "debug", "logActions": {**parse_value(options), "handler": actions.append}}}
    world.create_client(ME, Product.LINK, config=config, with_user=False)
    world.scenario.current = ME


@when("the client updates its configuration")
def client_updates_config(world: World) -> None:
    world.call(world.actor(_current(world)).client.updateConfig, {"call": {"earlyMedia": True}})


@then(parsers.parse('the action handler received an action "{action}" {details}'))
def action_logged(world: World, action: str, details: str) -> None:
    actions = world.scenario.actions
    entries = [e for e in actions if e.messages and e.messages[0] == f"action {action}"]
    assert entries, [e.messages for e in actions]
    entry = entries[-1]
    if details == "collapsed into one summary line":
        assert entry.messages == [f"action {action}"]
        return
    body = entry.messages[1]
    if "without payload" in details:
        assert "payload" not in body["action"]
    if "with payload" in details:
        assert body["action"]["payload"] == {"call": {"earlyMedia": True}}
    if "without state" in details:
        assert "nextState" not in body
    if "with state" in details:
        assert "nextState" in body and "prevState" in body
    if "with a diff" in details:
        assert isinstance(body["diff"], list)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@when(parsers.parse('I create a cpaas client with log level "{level}", flatten on and the default handler'))
def create_flatten(world: World, level: str) -> None:
    capture = _Capture()
    sdk_logger = logging.getLogger("sdk")
    sdk_logger.addHandler(capture)
    sdk_logger.setLevel(logging.DEBUG)
    world.scenario.capture = capture
    actor = world.create_client(ME, Product.CPAAS, config={"logs": {"logLevel": level, "flatten": True}},
                                with_user=False)
    world.call(actor.client.updateConfig, {"logs": {"handler": None}})
    world.scenario.current = ME


@when("the client logs an object")
def log_object(world: World) -> None:
    log = world.actor(_current(world)).client.log_for("Probe")
    world.call(log.info, "payload", {"a": 1})


@then("the Python log line shows the object as JSON text")
def python_line(world: World) -> None:
    capture = world.scenario.capture
    assert isinstance(capture, _Capture), "no Python log capture in this scenario"
    logging.getLogger("sdk").removeHandler(capture)
    assert any('payload {"a": 1}' in line for line in capture.lines), capture.lines[-5:]
