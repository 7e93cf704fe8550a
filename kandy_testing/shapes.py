"""The documented payload of every documented event, as shapes a scenario checks.

Neither SDK document defines event payloads (CPAAS-19, LINK-11); the shapes below are the ones the
protocol notes record for the official builds (`../shared/spec/protocol/cpaas-wire.md` section 7,
`link-callme-wire.md` "events"), with the project's decisions where they differ
(docs/decisions.md: event payloads; CPAAS-11 contacts; the additions our SDK documents, such as
``devices:change`` carrying ``devices``). A shape lists each field with its types; an event may
have several variants (a success and an error variant, a single item or a list).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sdk.errors import BasicError


@dataclass(frozen=True)
class Field:
    types: tuple[type, ...]
    required: bool = True
    inner: Mapping[str, Field] | None = None  # the shape of a dict value

    def problems(self, name: str, value: Any) -> list[str]:
        if value is None and type(None) in self.types:
            return []
        if not isinstance(value, self.types) or (isinstance(value, bool) and bool not in self.types):
            wanted = "/".join(t.__name__ for t in self.types)
            return [f"{name} is {type(value).__name__} {_short(value)}, not {wanted}"]
        if self.inner is not None and isinstance(value, dict):
            return [f"{name}.{p}" for p in problems_of(value, self.inner)]
        return []


Shape = Mapping[str, Field]


def f(*types: type, required: bool = True, inner: Shape | None = None) -> Field:
    return Field(types, required, inner)


def optional(*types: type, inner: Shape | None = None) -> Field:
    return Field((*types, type(None)), False, inner)


def problems_of(params: Mapping[str, Any], shape: Shape) -> list[str]:
    """What in ``params`` does not fit ``shape`` (missing required fields, wrong types)."""
    found = []
    for name, field in shape.items():
        if name not in params:
            if field.required:
                found.append(f"{name} is missing")
            continue
        found += field.problems(name, params[name])
    return found


def check(event: str, params: Mapping[str, Any]) -> list[str]:
    """Empty when ``params`` fits one of ``event``'s documented variants, else why not (per variant)."""
    variants = PAYLOADS[event]
    reports = [problems_of(params, shape) for shape in variants]
    if any(not r for r in reports):
        return []
    return [f"variant {i + 1}: {'; '.join(r)}" for i, r in enumerate(reports)]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:60] + "..."


ERROR = optional(BasicError)
CALL_ID = f(str)
PREVIOUS_STATE = {"state": f(str), "localHold": f(bool), "remoteHold": f(bool)}
TRANSITION = {"statusCode": optional(int, str), "reasonText": optional(str), "prevState": optional(str)}
TRACK = {"callId": CALL_ID, "trackId": f(str), "local": f(bool), "error": ERROR}
MUTED = {"trackIds": f(list), "tracks": f(list)}
GROUP_ID = {"id": f(str)}
CONTACT = {"contactId": f(str)}

PAYLOADS: dict[str, list[Shape]] = {
    # calls (both products)
    "call:start": [{"callId": CALL_ID, "error": ERROR}],
    "call:receive": [{"callId": CALL_ID, "error": ERROR}],
    "call:stateChange": [{"callId": CALL_ID, "previous": f(dict, inner=PREVIOUS_STATE),
                          "transition": optional(dict, inner=TRANSITION), "error": ERROR}],
    "call:operation": [{"callId": CALL_ID, "operation": f(str), "transition": f(str), "isLocal": f(bool),
                        "previous": optional(dict), "error": ERROR}],
    "call:newTrack": [TRACK],
    "call:trackEnded": [TRACK],
    "call:trackReplaced": [{"callId": CALL_ID, "newTrackId": f(str), "oldTrack": f(dict, str), "error": ERROR}],
    "call:statsReceived": [{"callId": CALL_ID, "trackId": optional(str), "result": f(dict)}],
    "call:availableCodecs": [{"kind": f(str), "codecs": f(list)}],
    "call:customParameters": [{"callId": CALL_ID, "customParameters": f(list)}],
    # media
    "media:muted": [MUTED],
    "media:unmuted": [MUTED],
    "devices:change": [{"devices": f(dict)}],
    "devices:error": [{"error": f(BasicError)}],
    # messaging (messages:changed is the same event, CPAAS-01)
    "conversations:new": [{"destination": f(str), "type": f(str)}],
    "conversations:change": [{"destination": f(str), "type": f(str), "messageId": optional(str)},
                             {"type": f(str), "conversations": f(list)}],
    "messages:change": [{"destination": f(str), "type": f(str), "messageId": optional(str), "sender": optional(str)}],
    "messages:changed": [{"destination": f(str), "type": f(str), "messageId": optional(str),
                          "sender": optional(str)}],
    "isTypingList:change": [{"destination": f(str), "type": f(str), "sender": f(str), "state": f(str),
                             "isTypingList": f(list)}],
    # presence
    "presence:change": [{"userId": f(str), "status": f(str), "activity": f(str), "note": optional(str)}],
    "presence:selfChange": [{"userId": f(str), "status": f(str), "activity": f(str), "note": optional(str)}],
    # groups
    "group:new": [GROUP_ID],
    "group:change": [GROUP_ID],
    "group:delete": [{"group": f(dict, inner={"id": f(str), "name": optional(str), "participants": optional(list)}),
                      "reason": optional(str)}],
    "group:refresh": [{}],  # no fields (wire notes 7.4): it says the groups were fetched
    "group:invitation_received": [{"invitation": f(dict, inner={"id": f(str), "participants": f(list),
                                                                  "name": f(str)})}],
    # contacts and directory (CPAAS-11: contacts:new for an added contact)
    "contacts:new": [{"contact": f(dict, inner=CONTACT)}],
    "contacts:change": [{"contact": f(dict, inner=CONTACT)}, {"contactId": f(str)}, {"contacts": f(list)}],
    "directory:change": [{"results": f(list), "next": optional(str, int)}],
}
