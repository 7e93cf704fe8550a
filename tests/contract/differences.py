"""Where our SDK may differ from the official build a recording was made with: the one table.

The replay (tests/contract/sdk_replay.py) holds our SDK to what the official SDK received and
reported. It compares every event of the types the official app listened to, pairing the n-th
official event of a type with our n-th, and every field the official payload carries, at every
depth (``null`` and absent are the same; fields only ours has are allowed: the protocol notes'
payloads are what the official build emits, and our SDK adds documented ones, decisions.md
CPAAS-09). A call's state is compared where it is the event's subject, in ``call:stateChange``
(at other events it depends on how soon the next frame came), and where the app read it
(``call.getById``: state, hold flags, direction). Ids an official SDK minted itself
(``<<local#n>>``) are bound to ours at first sight and must then stay the same.

Everything that may differ is listed below with the decision or the recorded fact that makes it
legitimate; nothing is loosened anywhere else. An entry applies to one official product
(``cpaas`` is CPaaS 4.9.0, ``callme`` is CallMe 5.5.0, replayed into our Link product).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Payload = Any
Ours = list[tuple[str, Payload]]  # (our event type, payload) for one official event


@dataclass(frozen=True)
class Difference:
    sdk: str  # the official product: cpaas | callme
    what: str
    why: str  # the decision (docs/decisions.md, docs/callme-5-protocol.md) or the recorded fact


# -- requests the official page sent that our SDK is not expected to send ---------------------------


@dataclass(frozen=True)
class UnsentRequest(Difference):
    operation: str = ""  # the contract's operation key
    body_type: str | None = None  # callMeRequest.type, when only that kind of request is meant


UNSENT_REQUESTS = [
    UnsentRequest("cpaas", "the token request", "the interop page fetches the tokens (harness.tokens) and gives "
                  "them to setTokens: the request is the page's, not the SDK's", operation="POST /cpaas/auth/v1/token"),
    UnsentRequest("callme", "call audits", "docs/callme-5-protocol.md 'Call audit': 5.x audits from Initiated on, "
                  "at once; our Link SDK speaks 4.x, whose first audit comes 25 s after Connected, after any replay "
                  "has ended", operation="PUT /rest/version/{ver}/anonymous/{account}/callMe/callSessions/{session}",
                  body_type="audit"),
]


def unsent(sdk: str, event: dict[str, Any]) -> UnsentRequest | None:
    """The table's entry for a recorded official request our SDK is not expected to send."""
    body = event.get("body")
    inner = next(iter(body.values()), None) if isinstance(body, dict) and len(body) == 1 else None
    body_type = inner.get("type") if isinstance(inner, dict) else None
    for entry in UNSENT_REQUESTS:
        if entry.sdk == sdk and entry.operation == event.get("operation") and \
                (entry.body_type is None or entry.body_type == body_type):
            return entry
    return None


# -- the app's config ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigDifference(Difference):
    key: str = ""  # dotted config key
    value: Any = None  # what our SDK is given when the app left the key out


CONFIG_DIFFERENCES = [
    ConfigDifference("cpaas", "connectivity checks on by default", "cpaas-wire §1.1: 4.9.0 checks connectivity "
                     "unless told not to (checkConnectivity true); the document's default, which our SDK keeps "
                     "(DESIGN.md §3: documented defaults), is false. Without it our SDK would not notice a socket "
                     "that stays open but silent, which 4.9.0 did in the recordings",
                     key="connectivity.checkConnectivity", value=True),
    ConfigDifference("cpaas", "connCheck pings by default", "cpaas-wire §1.1: 4.9.0 pings with connCheck "
                     "(pingPong); the document's default is keepAlive, which our SDK keeps", key="connectivity.method",
                     value={"type": "pingPong", "responsibleParty": "client"}),
]


def with_official_defaults(sdk: str, config: dict[str, Any]) -> dict[str, Any]:
    """The app's config with the official build's defaults the table names, where the app left them out."""
    result = dict(config)
    for entry in CONFIG_DIFFERENCES:
        if entry.sdk != sdk:
            continue
        *parents, last = entry.key.split(".")
        node = result
        for parent in parents:
            node[parent] = node = dict(node.get(parent) or {})
        node.setdefault(last, entry.value)
    return result


# -- official events, as ours carry them ------------------------------------------------------------


@dataclass(frozen=True)
class EventDifference(Difference):
    official: str = ""  # the official event type
    # The official event as our event(s) carry it; None: our product has no such event (not compared).
    transform: Callable[[Payload], Ours] | None = None


def _destination(value: Any) -> Any:
    """4.9.0 keys a conversation by a one-element array of destinations; the document, a string."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _as_documented(event: str) -> Callable[[Payload], Ours]:
    def transform(payload: Payload) -> Ours:
        if isinstance(payload, list):  # conversations:change after a fetch: 4.9.0 passes the array
            return [(event, {"conversations": [{**c, "destination": _destination(c.get("destination"))}
                                               if isinstance(c, dict) else c for c in payload]})]
        payload = {**payload, "destination": _destination(payload.get("destination"))}
        if event == "conversations:change" and payload.get("messageId"):  # a message opened a conversation
            message = {k: payload[k] for k in ("destination", "type", "messageId")}
            return [(event, payload), ("messages:change", message)]
        return [(event, payload)]
    return transform


MESSAGING = ("decisions.md 'Messaging: a conversation's destination is a string' (the document's string where "
             "4.9.0 has a one-element array; {type, conversations} where it passes the array after a fetch) and "
             "'Messaging: how results and errors arrive' (an incoming message that opens a conversation also "
             "emits messages:change)")
CALLME_5 = "docs/callme-5-protocol.md 'App-level changes': a 5.x event; our Link SDK has the 4.x events"

EVENT_DIFFERENCES = [
    *(EventDifference("cpaas", event, MESSAGING, official=event, transform=_as_documented(event))
      for event in ("conversations:new", "conversations:change", "messages:change", "isTypingList:change")),
    *(EventDifference("cpaas", f"{event}: not an event of our CPaaS SDK", "cpaas-wire §7.6: 4.9.0 emits it only "
                      "from its no-op connect/disconnect/updateConnection APIs, which the CPaaS document does not "
                      "have; decisions.md 'Accepted event types'", official=event)
      for event in ("auth:change", "auth:error")),
    *(EventDifference("cpaas", f"{event}: not an event of either product", "named by neither the document nor the "
                      "protocol notes (the interop page listens for it just in case); decisions.md 'Accepted event "
                      "types': an unknown type throws", official=event)
      for event in ("call:error", "media:error")),
    *(EventDifference("callme", f"{event}: not compared", f"{CALLME_5}. 5.x replaced call:newTrack / "
                      "call:trackEnded with these, which mean the tracks a call is using: a hold removes them all "
                      "and an unhold adds them back (the recordings show it), where the 4.x events are about "
                      "tracks that exist", official=event)
      for event in ("call:tracksAdded", "call:tracksRemoved")),
    *(EventDifference("callme", event, CALLME_5, official=event)
      for event in ("call:mediaConnectionChange", "call:mediaRestart", "media:trackEnded", "request:error")),
]


def as_ours(sdk: str, official_type: str, payload: Payload) -> Ours:
    """The official event as our SDK carries it: (type, payload) for each of our events."""
    difference = next((d for d in EVENT_DIFFERENCES if d.sdk == sdk and d.official == official_type), None)
    if difference is None:
        return [(official_type, payload)]
    return [] if difference.transform is None else difference.transform(payload)


def listened(sdk: str, official_type: str) -> list[str]:
    """Our event types to listen to for an official type the app listened to."""
    difference = next((d for d in EVENT_DIFFERENCES if d.sdk == sdk and d.official == official_type), None)
    if difference is None:
        return [official_type]
    if difference.transform is None:
        return []
    return [official_type, "messages:change"] if official_type == "conversations:change" else [official_type]


# -- events our SDK adds where the app called an API ------------------------------------------------


@dataclass(frozen=True)
class ActionEvent(Difference):
    call: str = ""  # the app's call (as logged: 'presence.fetch', or 'createMessage' on a conversation)
    # Our events for the call: (the call's arguments, the official object it was made on) -> events.
    events: Callable[[list[Any], Any], Ours] | None = None


def _message_change(_args: list[Any], target: Any) -> Ours:
    """messages:change of the conversation (or the message's conversation) the call was made on."""
    target = target if isinstance(target, dict) else {}
    context = target.get("convoContext") if isinstance(target.get("convoContext"), dict) else {}
    return [("messages:change", {"destination": _destination(target.get("destination")),
                                 "type": context.get("type") or target.get("type")})]


def _fetched(args: list[Any], _target: Any) -> Ours:
    users = args[0] if args and isinstance(args[0], list) else args[:1]
    return [("presence:change", {"userId": user}) for user in users]


ACTION_EVENTS = [
    ActionEvent("cpaas", "createMessage emits messages:change for the draft", "decisions.md CPAAS-08: the document "
                "says createMessage emits messages:change; 4.9.0 emits nothing until the message is sent",
                call="createMessage", events=_message_change),
    ActionEvent("cpaas", "send emits messages:change as the message joins the conversation", "decisions.md "
                "CPAAS-08: the message joins getMessages() when it is sent (the document: 'once the sender sends "
                "a message, this message is saved in sender's state'), before the platform answers; 4.9.0 "
                "reports it only when sent", call="send", events=_message_change),
    ActionEvent("cpaas", "presence.fetch emits presence:change per user", "decisions.md 'Presence: a new watcher "
                "learns the current presence': fetch emits presence:change for each user it brought (4.9.0 only "
                "updates its state)", call="presence.fetch", events=_fetched),
]


def action_events(sdk: str, call: str, args: list[Any], target: Any) -> Ours:
    return [event for entry in ACTION_EVENTS if entry.sdk == sdk and entry.call == call and entry.events
            for event in entry.events(args, target)]


# -- events of ours the official build has no counterpart for ---------------------------------------


@dataclass(frozen=True)
class OurEvent(Difference):
    ours: str = ""
    when: Callable[[Payload], bool] = lambda _payload: True


OUR_EVENTS = [
    OurEvent("callme", "notifications:change when the websocket opens and closes", "decisions.md "
             "'enableWebsocket(false) holds across reconnects': notifications:change reports each change of the "
             "websocket channel's state, as 4.21 did at every socket open; 5.5.0 does not report them",
             ours="notifications:change"),
    OurEvent("callme", "ws:change when the call's websocket is closed for good", "link-callme-wire §7: 4.21 emits "
             "ws:change on disconnect, which our Link SDK follows; 5.5.0 emits none when it closes the socket "
             "after a call", ours="ws:change", when=lambda payload: payload.get("state") == "closed"),
    OurEvent("callme", "ws:change for the reconnect attempt", "link-callme-wire §7: 4.21 emits ws:change on loss, "
             "attempt and connect, three for a reconnect, which our Link SDK follows; 5.5.0 emits two (the recording "
             "of a dropped socket). Their payloads are the same {platform}, so the one left out is the attempt",
             ours="ws:change", when=lambda payload: payload.get("state") == "reconnecting"),
]


def ours_only(sdk: str, ours: str, payload: Payload) -> OurEvent | None:
    return next((e for e in OUR_EVENTS if e.sdk == sdk and e.ours == ours and isinstance(payload, dict)
                 and e.when(payload)), None)


# -- fields ---------------------------------------------------------------------------------------

UNCOMPARED_FIELDS = {
    "error.message": "an error's message is prose: neither document fixes it; the code is the contract "
                     "(decisions.md 'BasicError default message'), and is compared",
}

HOLD_UNSET = ("4.9.0 leaves an incoming call's hold flags undefined until it is answered (the recording of a call "
              "our SDK placed to it); decisions.md CPAAS-09 gives them as booleans, and ours says false")
# (official product, event type or read, dotted field) -> the value ours has where the official has none.
UNSET_FIELDS: dict[tuple[str, str, str], tuple[Any, str]] = {
    ("cpaas", "call:stateChange", "previous.localHold"): (False, HOLD_UNSET),
    ("cpaas", "call:stateChange", "previous.remoteHold"): (False, HOLD_UNSET),
    ("cpaas", "call.getById", "localHold"): (False, HOLD_UNSET),
    ("cpaas", "call.getById", "remoteHold"): (False, HOLD_UNSET),
}


def with_unset(sdk: str, what: str, payload: Payload) -> Payload:
    """``payload`` with the table's values where the official build left a field unset."""
    if not isinstance(payload, dict):
        return payload
    result = dict(payload)
    for (product, name, path), (value, _why) in UNSET_FIELDS.items():
        if product != sdk or name != what:
            continue
        node = result
        *parents, last = path.split(".")
        for parent in parents:
            if not isinstance(node.get(parent), dict):
                break
            node[parent] = node = dict(node[parent])
        else:
            if node.get(last) is None:
                node[last] = value
    return result


# -- reads: what the app read of the SDK's state ---------------------------------------------------

# The app's reads whose answers are compared (after our SDK caught up with the official one at that
# point): the fields below, of the object or of each item of the list answered.
READS: dict[str, tuple[str, ...]] = {
    "call.getById": ("state", "localHold", "remoteHold", "direction"),
    "getMessages": ("messageId", "sender", "parts"),
    "services.getSubscriptions": ("subscribed",),
    "presence.get": ("userId", "status", "activity", "note"),
    "presence.getSelf": ("status", "activity", "note"),
    "groups.get": ("id", "name", "subject", "participants"),
    "groups.getAll": ("id", "name", "subject", "participants"),
    "groups.getInvitations": ("id", "name", "participants"),
    "groups.getParticipants": (),  # the list itself
    "getUserInfo": ("identity", "username"),
}
# Fields of those answers that are sets: compared without their order.
UNORDERED_READ_FIELDS = {
    ("services.getSubscriptions", "subscribed"): "a set of service names: 4.9.0 lists them in the order their "
                                                 "subscriptions succeeded, ours in the order asked",
}
# Lists in those answers that tell which of our tracks stand for the official SDK's: bound, not
# compared (TRACK_SETS).
BINDING_READS: dict[str, tuple[str, ...]] = {"call.getById": ("localTracks", "remoteTracks")}


@dataclass(frozen=True)
class ReadDifference(Difference):
    call: str = ""
    transform: Callable[[Any], Any] | None = None


READ_DIFFERENCES = [
    ReadDifference("cpaas", "groups.getParticipants answers User IDs", "decisions.md 'Presence: adding a watched "
                   "user answers with the contact' (last paragraph): the document gives Array<string>, which ours "
                   "returns; 4.9.0 returns the participant objects", call="groups.getParticipants",
                   transform=lambda answer: [p.get("address") if isinstance(p, dict) else p for p in answer]
                   if isinstance(answer, list) else answer),
]


def read_as_ours(sdk: str, call: str, answer: Any) -> Any:
    for entry in READ_DIFFERENCES:
        if entry.sdk == sdk and entry.call == call and entry.transform is not None:
            answer = entry.transform(answer)
    return answer


# -- events compared as sets ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSet(Difference):
    events: tuple[str, ...] = ()


TRACK_SETS = [
    EventSet("cpaas", "call:newTrack and call:trackEnded are compared as sets of tracks per call",
             "4.9.0 reports the remote track of an incoming call only after a re-offer, drops it from remoteTracks "
             "while the far end holds, and ends it twice (the recordings show all three); our SDK reports each "
             "track once, when it exists (decisions.md 'Remote tracks when media is removed'). So per call, every "
             "track the official SDK reported (local or remote) must be reported by ours with the same flag, and "
             "ended if it was ended; the order and repeats are not compared, nor its 'id' (its internal webRTC "
             "session, decisions.md CPAAS-09)", events=("call:newTrack", "call:trackEnded")),
]


def track_events(sdk: str) -> tuple[str, ...]:
    return tuple(event for entry in TRACK_SETS if entry.sdk == sdk for event in entry.events)
