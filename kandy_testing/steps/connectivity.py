"""Steps about subscriptions, the notification websocket, keepalives, faults and reconnects."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from pytest_bdd import given, parsers, then, when

from fake_platform.core.faults import FaultKind
from sdk.errors import BasicError
from sdk.transport.channel import ChannelEvent

from ..clients import Product
from ..scenario import Drop
from ..world import Actor, World, sets_up
from .common import names, parse_value
from .values import CREDENTIALS, PRODUCT, Credentials

PROBE_KEY = "probeNotification"


def _loop_time(world: World) -> float:
    return world.bridge.loop.time()


def _journal_user(world: World, name: str) -> str | None:
    """The user id journal entries carry for ``name`` (None for an anonymous caller: any user)."""
    actor = world.actors.get(name)
    user = actor.account if actor is not None else world.users.get(name)
    return None if user is None else user.user_id


def _drop(world: World) -> Drop:
    assert world.scenario.drop is not None, "the platform dropped no socket in this scenario"
    return world.scenario.drop


def _connection_events(actor: Actor, kind: str, since: float = float("-inf")) -> list[ChannelEvent]:
    return [e for e in actor.client.connection_events if e.kind == kind and e.at >= since]


# -- CPaaS subscriptions -----------------------------------------------------------------------
@when(parsers.parse('{name} subscribes to the services "{services}"'))
@given(parsers.parse('{name} subscribed to the services "{services}"'))
def subscribe_services(world: World, name: str, services: str) -> None:
    world.call(world.actor(name).client.services.subscribe, names(services))


@when(parsers.parse('{name} unsubscribes from the services "{services}"'))
def unsubscribe_services(world: World, name: str, services: str) -> None:
    world.call(world.actor(name).client.services.unsubscribe, names(services))


@then(parsers.re(r'(?P<name>\w+)\'s subscriptions are "(?P<services>[^"]*)"'))
def subscriptions_are(world: World, name: str, services: str) -> None:
    subs = world.call(world.actor(name).client.services.getSubscriptions)
    assert sorted(subs["subscribed"]) == sorted(names(services)), subs


@then(parsers.parse('the available services are "{services}"'))
def available_services(world: World, services: str) -> None:
    actor = next(a for a in world.actors.values() if a.product is Product.CPAAS)
    assert world.call(actor.client.services.getSubscriptions)["available"] == names(services)


@then(parsers.parse('{name} receives "subscription:error" for the service "{service}"'))
def subscription_error_for(world: World, name: str, service: str) -> None:
    params = world.wait_event(name, "subscription:error", lambda p: p.get("service") == service,
                              expected=f"{name} to receive 'subscription:error' for the service {service!r}")
    assert isinstance(params["error"], BasicError)


@then(parsers.parse("{name} has TURN credentials from the platform"))
def has_turn(world: World, name: str) -> None:
    creds = world.actor(name).client.turn_credentials
    assert creds and world.platform is not None
    assert world.platform.turn_credentials_valid(creds["username"], creds["password"]), creds


@then(parsers.parse("the platform has no notification channel for {name}"))
def no_channel(world: World, name: str) -> None:
    assert world.platform is not None
    user = _journal_user(world, name)
    assert [c for c in world.platform.channels() if c["user"] == user] == []


# -- Link subscriptions ------------------------------------------------------------------------
def _anonymous(world: World, name: str, callee: str, *, tokens: bool = False, issued_ago: float = 0) -> None:
    actor = world.actor(name)
    account = world.users[callee].user_id if callee in world.users else callee
    realm = None
    if tokens:
        assert world.platform is not None
        issued = world.platform.wall_ms() - int(issued_ago * 1000)
        creds = world.platform.callme_credentials(account, f"sip:guest@{world.platform.domain}",
                                                  f"sip:{account}", issued_at=issued)
        account, realm = creds["accountToken"], creds["realm"]
    world.attempt(actor.client.session.start_anonymous, account, realm=realm)


@when(parsers.re(r"(?P<name>\w+) subscribes anonymously to call (?P<callee>\w+)$"))
@given(parsers.re(r"(?P<name>\w+) subscribed anonymously to call (?P<callee>\w+)$"))
def subscribe_anonymously(world: World, name: str, callee: str) -> None:
    _anonymous(world, name, callee)
    assert world.last_error is None, world.last_error


@when(parsers.re(r'(?P<name>\w+) subscribes anonymously to call "(?P<callee>[^"]+)"'))
def subscribe_anonymously_address(world: World, name: str, callee: str) -> None:
    _anonymous(world, name, callee)


@when(parsers.re(r"(?P<name>\w+) subscribes anonymously to call (?P<callee>\w+) with realm tokens$"))
def subscribe_with_tokens(world: World, name: str, callee: str) -> None:
    _anonymous(world, name, callee, tokens=True)
    assert world.last_error is None, world.last_error


@when(parsers.re(r"(?P<name>\w+) subscribes anonymously to call (?P<callee>\w+) with realm tokens "
                 r"issued (?P<hours>\d+) hours ago"))
def subscribe_with_old_tokens(world: World, name: str, callee: str, hours: str) -> None:
    _anonymous(world, name, callee, tokens=True, issued_ago=int(hours) * 3600)


@then('the platform received a "tokenrealm" query on the anonymous subscription')
def tokenrealm_query(world: World) -> None:
    assert world.platform is not None
    entries = world.platform.journal(kind="http", path=r"/anonymous/.*/subscription$")
    assert entries and all("tokenrealm" in e.get("detail", {}).get("query", {}) for e in entries), entries


@when(parsers.parse("{name} unsubscribes"))
def link_unsubscribe(world: World, name: str) -> None:
    world.run(world.actor(name).client.session.stop())


@when(parsers.parse("{name} connects with {kind} credentials"), converters={"kind": CREDENTIALS})
def link_connect(world: World, name: str, kind: Credentials) -> None:
    actor = world.actor(name)
    assert world.platform is not None
    if kind is Credentials.BASIC:
        credentials = actor.credentials()
    else:
        tokens = world.run(world.platform.tokens_for(actor.user))
        credentials = {"username": actor.user.user_id, "bearerAccessToken": tokens["access_token"]}
    world.attempt(actor.client.connect, credentials)
    assert world.last_error is None, world.last_error


@when(parsers.parse("{name} connects with a wrong password"))
def link_connect_wrong(world: World, name: str) -> None:
    actor = world.actor(name)
    world.attempt(actor.client.connect, {**actor.credentials(), "password": "wrong"})


@then(parsers.parse("{name}'s user info has his user name"))
def link_user_info(world: World, name: str) -> None:
    actor = world.actor(name)
    assert world.call(actor.client.getUserInfo)["username"] == actor.user.user_id


# -- websocket state ---------------------------------------------------------------------------
@then(parsers.parse("{name}'s websocket is connected"))
def ws_connected(world: World, name: str) -> None:
    state = world.call(world.actor(name).client.connection.getSocketState)
    assert state["connected"] is True, state


@then(parsers.parse("{name}'s websocket is not connected"))
def ws_not_connected(world: World, name: str) -> None:
    state = world.call(world.actor(name).client.connection.getSocketState)
    assert state["connected"] is False, state


@then(parsers.parse('{name}\'s socket state says connected with ping interval {interval:d} on platform "{product}"'))
def socket_state(world: World, name: str, interval: int, product: str) -> None:
    state = world.call(world.actor(name).client.connection.getSocketState)
    assert state["connected"] and state["pingInterval"] == interval and state["platform"] == product, state


@given(parsers.parse("{name} is connected with {product} connectivity {connectivity}"),
       converters={"product": PRODUCT})
@sets_up
def connected_with(world: World, name: str, product: str, connectivity: str) -> None:
    """cpaas: signed in and subscribed to "chat"; link: connected; with that connectivity configuration."""
    config = {"connectivity": parse_value(connectivity)}
    actor = world.create_client(name, product, config=config)
    if product == Product.CPAAS:
        world.sign_in(name)
        world.call(actor.client.services.subscribe, ["chat"])
    else:
        world.call(actor.client.connect, actor.credentials())
    ws_connected(world, name)


@when(parsers.parse("{seconds:d} seconds pass on the loop clock"))
@when(parsers.parse("{seconds:d} seconds pass"))
def seconds_pass(world: World, seconds: int) -> None:
    import looptime

    if seconds > 5 and not isinstance(world.bridge.loop, looptime.LoopTimeEventLoop):
        raise AssertionError("long waits need virtual time: tag the scenario @virtual_time")
    world.run(asyncio.sleep(seconds))


# -- keepalives and faults ---------------------------------------------------------------------
def _keepalive_frames(world: World, name: str, frame: str | None = None, since: int = 0) -> list[dict[str, Any]]:
    assert world.platform is not None
    keys = {frame} if frame else {"connCheck", "message_type", "connAck"}
    return [e for e in world.platform.journal(kind="ws-in", user=_journal_user(world, name), since=since)
            if isinstance(e.get("body"), dict) and keys & set(e["body"])]


@then(parsers.parse('the platform received at least {count:d} keepalive frames "{frame}" from {name}'))
def keepalive_frames(world: World, count: int, frame: str, name: str) -> None:
    frames = _keepalive_frames(world, name, frame, since=world.cause_seq)
    assert len(frames) >= count, f"{len(frames)} {frame} frames"


@then(parsers.parse("the platform received no keepalive frame from {name} in that time"))
def no_keepalive(world: World, name: str) -> None:
    assert _keepalive_frames(world, name, since=world.cause_seq) == []


@then(parsers.parse("the platform received at least {count:d} keepalive frame from {name} in that time"))
def some_keepalive(world: World, count: int, name: str) -> None:
    assert len(_keepalive_frames(world, name, since=world.cause_seq)) >= count


@when(parsers.parse("{name} disables connectivity checking"))
def disable_checking(world: World, name: str) -> None:
    world.call(world.actor(name).client.connection.enableConnectivityChecking, False)



@when(parsers.parse("{name} enables connectivity checking"))
def enable_checking(world: World, name: str) -> None:
    world.call(world.actor(name).client.connection.enableConnectivityChecking, True)


@when(parsers.parse("the platform stops answering {name}'s keepalives for {seconds:d} seconds"))
def keepalive_blackout(world: World, name: str, seconds: int) -> None:
    assert world.platform is not None
    world.call(world.platform.faults.add, FaultKind.KEEPALIVE_BLACKOUT, duration=seconds,
               match={"user": _journal_user(world, name)})


@then(parsers.parse("{name} reports the connection lost {seconds:d} seconds after the last answered keepalive"))
def lost_after_last_ack(world: World, name: str, seconds: int) -> None:
    actor = world.actor(name)
    world.wait_event(name, "ws:change", lambda p: p.get("state") == "lost", timeout=seconds * 3,
                     expected=f"{name} to report the connection lost")
    lost = _connection_events(actor, "lost")[-1]
    acks = [e for e in _connection_events(actor, "keepalive") if e.detail.get("ok") and e.at <= lost.at]
    assert acks, "no keepalive was ever answered"
    elapsed = lost.at - acks[-1].detail["sent_at"]
    assert abs(elapsed - seconds) < 0.05, f"lost {elapsed:.3f} s after the last answered keepalive"


@then(parsers.parse("{name} reports the connection lost within {seconds:d} seconds"))
def lost_within(world: World, name: str, seconds: int) -> None:
    world.wait_event(name, "ws:change", lambda p: p.get("state") == "lost", timeout=seconds * 2,
                     expected=f"{name} to report the connection lost within {seconds} s")
    lost = _connection_events(world.actor(name), "lost")[-1]
    assert world.cause is not None
    assert lost.at - world.cause.at <= seconds, f"lost {lost.at - world.cause.at:.3f} s after {world.after_cause()}"


@given(parsers.parse("the platform refuses {name}'s websocket upgrades for {seconds:d} seconds"))
def refuse_upgrades(world: World, name: str, seconds: int) -> None:
    assert world.platform is not None
    world.call(world.platform.faults.add, FaultKind.REFUSE_UPGRADES, duration=seconds,
               match={"user": _journal_user(world, name)})


@given(parsers.parse('the platform answers "{method}" on "{path}" with status {status:d} once'))
@when(parsers.parse('the platform answers "{method}" on "{path}" with status {status:d} once'))
def http_error_once(world: World, method: str, path: str, status: int) -> None:
    assert world.platform is not None
    world.call(world.platform.faults.add, FaultKind.HTTP_ERROR, count=1, match={"method": method, "path": path},
               status=status)


@when(parsers.parse("the platform drops {name}'s websocket with close code {code:d}"))
def drop_socket(world: World, name: str, code: int) -> None:
    assert world.platform is not None
    world.scenario.drop = Drop(world.platform.journal_seq, _loop_time(world))
    dropped = world.run(world.platform.drop_sockets(user=_journal_user(world, name), code=code))
    assert dropped == 1, f"dropped {dropped} sockets"


@then(parsers.re(r"(?P<name>\w+)'s websocket is connected again(?: within (?P<seconds>\d+) seconds)?$"))
def connected_again(world: World, name: str, seconds: str | None) -> None:
    timeout = float(seconds) if seconds else 15.0
    world.wait_event(name, "ws:change", lambda p: p.get("state") == "connected" and p.get("reconnect"),
                     timeout=timeout)
    ws_connected(world, name)


@then(parsers.parse("{name}'s websocket stays disconnected"))
def stays_disconnected(world: World, name: str) -> None:
    actor = world.actor(name)
    assert actor.recorder.find("ws:change", lambda p: p.get("state") == "reconnecting") is None
    ws_not_connected(world, name)
    assert world.platform is not None
    user = _journal_user(world, name)
    assert [c for c in world.platform.channels(user=user) if c["connected"]] == []


@then(parsers.parse("{name}'s reconnect attempts started at {offsets} seconds after the drop"))
def attempt_offsets(world: World, name: str, offsets: str) -> None:
    assert world.platform is not None
    entries = world.platform.journal(kind=["ws-refused", "ws-open"], user=_journal_user(world, name),
                                     since=_drop(world).seq)
    drop = next(e for e in world.platform.journal(kind="fault", since=_drop(world).seq))
    actual = [round(e["mono"] - drop["mono"], 3) for e in entries]
    expected = [float(x) for x in names(offsets)]
    assert len(actual) == len(expected) and all(abs(a - b) < 0.05 for a, b in zip(actual, expected, strict=True)), \
        f"attempts at {actual}, expected {expected}"


@then(parsers.parse("{name} made {count:d} reconnect attempts"))
def attempts_made(world: World, name: str, count: int) -> None:
    attempts = [e for e in _connection_events(world.actor(name), "attempt_failed", _drop(world).at)
                if e.detail.get("reconnect")]
    assert len(attempts) == count, [e.detail for e in attempts]


# -- notifications -----------------------------------------------------------------------------
def _push(world: World, name: str, text: str) -> None:
    assert world.platform is not None
    actor = world.actor(name)
    user = _journal_user(world, name)
    assert user is not None
    if actor.product is Product.CPAAS:
        probe: dict[str, Any] = {PROBE_KEY: {"text": text}}
    else:
        probe = {"eventType": "probe", "text": text}
    delivered = world.call(world.platform.notify, user, probe, product=actor.product)
    assert delivered >= 1, "no channel took the notification"


def _probe_received(world: World, name: str, text: str) -> None:
    def matches(params: dict[str, Any]) -> bool:
        payload = params.get("payload") or {}
        inner = payload.get(PROBE_KEY) or payload.get("notificationMessage") or {}
        return inner.get("text") == text

    world.wait_event(name, "notification:received", matches,
                     expected=f"the notification {text!r} to reach {name}'s client")


@then(parsers.parse("a notification pushed to {name} reaches her client"))
def push_reaches(world: World, name: str) -> None:
    _push(world, name, "probe-after-reconnect")
    _probe_received(world, name, "probe-after-reconnect")


@when(parsers.parse("a notification is pushed to {name} while she is offline"))
def push_offline(world: World, name: str) -> None:
    state = world.call(world.actor(name).client.connection.getSocketState)
    assert not state["connected"], "she is not offline"
    _push(world, name, "probe-while-offline")


@then("the notification pushed while offline reaches her client")
def offline_push_reaches(world: World) -> None:
    name = next(iter(world.actors))
    _probe_received(world, name, "probe-while-offline")


@then(parsers.parse('the platform received "{method}" on "{path}" from {name:w}'))
def platform_received(world: World, method: str, path: str, name: str) -> None:
    assert world.platform is not None
    entries = world.platform.journal(kind="http", method=method, path=path, since=world.cause_seq)
    user = _journal_user(world, name)
    mine = [e for e in entries if user is None or e.get("user") == user]
    assert mine, f"no {method} {path} from {name}; journal: " + \
        str([(e.get('method'), e.get('path')) for e in world.platform.journal(kind='http')][-15:])
    assert all(200 <= e["status"] < 300 for e in mine if re.search(path, e["path"])), mine
