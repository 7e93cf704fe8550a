"""Steps about Link push notifications: registration, the emulated APNs / FCM outbox, process(),
the websocket switch, de-duplication, and connection outages that lose notifications."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pytest_bdd import given, parsers, then, when

from fake_platform.core.faults import FaultKind
from sdk.notifications import Outcome

from ..clients import Product
from ..scenario import PushSystem
from ..waiting import WaitTimeout
from ..world import Actor, World, sets_up
from .common import names, parse_value
from .values import PUSH_ENVIRONMENT, PUSH_PROVIDER, PUSH_STATUS, PUSH_SYSTEM, PushEnvironment, PushProvider, PushStatus

DEFAULT_BUNDLE = "com.example.kandyapp"


def _user_id(world: World, name: str) -> str:
    return world.actor(name).user.user_id


def _channel_id(actor: Actor) -> str:
    info = actor.client.session.info  # type: ignore[attr-defined]
    assert info is not None, f"{actor.name} has no Link subscription"
    return str(info.channel_id)


def _connect(world: World, actor: Actor) -> None:
    world.call(actor.client.connect, actor.credentials())


def _wait_outcome(world: World, name: str, predicate: Callable[[Outcome], bool], expected: str) -> Outcome:
    """The first outcome of a notification to ``name``'s router after the cause matching ``predicate``."""
    waiting = world.actor(name).recorder.wait_outcome(predicate, timeout=world.timeout, expected=expected)
    return world.run(waiting, world.timeout + 5)


# -- clients -----------------------------------------------------------------------------------
@given(parsers.re(r"(?P<name>\w+) is connected to link with (?P<config>\{.*\})$"))
@sets_up
def link_ready_with(world: World, name: str, config: str) -> None:
    """Connected to Link with that configuration merged into the client's."""
    _connect(world, world.create_client(name, Product.LINK, config=parse_value(config)))


@given(parsers.re(r"(?P<device>\w+) is another link device of (?P<owner>\w+)(?: with (?P<config>\{.*\}))?$"))
@sets_up
def second_device(world: World, device: str, owner: str, config: str | None) -> None:
    """Another Link client of the same user (a second device), connected."""
    world.users[device] = world.user(owner)  # same platform user, its own client and tone
    _connect(world, world.create_client(device, Product.LINK, config=parse_value(config) if config else None))


@when(parsers.parse("{name} disconnects"))
def disconnects(world: World, name: str) -> None:
    world.call(world.actor(name).client.disconnect)


@when(parsers.parse("{name} connects again"))
def connects_again(world: World, name: str) -> None:
    _connect(world, world.actor(name))


# -- registration ------------------------------------------------------------------------------
def _register(world: World, name: str, system: PushSystem, token: str, services: str | None, env: str | None) -> None:
    actor = world.actor(name)
    wanted = names(services) if services else ["call"]
    params: dict[str, Any] = {"services": wanted, "bundleId": DEFAULT_BUNDLE, "clientCorrelator": f"{name}-{system}",
                              "realm": "kandy-test"}
    if system is PushSystem.APPLE:
        if "call" in wanted:
            params["voipDeviceToken"] = token
        if any(s != "call" for s in wanted):
            params["standardDeviceToken"] = f"{token}-standard" if "call" in wanted else token
        params["isProduction"] = env != "sandbox"
        register = actor.client.notification.registerApplePush  # type: ignore[attr-defined]
    else:
        params["deviceToken"] = token
        register = actor.client.notification.registerAndroidPush  # type: ignore[attr-defined]
    actor.state.push_registrations[system] = world.attempt(register, params)


_REGISTER = (r"(?P<name>\w+) (?P<tries>tries to register|registers) for (?P<system>\w+) push with "
             r"(?:VoIP )?token \"(?P<token>[^\"]+)\"(?: for \"(?P<services>[^\"]+)\")?"
             r"(?: in (?P<env>production|sandbox))?$")


@given(parsers.re(_REGISTER), converters={"system": PUSH_SYSTEM})
@when(parsers.re(_REGISTER), converters={"system": PUSH_SYSTEM})
def register(world: World, name: str, tries: str, system: PushSystem, token: str, services: str | None,
             env: str | None) -> None:
    push_system = system
    _register(world, name, push_system, token, services, env)
    if tries == "registers":
        assert world.last_error is None, world.last_error
        registration = world.actor(name).state.push_registrations[push_system]
        assert isinstance(registration, str) and f"/push/{push_system.path_segment}/devices/" in registration, \
            registration


@when(parsers.re(r"(?P<name>\w+) unregisters from (?P<system>\w+) push$"), converters={"system": PUSH_SYSTEM})
def unregister(world: World, name: str, system: PushSystem) -> None:
    actor = world.actor(name)
    client = actor.client
    registration = actor.state.push_registrations[system]
    fn = client.notification.unregisterApplePush if system == PushSystem.APPLE \
        else client.notification.unregisterAndroidPush  # type: ignore[attr-defined]
    assert world.call(fn, registration) is None


@then(parsers.re(r"the platform has (?P<count>no|\d+) push registrations? for (?P<name>\w+)$"))
def registrations_for(world: World, count: str, name: str) -> None:
    assert world.platform is not None
    found = world.platform.push.registrations(_user_id(world, name))
    assert len(found) == (0 if count == "no" else int(count)), found


@then(parsers.parse('the BasicError message mentions "{text}"'))
def error_mentions(world: World, text: str) -> None:
    assert world.last_error is not None and text in str(world.last_error), world.last_error


@then(parsers.re(r"the platform answered (?P<name>\w+)'s (?P<system>\w+) registration with status "
                 r"(?P<status>\d+) and statusCode (?P<code>\d+)$"), converters={"system": PUSH_SYSTEM})
def registration_answer(world: World, name: str, system: PushSystem, status: str, code: str) -> None:
    assert world.platform is not None
    segment = system.path_segment
    path = f"/push/{segment}/devices/$"
    entries = world.platform.journal(kind="http", method="POST", path=path, user=_user_id(world, name))
    assert entries and entries[-1]["status"] == int(status), entries
    registrations = world.platform.push.registrations(_user_id(world, name))
    assert not any(r["provider"] == segment for r in registrations)
    # The body of the error answer is what the SDK turned into its BasicError.
    assert f"statusCode {code}" in str(world.last_error), world.last_error


# -- the outbox --------------------------------------------------------------------------------
def _wait_push(world: World, expected: str, **filters: Any) -> dict[str, Any]:
    """The first push in the outbox matching ``filters`` (sent already, or within 10 s)."""
    assert world.platform is not None
    try:
        return world.run(world.platform.push.wait_for(10, **filters))
    except TimeoutError as exc:
        raise WaitTimeout(f"expected {expected} within 10 s; {exc}") from None


def _incoming_push(world: World, **filters: Any) -> dict[str, Any]:
    assert world.platform is not None
    pushes = world.platform.push.outbox(event_type="call", **filters)
    wanted = "a push of the incoming call to " + ", ".join(f"{k} {v}" for k, v in filters.items())
    record = pushes[-1] if pushes else _wait_push(world, wanted, event_type="call", **filters)
    world.scenario.incoming_event = record["notification"]["notificationMessage"]["eventId"]
    return record


@then(parsers.re(r"the push outbox has the incoming call for \"(?P<token>[^\"]+)\" via (?P<provider>\w+)"
                 r"(?: (?P<env>\w+))?$"), converters={"provider": PUSH_PROVIDER, "env": PUSH_ENVIRONMENT})
def outbox_has_call(world: World, token: str, provider: PushProvider, env: PushEnvironment | None) -> None:
    record = _incoming_push(world, token=token)
    assert record["provider"] == provider and record["status"] == "delivered", record
    assert record["pushType"] == ("voip" if provider == "apns" else "data"), record
    assert record["environment"] == (env or "production"), record
    assert record["bundleId"] == DEFAULT_BUNDLE, record


@then(parsers.re(r"the push for \"(?P<token>[^\"]+)\" is (?P<status>\w+)$"), converters={"status": PUSH_STATUS})
def push_status(world: World, token: str, status: PushStatus) -> None:
    record = _wait_push(world, f'a push to "{token}"', token=token)
    assert record["status"] == status, f'expected the push to "{token}" to be {status}; it is {record}'


@then(parsers.parse('no push was sent to "{token}"'))
def no_push(world: World, token: str) -> None:
    assert world.platform is not None
    assert world.platform.push.outbox(token=token) == []


@when(parsers.re(r"(?P<name>\w+) hands the (?P<system>\w+) push of the incoming call to process\(\)$"),
      converters={"system": PUSH_SYSTEM})
def hand_to_process(world: World, name: str, system: PushSystem) -> None:
    record = _incoming_push(world, user=_user_id(world, name), provider=system.provider)
    request = record["request"]
    if system == PushSystem.APPLE:  # the PushKit payload is the dictionary itself
        payload = request
    else:  # FCM data values are strings: the app parses the JSON first
        payload = {"notificationMessage": json.loads(request["message"]["data"]["notificationMessage"])}
    world.call(world.actor(name).client.notification.process, payload)  # type: ignore[attr-defined]


# -- channels and de-duplication ---------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+) turns websocket notifications (?P<state>on|off)$"))
@given(parsers.re(r"(?P<name>\w+) turns websocket notifications (?P<state>on|off)$"))
def websocket_switch(world: World, name: str, state: str) -> None:
    world.call(world.actor(name).client.notification.enableWebsocket, state == "on")  # type: ignore[attr-defined]


@then(parsers.re(r"(?P<name>\w+) is told the websocket channel is (?P<state>on|off)$"))
def told_channel(world: World, name: str, state: str) -> None:
    world.wait_event(name, "notifications:change",
                     lambda p: p["channel"] == "WEBSOCKET" and p["enabled"] is (state == "on"))


@then(parsers.re(r"(?P<name>\w+)'s copy of the incoming call through (?P<channel>PUSH|WEBSOCKET) is "
                 r"(?P<how>dropped as a duplicate|ignored by configuration|ignored)$"))
def copy_dropped(world: World, name: str, channel: str, how: str) -> None:
    outcome = {"dropped as a duplicate": "duplicate", "ignored by configuration": "filtered",
               "ignored": "disabled"}[how]
    if world.scenario.incoming_event is None:
        _incoming_push(world, user=_user_id(world, name))
    event_id = world.scenario.incoming_event
    _wait_outcome(world, name, lambda o: o.event_id == event_id and o.channel == channel and o.outcome == outcome,
                  f"{name}'s copy of the incoming call through {channel} to be {how}")


@then(parsers.parse("{name} received the incoming call once"))
def received_once(world: World, name: str) -> None:
    actor = world.actor(name)
    event_id = world.scenario.incoming_event
    outcomes = actor.recorder.outcomes  # over the whole scenario: accepted once, not twice
    accepted = [o for o in outcomes if o.event_id == event_id and o.outcome == "accepted"]
    assert len(accepted) == 1, outcomes
    received = actor.recorder.of("call:receive", since=0)  # over the whole scenario: once, not twice
    assert len(received) == 1, received


@then(parsers.parse("{name} has no call"))
def has_no_call(world: World, name: str) -> None:
    assert world.call(world.actor(name).client.call.getAll) == []


@then(parsers.parse("a notification sent to {name} on the websocket is ignored"))
def websocket_ignored(world: World, name: str) -> None:
    assert world.platform is not None
    actor = world.actor(name)
    kind = f"probe-{actor.recorder.mark}"  # an event type of its own, to find its fate
    delivered = world.call(world.platform.notify, _user_id(world, name), {"eventType": kind}, product=Product.LINK)
    assert delivered >= 1
    _wait_outcome(world, name, lambda o: o.kind == kind and o.channel == "WEBSOCKET" and o.outcome == "disabled",
                  f"the notification sent to {name} on the websocket to be ignored")
    assert actor.recorder.find("notification:received",
                               lambda p: p["payload"]["notificationMessage"]["eventType"] == kind) is None


@given(parsers.parse("the platform delays notifications to {name} by {ms:d} ms"))
def delay_notifications(world: World, name: str, ms: int) -> None:
    assert world.platform is not None
    world.call(world.platform.faults.add, FaultKind.DELAY_NOTIFICATIONS, duration=30, ms=ms,
               match={"channel": _channel_id(world.actor(name))})


# -- outages -----------------------------------------------------------------------------------
@when(parsers.re(r"(?P<name>\w+)'s connection is cut for (?P<seconds>[\d.]+) seconds?, losing the notifications "
                 r"meanwhile$"))
def cut_connection(world: World, name: str, seconds: str) -> None:
    """Upgrades refused and notifications dropped on ``name``'s channel, then its socket dropped."""
    assert world.platform is not None
    actor = world.actor(name)
    channel = _channel_id(actor)
    for kind in (FaultKind.REFUSE_UPGRADES, FaultKind.DROP_NOTIFICATIONS):
        world.call(world.platform.faults.add, kind, duration=float(seconds), match={"channel": channel})
    dropped = world.run(world.platform.drop_sockets(channel=channel))
    assert dropped == 1, dropped


@then(parsers.parse('the platform answered {name}\'s "{method}" on "{path}" with status {status:d}'))
def platform_answered(world: World, name: str, method: str, path: str, status: int) -> None:
    assert world.platform is not None
    entries = world.platform.journal(kind="http", method=method, path=path, user=_user_id(world, name),
                                     since=world.cause_seq)
    assert entries and all(e["status"] == status for e in entries), entries
