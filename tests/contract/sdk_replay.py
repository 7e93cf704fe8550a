"""The official SDKs' recordings replayed into our SDK: the same scenario, the same answers and
frames, and our SDK must report the same events and states as the official build did.

A recording (tests/contract/recordings.py) holds the traffic of one interop test and the official
app's own log: the API calls the test made in the page and the events the official SDK reported,
each placed in the traffic by time. The replay walks that one timeline:

* the official app's API calls are made on a client of our SDK of the same product (CPaaS for
  CPaaS 4.9.0, Link for CallMe 5.5.0), created with the app's config pointed at the
  recorded-answer server (tests/contract/answers.py), which answers our SDK's requests with the
  recorded answers;
* the frames the official SDK received are pushed to ours, in their order, and the platform's
  drops of its socket and keepalive blackouts are played where they happened;
* each of those steps waits (bounded) until our SDK has caught up with the official one at that
  point: it has sent every request the official SDK had sent, and emitted every event the official
  SDK had emitted (:meth:`SdkReplay.gate`), as the interop test waited for them;
* every event is compared with the official one (tests/contract/differences.py says how, and
  lists every legitimate difference), and a call's state where a read of it was recorded.

A request our SDK sends that the recording has no answer for, an event missing or extra or
different, a state that differs: each is drift from what the official builds receive, and fails.

What a replay cannot have is media: the recorded SDPs name addresses that lead nowhere, so ICE
never completes. Signalling does not need it, but DTMF rides on the connected transport (RFC 4733
events, or in-band tones a sender reads from the microphone): during a replay both are played to
nobody (:func:`no_media_path`), and the media oracle (tests/contract/test_media_oracle.py) checks
what Chromium really sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import sdk.cpaas
import sdk.link
from kandy_media import dtmf

from .answers import LOCAL, AnswerServer, channel_of, is_keepalive, official
from .differences import (
    BINDING_READS,
    READS,
    UNCOMPARED_FIELDS,
    UNORDERED_READ_FIELDS,
    action_events,
    as_ours,
    listened,
    ours_only,
    read_as_ours,
    track_events,
    unsent,
    with_official_defaults,
    with_unset,
)

GATE_TIMEOUT = 10.0  # s: how long our SDK may take to catch up with one step of the official one
TASK_TIMEOUT = 10.0
# A read is compared once our SDK caught up with the events and requests before it; what it shows
# may still wait on an answer being processed, so it is read again (every READ_POLL s) until it
# agrees or READ_SETTLE s passed, as the interop tests poll the official SDK's reads.
READ_SETTLE, READ_POLL = 2.0, 0.01
PRODUCTS = {"cpaas": sdk.cpaas.create, "callme": sdk.link.create}
FULL_LOCAL = re.compile(r"<<(local#\d+)>>")


class ReplayFailure(AssertionError):
    """Our SDK did not follow the official SDK through the recording."""


@dataclass
class Heard:
    """One of our SDK's events."""

    type: str
    payload: Any
    call_state: str | None


@dataclass
class Expected:
    """One event the official SDK reported, as ours would carry it (tests/contract/differences.py)."""

    type: str  # our event type
    official: str  # the official event type
    payload: Any
    call_state: str | None


class SdkReplay:
    def __init__(self, recording: dict[str, Any], *, gate_timeout: float = GATE_TIMEOUT) -> None:
        self.recording = recording
        self.gate_timeout = gate_timeout
        self.sdk: str = recording["official"]["sdk"]
        self.server = AnswerServer(recording, lambda e: unsent(self.sdk, e) is None, self._wake)
        self.client: Any = None
        self.objects: dict[int, Any] = {}  # the official log's object numbers -> ours (0: the client)
        self.locals: dict[str, Any] = {}  # an official SDK's own id (local#n) -> ours
        self.expected: dict[str, list[Expected]] = defaultdict(list)
        self.heard: dict[str, list[Heard]] = defaultdict(list)
        self.paired: Counter[str] = Counter()  # events compared, by our type
        self.requests: list[int] = []  # official requests so far that ours must have sent
        self.differences: list[str] = []
        self.tasks: list[tuple[str, asyncio.Task[Any], dict[str, Any]]] = []
        self.listening: set[str] = set()
        self.official_objects: dict[int, Any] = {}  # what the official SDK's calls returned, by number
        self.tracks: dict[str, dict[str, list[tuple[Any, bool]]]] = {"official": defaultdict(list),
                                                                      "ours": defaultdict(list)}
        self.not_compared: Counter[str] = Counter()  # our events the table says the official has none of
        self.steps = 0
        self._woken = asyncio.Event()

    # -- the timeline ---------------------------------------------------------------------------
    def timeline(self) -> Iterator[tuple[str, Any]]:
        """(what, item) in the order they happened: log entries placed among the traffic."""
        events = self.recording["events"]
        channels = {channel_of(e["path"]) for e in events if e["kind"] == "ws-open" and official(e)}
        log_at: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for entry in self.recording["official"]["log"]:
            log_at[entry["after"]].append(entry)
        for index in range(len(events) + 1):
            for entry in log_at.get(index, []):
                yield entry["kind"], entry
            if index == len(events):
                return
            event = events[index]
            if official(event):
                yield "request", index
            elif event.get("channel") not in channels:
                continue
            elif event["kind"] == "ws-out" and not is_keepalive(event["frame"]):
                yield "frame", event
            elif event["kind"] == "ws-drop":
                yield "drop", event
            elif event["kind"] == "ws-in" and self._unanswered_check(index):
                yield "blackout", event

    def _unanswered_check(self, index: int) -> bool:
        """A client connCheck the platform did not answer before the next keepalive or reopen."""
        events = self.recording["events"]
        frame, channel = events[index]["frame"], events[index]["channel"]
        if not (isinstance(frame, dict) and "connCheck" in frame):
            return False
        for later in events[index + 1:]:
            if later.get("channel") == channel and later["kind"] == "ws-out" and "connAck" in later["frame"]:
                return False
            if (later.get("channel") == channel and later["kind"] == "ws-in") or \
                    (later["kind"] == "ws-open" and channel_of(later["path"]) == channel):
                return True
        return False

    async def run(self) -> SdkReplay:
        await self.server.start()
        try:
            with no_media_path():
                await self._run()
        finally:
            self.server.close()
            if self.client is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.client.aclose(), TASK_TIMEOUT)
            await self.server.stop()
        return self

    async def _run(self) -> None:
        for what, item in self.timeline():
            await self.step(what, item)
        await self.gate("the end")
        await self._finish_tasks()
        for _ in range(10):  # events of the last steps are delivered on the next loop iterations
            await asyncio.sleep(0)
        self._extra_events()
        self._compare_tracks()

    async def step(self, what: str, item: Any) -> None:
        self.steps += 1
        if what == "request":
            if unsent(self.sdk, self.recording["events"][item]) is None:
                self.requests.append(item)
                self.server.release(item)
        elif what == "event":
            self._expect(item)
        elif what == "listen":
            self._listen(item["types"])
        elif what == "action":
            await self.gate(f"the app's call {item['call']}")
            await self._perform(item)
        elif what == "frame":
            await self.gate(f"the frame {_frame_name(item['frame'])}")
            await self.server.push(item["channel"], item["frame"])
        elif what == "drop":
            await self.gate(f"the platform's drop of socket {item['channel']}")
            await self.server.drop(item["channel"], item["code"])
        elif what == "blackout":
            await self.gate(f"the keepalive blackout on {item['channel']}")
            self.server.blackout(item["channel"])

    # -- waiting for our SDK --------------------------------------------------------------------
    def _wake(self) -> None:
        self._woken.set()

    def _behind(self) -> list[str]:
        missing = [f"request {self.recording['events'][i]['method']} {self.recording['events'][i]['path']}"
                   for i in self.requests if not self.server.answered(i)]
        for type_, expected in self.expected.items():
            if len(self.heard[type_]) < len(expected):
                missing += [f"event {e.official} {e.payload}" for e in expected[len(self.heard[type_]):]]
        return missing

    async def gate(self, before: str) -> None:
        """Wait until our SDK has done what the official SDK had done before ``before``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.gate_timeout
        while True:
            self._woken.clear()
            if self.server.unanswered:
                raise ReplayFailure(f"our SDK sent {self.server.unanswered[0]}, which the recording has no "
                                    f"answer for (the official SDK never sent it), before {before}")
            behind = self._behind()
            if not behind:
                return
            self.server.release_held()  # ours may be waiting on an answer the official SDK got later
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ReplayFailure(f"before {before}, the official SDK had done what ours did not within "
                                    f"{self.gate_timeout:.0f} s: " + "; ".join(behind)[:2000]
                                    + self._differences_so_far())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), remaining)

    def _differences_so_far(self) -> str:
        return ("\nand these differences so far:\n" + "\n".join(self.differences)) if self.differences else ""

    # -- the app's calls ------------------------------------------------------------------------
    def _config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The app's config, pointed at the answer server (plain HTTP and WS on 127.0.0.1)."""
        assert self.server.values is not None
        port = int(self.server.values.fixed["port"])

        def address(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: ("http" if v == "https" else "ws" if v == "wss" else v) if k == "protocol" else
                        port if v == -1 and k == "port" else address(v) for k, v in node.items()}
            return self.server.fill(node)

        ours = with_official_defaults(self.sdk, {**config, "authentication": address(config.get("authentication", {}))})
        ours["runtime"] = {**ours.get("runtime", {}), "hostAddresses": ["127.0.0.1"]}
        return ours

    def _ours(self, node: Any) -> Any:
        """An argument of the official app as our SDK takes it: the platform's values filled in,
        the official SDK's own ids replaced by ours."""
        if isinstance(node, str):
            match = FULL_LOCAL.fullmatch(node)
            if match is not None:
                if match.group(1) not in self.locals:
                    raise ReplayFailure(f"the app passed {node}, an id of the official SDK, for which ours has "
                                        "shown no counterpart (no event or return value named it)")
                return self.locals[match.group(1)]
            return self.server.fill(node)
        if isinstance(node, dict):
            return {k: self._ours(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self._ours(item) for item in node]
        return node

    async def _perform(self, entry: dict[str, Any]) -> None:
        call = entry["call"]
        if call == "create":
            self.client = PRODUCTS[self.sdk](self._config(entry["args"][0]))
            self.objects[0] = self.client
            return
        function = self.objects.get(entry["target"])
        if function is None:
            raise ReplayFailure(f"the app called {call} on an object our SDK never returned")
        for part in call.split("."):
            function = getattr(function, part, None)
            if function is None:
                raise ReplayFailure(f"our SDK has no {call}, which the app called")
        args = self._ours(entry.get("args", []))
        try:
            result = function(*args)
        except Exception as exc:
            if "threw" not in entry:
                self.differences.append(f"{call}{tuple(args)} raised {exc!r}; the official SDK's returned")
            return
        if "threw" in entry:
            self.differences.append(f"{call}{tuple(args)} returned; the official SDK's threw {entry['threw']}")
        for type_, payload in action_events(self.sdk, call, entry.get("args", []),
                                            self.official_objects.get(entry["target"])):
            self._expected(type_, f"{type_} of {call}", payload, None)
        if inspect.isawaitable(result):
            self.tasks.append((call, asyncio.ensure_future(result), entry))
            return
        if entry.get("ref") is not None:
            if result is None:
                raise ReplayFailure(f"{call}{tuple(args)} returned nothing; the official SDK's returned an object")
            self.objects[entry["ref"]] = result
            self.official_objects[entry["ref"]] = entry.get("result")
        official_result = entry.get("result")
        if isinstance(official_result, str) and FULL_LOCAL.fullmatch(official_result):
            self._same(official_result, result, call, [])  # an id the official SDK made (call.make): bind it
        elif call in READS:
            await self._compare_read(call, lambda: function(*args), official_result, result)

    async def _compare_read(self, call: str, read: Any, official_result: Any, ours: Any) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READ_SETTLE
        while True:
            bound = dict(self.locals)
            problems = self._read_problems(call, READS[call], official_result, ours)
            if not problems or loop.time() >= deadline:
                break
            self.locals = bound  # a read that does not agree yet binds nothing
            await asyncio.sleep(READ_POLL)
            ours = read()
        if problems:
            self.differences.append(f"{call} read (after the same events): " + "; ".join(problems))

    def _read_problems(self, call: str, fields: tuple[str, ...], official_result: Any, ours: Any) -> list[str]:
        problems: list[str] = []
        official_answer = self.server.fill(read_as_ours(self.sdk, call, official_result))
        if isinstance(official_answer, list):
            ours_list = [fields_of(item, fields) for item in ours] if isinstance(ours, list | tuple) else ours
            if fields:
                official_answer = [fields_of(item, fields) for item in official_answer]
            self._same(official_answer, ours_list if fields else plain(ours), "", problems)
        elif isinstance(official_answer, dict):
            ours_fields = fields_of(ours, (*fields, *BINDING_READS.get(call, ())))
            for name in BINDING_READS.get(call, ()):
                theirs, mine = official_answer.get(name), ours_fields.get(name)
                if isinstance(theirs, list) and isinstance(mine, list) and len(theirs) == len(mine):
                    self._same(theirs, mine, name, problems)
            official_fields = with_unset(self.sdk, call, fields_of(official_answer, fields))
            for name in fields:
                theirs, mine = official_fields.get(name), ours_fields.get(name)
                if (call, name) in UNORDERED_READ_FIELDS and isinstance(theirs, list) and isinstance(mine, list):
                    theirs, mine = sorted(theirs, key=str), sorted(mine, key=str)
                self._same(theirs, mine, name, problems)
        return problems

    async def _finish_tasks(self) -> None:
        for call, task, entry in self.tasks:
            try:
                await asyncio.wait_for(asyncio.shield(task), TASK_TIMEOUT)
            except TimeoutError:
                self.differences.append(f"{call} did not finish within {TASK_TIMEOUT:.0f} s")
            except Exception as exc:
                if "rejected" not in entry:
                    self.differences.append(f"{call} failed with {exc!r}; the official SDK's resolved")
            else:
                if "rejected" in entry:
                    self.differences.append(f"{call} succeeded; the official SDK's was rejected: {entry['rejected']}")

    # -- events ---------------------------------------------------------------------------------
    def _listen(self, official_types: list[str]) -> None:
        for official_type in official_types:
            for ours in listened(self.sdk, official_type):
                if ours in self.listening:
                    continue
                try:
                    self.client.on(ours, self._listener(ours))
                except Exception as exc:
                    raise ReplayFailure(f"our SDK refuses to listen to {ours} (the official app listened to "
                                        f"{official_type}): {exc}") from exc
                self.listening.add(ours)

    def _listener(self, type_: str) -> Any:
        def heard(payload: Any = None) -> None:
            payload = plain(payload)
            if ours_only(self.sdk, type_, payload) is not None:
                self.not_compared[type_] += 1
                return
            call_id = payload.get("callId") if isinstance(payload, dict) else None
            if type_ in track_events(self.sdk):
                self.tracks["ours"][f"{type_} {call_id}"].append((payload.get("trackId"), payload.get("local")))
                return
            with contextlib.suppress(Exception):  # a destroyed client answers no more reads
                call = self.client.call.getById(call_id) if call_id else None
            state = call.get("state") if call_id and isinstance(call, dict) else None
            self.heard[type_].append(Heard(type_, payload, state))
            self._pair(type_)
            self._wake()
        return heard

    def _expect(self, entry: dict[str, Any]) -> None:
        for type_, payload in as_ours(self.sdk, entry["type"], entry["payload"]):
            if type_ in track_events(self.sdk):
                self.tracks["official"][f"{type_} {payload.get('callId')}"].append(
                    (payload.get("trackId"), payload.get("local")))
                continue
            self._expected(type_, entry["type"], payload, entry.get("callState"))

    def _expected(self, type_: str, official_type: str, payload: Any, call_state: str | None) -> None:
        self.expected[type_].append(Expected(type_, official_type, payload, call_state))
        self._pair(type_)

    def _pair(self, type_: str) -> None:
        while self.paired[type_] < min(len(self.expected[type_]), len(self.heard[type_])):
            n = self.paired[type_]
            self._compare(self.expected[type_][n], self.heard[type_][n], n + 1)
            self.paired[type_] += 1

    def _compare(self, expected: Expected, heard: Heard, n: int) -> None:
        problems: list[str] = []
        official_payload = with_unset(self.sdk, expected.type, without(self.server.fill(expected.payload),
                                                                        UNCOMPARED_FIELDS))
        self._same(official_payload, heard.payload, "", problems)
        if expected.type == "call:stateChange" and expected.call_state != heard.call_state:
            problems.append(f"the call is {heard.call_state!r} after it, official {expected.call_state!r}")
        if problems:
            self.differences.append(f"{expected.official} #{n} (ours {heard.type} {heard.payload}): "
                                    + "; ".join(problems))

    def _same(self, official_value: Any, ours: Any, where: str, problems: list[str]) -> None:
        """Every field the official value has, ours has the same (null is absent; extras allowed)."""
        if official_value is None:
            if ours is not None:
                problems.append(f"{where or 'value'}: ours {ours!r}, official none")
            return
        if isinstance(official_value, str) and FULL_LOCAL.fullmatch(official_value):
            name = FULL_LOCAL.fullmatch(official_value).group(1)  # type: ignore[union-attr]
            if name not in self.locals:
                if any(v == ours for v in self.locals.values()):
                    problems.append(f"{where or 'value'}: our {ours!r} already stands for another official id")
                self.locals[name] = ours
            elif self.locals[name] != ours:
                problems.append(f"{where or 'value'}: ours {ours!r}, official {official_value} "
                                f"(= our {self.locals[name]!r})")
            return
        if isinstance(official_value, dict):
            if not isinstance(ours, dict):
                problems.append(f"{where or 'payload'}: ours {ours!r}, official an object")
                return
            for key, value in official_value.items():
                if value is not None and key not in ours:
                    problems.append(f"{where}.{key} missing (official {value!r})")
                else:
                    self._same(value, ours.get(key), f"{where}.{key}", problems)
            return
        if isinstance(official_value, list):
            if not isinstance(ours, list) or len(ours) != len(official_value):
                problems.append(f"{where}: ours {ours!r}, official {official_value!r}")
                return
            for index, (a, b) in enumerate(zip(official_value, ours, strict=True)):
                self._same(a, b, f"{where}[{index}]", problems)
            return
        if official_value != ours or isinstance(official_value, bool) != isinstance(ours, bool):
            problems.append(f"{where or 'value'}: ours {ours!r}, official {official_value!r}")

    def _extra_events(self) -> None:
        for type_, heard in self.heard.items():
            extra = heard[len(self.expected[type_]):]
            for event in extra:
                self.differences.append(f"our SDK emitted {type_} {event.payload}, which the official SDK did not")

    def _compare_tracks(self) -> None:
        """Per call, each track the official SDK reported (and ended) ours reported (and ended) with
        the same local flag (tests/contract/differences.py TRACK_SETS)."""
        for key, official_tracks in self.tracks["official"].items():
            type_, official_call = key.split(" ", 1)
            our_call = self.locals.get(FULL_LOCAL.fullmatch(official_call).group(1)) \
                if FULL_LOCAL.fullmatch(official_call) else None
            ours = self.tracks["ours"].get(f"{type_} {our_call}", [])
            for track, local in dict.fromkeys(official_tracks):
                name = FULL_LOCAL.fullmatch(str(track))
                bound = self.locals.get(name.group(1)) if name else None
                if bound is None and name is not None:
                    free = [t for t, flag in ours if flag == local and t not in self.locals.values()]
                    if free:
                        self.locals[name.group(1)] = bound = free[0]
                if (bound, local) not in ours:
                    self.differences.append(f"{type_} of call {official_call}: the official SDK reported the "
                                            f"{'local' if local else 'remote'} track {track}, ours did not "
                                            f"(ours: {ours})")


@contextlib.contextmanager
def no_media_path() -> Iterator[None]:
    """RFC 4733 events and in-band tones go nowhere (a replay's transports never connect, so no
    sender reads the microphone): played, then dropped."""
    async def connected(_sender: Any, timeout: float = 0.0) -> None:
        return None

    async def play_inband(_source: Any, tone: str, duration: int, gap: int) -> None:
        dtmf.inband_segments(tone, duration, gap)  # a tone it cannot play still fails

    async def send(_sender: Any, _payload: bytes, *, marker: bool, timestamp: int) -> None:
        return None

    with mock.patch.object(dtmf.Rfc4733Sender, "_connected", connected), \
            mock.patch.object(dtmf.Rfc4733Sender, "_send", send), \
            mock.patch.object(dtmf, "play_inband", play_inband):
        yield


def fields_of(value: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of an answer, from a dict or from an SDK object's attributes, as JSON values."""
    if isinstance(value, dict):
        return {name: plain(value.get(name)) for name in fields}
    return {name: plain(getattr(value, name, None)) for name in fields}


def plain(value: Any) -> Any:
    """Our payload as JSON values, as the interop page keeps the official one: an error as
    ``{name, code, message}``."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, BaseException):
        return {"name": type(value).__name__, "code": getattr(value, "code", None), "message": getattr(
            value, "message", str(value))}
    return value


def without(payload: Any, fields: dict[str, str]) -> Any:
    """``payload`` without the (dotted) fields the table does not compare."""
    if not isinstance(payload, dict):
        return payload
    result = dict(payload)
    for path in fields:
        node = result
        *parents, last = path.split(".")
        for parent in parents:
            child = node.get(parent)
            if not isinstance(child, dict):
                break
            node[parent] = child = dict(child)
            node = child
        else:
            node.pop(last, None)
    return result


def _frame_name(frame: Any) -> str:
    if isinstance(frame, dict):
        message = frame.get("notificationMessage")
        if isinstance(message, dict):
            return str(message.get("eventType"))
        return next(iter(frame), "?")
    return "?"


async def replay_into_sdk(recording: dict[str, Any], *, gate_timeout: float = GATE_TIMEOUT) -> SdkReplay:
    """Replay ``recording`` into our SDK; raise :class:`ReplayFailure` when it cannot follow."""
    return await SdkReplay(recording, gate_timeout=gate_timeout).run()


__all__ = ["LOCAL", "ReplayFailure", "SdkReplay", "replay_into_sdk"]
