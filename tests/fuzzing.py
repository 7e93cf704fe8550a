"""Hypothesis-driven requests against every route of every front door (the route table), as B.

Each example picks a route (``fake_platform.registry.all_routes()``), fills its path with B's
resources (tests/platform_world.py) and sends B's credentials, so that the request reaches the
handler; then it spoils something: the example body mutated leaf by leaf, random JSON, raw bytes
(invalid UTF-8, deep nesting, huge numbers, wrong content types), odd query strings and path
values, or odd websocket frames. The oracle: never a 5xx, never an unhandled exception in the
server's log, every answer within a bound, error bodies in the door's own JSON format, and the
platform healthy at the end.

``make test`` runs a short seeded (derandomized) budget; ``make fuzz`` a long random one
(``KANDY_FUZZ_EXAMPLES``, ``KANDY_FUZZ_SEED``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
from hypothesis import strategies as st

from fake_platform import Platform
from fake_platform.contract.validator import openapi_contract, resolve
from fake_platform.core.progress import Progression, Timings
from fake_platform.routing import Door
from kandy_media.loop_thread import SyncBridge
from tests.platform_world import Party, Variant, World, build, variants

REQUEST_BOUND = 5.0  # seconds: an answer later than this is a hang
ODD_TEXT = ["²", "٣", "\U0001d7d9", "-1", "0", "01", "1e400", "NaN", "Infinity", "%00", "%ff", "../../_platform/users",
            "a" * 5000, "", " ", "\u0000", "true", "[]", "{}", "null", "sip:", "tel:+", "+", "@", "💥",
            "9" * 30, "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]
QUERY_NAMES = ["max", "next", "sortBy", "order", "userName", "userId", "name", "firstName", "lastName",
               "phoneNumber", "tokenrealm", "access_token", "token", "kind", "user", "path", "method", "channel",
               "since", "limit", "callerSession", "provider", "status", "eventType", "environment", "zzz"]
# Routes whose side effects would spoil the rest of the run: they are sent, and the run repairs after.
RESETS = ("/_platform/reset", "/_platform/seed")

odd_text = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=40), st.integers().map(str))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=True, allow_infinity=True), odd_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)), max_leaves=12)


@st.composite
def mutated(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` with one subtree replaced, removed, or wrapped (at any depth)."""
    if isinstance(value, dict) and value and depth < 6 and draw(st.integers(0, 4)) > 0:
        key = draw(st.sampled_from(sorted(value)))
        action = draw(st.sampled_from(["descend", "descend", "delete", "add"]))
        if action == "delete":
            return {k: v for k, v in value.items() if k != key}
        if action == "add":
            return {**value, draw(odd_text): draw(json_values)}
        return {**value, key: draw(mutated(value[key], depth + 1))}
    if isinstance(value, list) and value and depth < 6 and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], draw(mutated(value[index], depth + 1)), *value[index + 1:]]
    return draw(st.one_of(json_values, st.just([value]), st.just({"x": value})))


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth if depth % 2 else b"[" * depth + b"]" * depth


RAW_BODIES = st.one_of(
    st.integers(50, 50_000).map(_nested),
    st.sampled_from([b'{"a":"\xff\xfe"}', b"\xff\xfe\xfd", b"\xef\xbb\xbf{}", b"{", b"}", b"null", b"[]", b'"x"',
                     b"1" * 5000, b'{"a":' + b"9" * 5000 + b"}", b'{"a":NaN,"b":-Infinity}', b'{"a":1,"a":2}',
                     b"\x00" * 100, b"grant_type=\xff\xfe", "é".encode("latin-1")]),
    st.binary(max_size=200),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "application/json; charset=foo",
                                 "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=zz", "multipart/form-data", ""])


@dataclass
class Request:
    variant: Variant
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    frames: list[str | bytes] = field(default_factory=list)  # websocket routes

    def describe(self) -> str:
        shown = (self.body or b"")[:200]
        return f"{self.method} {self.path} ?{self.query} headers={self.headers} body={shown!r} frames={self.frames[:3]}"


@dataclass
class Outcome:
    status: int
    content_type: str
    text: str
    seconds: float


def credentials(party: Party, variant: Variant) -> dict[str, str]:
    """What ``party`` sends on ``variant`` to be let in (nothing on the anonymous door)."""
    if variant.route.door == Door.CPAAS:
        return party.bearer
    if variant.route.door == Door.LINK and variant.mode != "anonymous":
        return party.basic
    return {}


@st.composite
def requests(draw: st.DrawFn, world: World, chosen: list[Variant]) -> Request:
    variant = draw(st.sampled_from(chosen))
    path = world.path(variant)
    if draw(st.integers(0, 9)) == 0 and variant.variables:  # one path value made odd
        name = draw(st.sampled_from(variant.variables))
        value = world.value(variant, name, world.b, world.b) if name not in variant.values else variant.values[name]
        path = path.replace(value, quote(draw(odd_text), safe="") or "x", 1)
    request = Request(variant, variant.route.method, path, headers=credentials(world.b, variant))
    if draw(st.integers(0, 3)) == 0:
        request.query = draw(st.dictionaries(st.sampled_from(QUERY_NAMES), odd_text, max_size=3))
    if variant.is_websocket:
        request.frames = draw(st.lists(st.one_of(
            json_values.map(json.dumps), st.integers(50, 20_000).map(lambda d: _nested(d).decode()),
            st.sampled_from(['{"connCheck":{"interval":"x"}}', '{"message_type":"ping"}', "not json", "",
                             '{"connCheck":null}', '["connCheck"]']), st.binary(max_size=64)), max_size=4))
        return request
    example = world.body(variant)
    shape = draw(st.sampled_from(["example", "mutated", "mutated", "json", "raw", "none"]))
    content_type = "application/json"
    if shape == "example" and example is not None:
        body: bytes | None = json.dumps(example).encode()
    elif shape == "mutated" and example is not None:
        body = json.dumps(draw(mutated(example))).encode()
    elif shape == "json":
        body = json.dumps(draw(json_values)).encode()
    elif shape == "raw":
        body, content_type = draw(RAW_BODIES), draw(CONTENT_TYPES)
    else:
        body = None
    if body is not None:
        if content_type:
            request.headers["Content-Type"] = content_type
        request.body = body
    return request


class ErrorLog(logging.Handler):
    """Unhandled exceptions the server logs (aiohttp logs every 500 and every handler crash)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def server_errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    loggers = [logging.getLogger(name) for name in ("aiohttp.server", "aiohttp.web", "aiohttp.websocket", "asyncio")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


class FuzzTarget:
    """A platform on its own loop thread, with B's world, and a client session on that loop.

    ``send`` is one request from synchronous code (Hypothesis); ``sweep`` runs a whole list on the
    loop, without a thread hop per request."""

    def __init__(self, **config: Any) -> None:
        self.bridge = SyncBridge("fuzz")
        self.platform = Platform(progression=Progression.IMMEDIATE, **config)
        self.world: World = self.bridge.run(self._start())
        self.sent = 0

    async def _start(self) -> World:
        await self.platform.start()
        return await build(self.platform)

    async def rebuild(self) -> None:
        """A fresh world: the platform reset, A, B and C and all of B's resources made again."""
        await self.world.session.close()
        await self.platform.reset()
        self.platform.state.progress.progression = Progression.IMMEDIATE
        self.world = await build(self.platform)

    def send(self, request: Request) -> tuple[Outcome, list[logging.LogRecord]]:
        with server_errors() as log:
            outcome = self.bridge.run(self._exchange(request), timeout=REQUEST_BOUND + 10)
        return outcome, log.records

    def sweep(self, requests: Iterator[Request]) -> list[tuple[Request, Outcome, list[logging.LogRecord]]]:
        async def run_all() -> list[tuple[Request, Outcome, list[logging.LogRecord]]]:
            results = []
            for request in requests:
                with server_errors() as log:
                    outcome = await self._exchange(request)
                results.append((request, outcome, log.records))
            return results

        return self.bridge.run(run_all(), timeout=600)

    async def _exchange(self, request: Request) -> Outcome:
        self.sent += 1
        started = time.monotonic()
        outcome = await self._send(request)
        outcome.seconds = time.monotonic() - started
        await self._repair(request)
        return outcome

    async def _send(self, request: Request) -> Outcome:
        url = self.platform.url + request.path
        session = self.world.session
        timeout = aiohttp.ClientTimeout(total=REQUEST_BOUND)
        if request.variant.is_websocket:
            try:
                async with session.ws_connect(url, headers=request.headers, params=request.query,
                                              timeout=aiohttp.ClientWSTimeout(REQUEST_BOUND)) as ws:
                    for frame in request.frames:
                        if ws.closed:
                            break
                        await (ws.send_str(frame) if isinstance(frame, str) else ws.send_bytes(frame))
                    await ws.close()
                    return Outcome(101, "", "", 0)
            except aiohttp.WSServerHandshakeError as exc:
                return Outcome(exc.status, "", exc.message, 0)
        try:
            async with session.request(request.method, url, params=request.query, data=request.body,
                                       headers=request.headers, timeout=timeout) as resp:
                return Outcome(resp.status, resp.content_type, await resp.text(errors="replace"), 0)
        except TimeoutError:
            return Outcome(0, "", "no answer", REQUEST_BOUND)

    async def _repair(self, request: Request) -> None:
        """Undo what a control-plane example may have set for everyone (faults, progression)."""
        if request.variant.route.door != Door.CONTROL:
            return
        if any(request.path.startswith(p) for p in RESETS):
            await self.rebuild()
            return
        state = self.platform.state
        state.faults.clear()
        state.progress.progression = Progression.IMMEDIATE
        defaults = Timings()
        for name in Timings.names():
            setattr(state.progress.timings, name, getattr(defaults, name))

    def healthy(self) -> bool:
        async def check() -> bool:
            async with self.world.session.get(self.platform.url + "/_platform/health") as resp:
                return resp.status == 200
        return bool(self.bridge.run(check()))

    def close(self) -> None:
        async def stop() -> None:
            await self.world.session.close()
            await self.platform.stop()

        self.bridge.run(stop())
        self.bridge.stop()


def _parser_refusal(outcome: Outcome) -> bool:
    """aiohttp's HTTP parser refusing a request line or header over 8190 bytes: plain text 400
    before any route (hence any door) is known; nothing the platform's code can shape."""
    return outcome.status == 400 and outcome.text.startswith("Got more than")


def problems(request: Request, outcome: Outcome, errors: list[logging.LogRecord]) -> list[str]:
    """What the oracle finds wrong with one exchange."""
    found = []
    if _parser_refusal(outcome):
        return found
    if outcome.status >= 500:
        found.append(f"status {outcome.status}: {outcome.text[:300]}")
    if outcome.seconds >= REQUEST_BOUND:
        found.append(f"answered after {outcome.seconds:.1f} s")
    if errors:
        found.append("server logged: " + "; ".join(r.getMessage()[:200] + (f" {r.exc_info[1]!r}" if r.exc_info else "")
                                                   for r in errors))
    html = request.variant.route.path.startswith("/_platform/ui")  # the dashboard's errors are pages
    if 400 <= outcome.status < 500 and not request.variant.is_websocket and not html:
        if outcome.content_type != "application/json":
            found.append(f"error {outcome.status} as {outcome.content_type or 'no content type'}: {outcome.text[:200]}")
        else:
            body = json.loads(outcome.text)
            if not _door_error_shape(request.variant.route.door, body):
                found.append(f"error body not in the door's format: {outcome.text[:200]}")
    return found


def _door_error_shape(door: Door, body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if door == Door.CPAAS:
        return "requestError" in body
    if door == Door.OAUTH:
        return "error" in body
    if door == Door.CONTROL:
        return isinstance(body.get("error"), dict)
    inner = next(iter(body.values()), None) if len(body) == 1 else body
    return isinstance(inner, dict) and "statusCode" in inner


ALL_VARIANTS = variants()


ODD_LEAVES: list[Any] = [None, 5, "²", [], {}]  # make test; make fuzz adds ODD_LEAVES_MORE
ODD_LEAVES_MORE: list[Any] = [-1, 1.5, True, "", "x" * 300, [None], {"x": None}]


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position in a JSON value (objects' keys, lists' indexes), itself included."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaf_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from leaf_paths(inner, (*prefix, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    return [*value[:head], replaced(value[head], rest, new), *value[head + 1:]]


ODD_QUERY = ["²", "(", "-1", "x" * 300, ""]


def documented_query(variant: Variant) -> list[str]:
    """The query parameters the OpenAPI document gives the route (the contract's, not ours)."""
    contract = openapi_contract()
    path = variant.key.split(" ", 1)[1]
    item = contract.paths().get(path)
    if item is None:
        return []
    operation = item.get(variant.route.method.lower(), {})
    names = []
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        while "$ref" in parameter:
            parameter = resolve(contract.document, parameter["$ref"][1:])
        if parameter.get("in") == "query":
            names.append(parameter["name"])
    return names


def sweep(current: Callable[[], World], chosen: list[Variant], leaves: list[Any]) -> Iterator[Request]:
    """The systematic part: for every route, each position of its example body given each odd
    value, and each raw body that broke something once (nesting, encodings, numbers). ``current``
    gives the world as it is now (a control-plane reset rebuilds it)."""
    raws = [(_nested(10_000), "application/json"), (b'{"a":"\\xff\\xfe"}', "application/json"),
            (b"{}", "application/json; charset=foo"), (b"\\xff", "text/plain"), (b"1" * 5000, "application/json")]
    for variant in chosen:
        if variant.is_websocket:
            world = current()
            yield Request(variant, "GET", world.path(variant), headers=credentials(world.b, variant),
                          frames=[_nested(10_000).decode(), "not json", b"\\x00", '{"connCheck":{"interval":"x"}}'])
            continue
        for name in documented_query(variant):
            for odd in ODD_QUERY:
                world = current()
                yield Request(variant, variant.route.method, world.path(variant), query={name: odd},
                              headers=credentials(world.b, variant))
        for raw, content_type in raws:
            world = current()
            yield Request(variant, variant.route.method, world.path(variant),
                          headers={**credentials(world.b, variant), "Content-Type": content_type}, body=raw)
        example = current().body(variant)
        if example is None:
            continue
        for position in leaf_paths(example):
            for new in leaves:
                world = current()
                body = json.dumps(replaced(world.body(variant), position, new)).encode()
                yield Request(variant, variant.route.method, world.path(variant),
                              headers={**credentials(world.b, variant), "Content-Type": "application/json"}, body=body)
