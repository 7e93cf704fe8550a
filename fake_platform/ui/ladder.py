"""A call's ladder diagram (sequence diagram), built from the journal.

The parties are the call's legs (the caller on the left, the callees on the right) and the
platform between them. Every journal entry that names one of the call's legs becomes a rung:

* an HTTP request on a leg's path (or the request that created the call) is an arrow from the
  leg to the platform, and its response (status, duration) an arrow back;
* a notification written on a channel (``ws-out``) that names a leg is an arrow to that leg,
  a push to its devices a dotted one, a notification a fault dropped a crossed one;
* the call router's own events (``call`` entries, journaled by :mod:`fake_platform.ui.service`)
  are arrows to and from a scripted endpoint (which has no HTTP of its own: the platform invites
  it, it rings and answers) and notes on the platform's lifeline for the other legs.

Times are the platform's loop clock (``mono``), so a scenario on virtual time draws its virtual
timings. Nothing here touches HTTP or the live state beyond reading a session's legs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..calls.models import CallRouter, CallSession, Leg, LegDoor

PLATFORM = "platform"
MAX_RUNGS = 400  # a long call audited every few seconds: the first rungs tell the story
MAX_DETAIL = 600


class Style(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"
    NOTIFICATION = "notification"
    PUSH = "push"
    EVENT = "event"  # a scripted endpoint's act
    NOTE = "note"  # what the router did, on the platform's lifeline
    FAULT = "fault"


@dataclass(frozen=True)
class Party:
    key: str  # a leg id, or PLATFORM
    label: str
    detail: str


@dataclass(frozen=True)
class Rung:
    at: float  # seconds, platform loop clock
    seq: int  # journal order, for rungs at the same time
    source: str
    target: str
    label: str
    style: Style
    detail: str = ""  # shown on hover: the full path, the body


@dataclass
class Ladder:
    call_id: str
    state: str
    parties: list[Party]
    rungs: list[Rung] = field(default_factory=list)
    left_out: int = 0  # rungs beyond MAX_RUNGS

    @property
    def started(self) -> float | None:
        return self.rungs[0].at if self.rungs else None


def find_session(router: CallRouter, key: str) -> CallSession | None:
    """The session with id ``key``, or the latest session one of whose legs has id ``key``."""
    session = router.sessions.get(key)
    if session is not None:
        return session
    found = [s for s in router.sessions.values() if any(leg.id == key for leg in _legs(s))]
    return found[-1] if found else None


def build_ladder(session: CallSession, entries: Iterable[Mapping[str, Any]]) -> Ladder:
    """The ladder of ``session`` from journal entries (``JournalEntry.to_dict()`` form, in order)."""
    legs = _legs(session)
    by_id = {leg.id: leg for leg in legs}
    # whole ids only: "sess-…-1" must not match inside another call's "sess-…-12"
    alternatives = "|".join(re.escape(i) for i in by_id)
    ids = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
    parties = [_party(session.caller), Party(PLATFORM, "platform", "call " + session.id),
               *(_party(leg) for leg in session.callees)]
    ladder = Ladder(session.id, session.state, parties)
    rungs: list[Rung] = []
    first_seq: int | None = None
    creation_pending = False
    for entry in entries:
        kind = entry.get("kind")
        if kind == "call":
            detail = entry.get("detail") or {}
            if detail.get("session") != session.id and detail.get("leg") not in by_id:
                continue
            if first_seq is None:
                first_seq = int(entry["seq"])
            if detail.get("event") == "start":
                creation_pending = True
            rungs.extend(_call_rungs(entry, by_id))
            continue
        if first_seq is None:
            continue  # before the call began (or a session built by a transfer: from its first event on)
        if kind == "http":
            leg = _leg_named(entry.get("path") or "", ids, by_id)
            if leg is None and creation_pending and entry.get("method") == "POST" \
                    and entry.get("user") == session.caller.owner:
                leg, creation_pending = session.caller, False
            if leg is not None:
                rungs.extend(_http_rungs(entry, leg))
        elif kind in ("ws-out", "push", "fault"):
            text = _text(entry.get("body"))
            leg = _leg_named(text, ids, by_id)
            if leg is not None:
                rungs.append(_delivery_rung(entry, leg, text))
    rungs.sort(key=lambda r: (r.at, r.seq))
    ladder.rungs = rungs[:MAX_RUNGS]
    ladder.left_out = max(0, len(rungs) - MAX_RUNGS)
    return ladder


# -- rungs ---------------------------------------------------------------------------------------
def _call_rungs(entry: Mapping[str, Any], by_id: Mapping[str, Leg]) -> list[Rung]:
    detail = entry.get("detail") or {}
    leg = by_id.get(detail.get("leg", ""))
    event = str(detail.get("event", "?")).replace("_", " ")
    at, seq = float(entry["mono"]), int(entry["seq"])
    if leg is not None and leg.front_door == LegDoor.ENDPOINT:  # it has no HTTP: the router's events are its arrows
        if event == "invite":
            return [Rung(at, seq, PLATFORM, leg.id, event, Style.EVENT)]
        return [Rung(at, seq, leg.id, PLATFORM, event, Style.EVENT)]
    role = f" ({leg.role})" if leg is not None else ""
    return [Rung(at, seq, PLATFORM, PLATFORM, f"{event}{role}", Style.NOTE,
                 f"the router: {event} by {leg.address if leg else '?'}")]


def _http_rungs(entry: Mapping[str, Any], leg: Leg) -> list[Rung]:
    end, seq = float(entry["mono"]), int(entry["seq"])
    took = float(entry.get("duration_ms") or 0.0)
    path = str(entry.get("path") or "")
    method = str(entry.get("method") or "")
    detail = f"{method} {path}\n{_text(entry.get('body'))}".strip()
    request = Rung(end - took / 1000.0, seq, leg.id, PLATFORM, _request_label(method, path, entry.get("body"), leg.id),
                   Style.REQUEST, detail[:MAX_DETAIL])
    status = entry.get("status")
    failed = isinstance(status, int) and status >= 400
    response = Rung(end, seq, PLATFORM, leg.id, f"{status} · {took:.0f} ms", Style.FAULT if failed else Style.RESPONSE,
                    f"{status} to {method} {path}")
    return [request, response]


def _delivery_rung(entry: Mapping[str, Any], leg: Leg, text: str) -> Rung:
    kind = entry.get("kind")
    at, seq = float(entry["mono"]), int(entry["seq"])
    body = entry.get("body")
    name = notification_name(body)
    if kind == "push":
        return Rung(at, seq, PLATFORM, leg.id, f"push {name}".strip(), Style.PUSH, text[:MAX_DETAIL])
    if kind == "fault":
        action = str((entry.get("detail") or {}).get("action", "fault")).replace("_", " ")
        return Rung(at, seq, PLATFORM, leg.id, f"✕ {name} ({action})", Style.FAULT, text[:MAX_DETAIL])
    return Rung(at, seq, PLATFORM, leg.id, name, Style.NOTIFICATION, text[:MAX_DETAIL])


def _request_label(method: str, path: str, body: Any, leg_id: str) -> str:
    """``PUT …/status``; a Link request names its type (``PUT callAnswer``), the path does not."""
    if isinstance(body, dict) and len(body) == 1:
        (inner,) = body.values()
        if isinstance(inner, dict) and isinstance(inner.get("type"), str):
            return f"{method} {inner['type']}"
    return f"{method} {_short_path(path, leg_id)}"


_TOP_KEY = re.compile(r'^\s*\{\s*"(\w+)"')
_EVENT_TYPE = re.compile(r'"eventType"\s*:\s*"([^"]+)"')


def notification_name(body: Any) -> str:
    """A short name for a notification frame: ``SessionInvitation``, ``Event Ringing``, ``callEnd``
    (also from the text of a frame the journal cut short)."""
    if isinstance(body, dict) and len(body) == 1:
        ((key, inner),) = body.items()
        event = inner.get("eventType") if isinstance(inner, dict) else None
    elif isinstance(body, str) and (top := _TOP_KEY.match(body)):
        key, found = top.group(1), _EVENT_TYPE.search(body)
        event = found.group(1) if found else None
    else:
        return "notification"
    name = "" if key == "notificationMessage" else key.removeprefix("wrtcs").removesuffix("Notification")
    return " ".join(part for part in (name, str(event) if event else "") if part) or key


# -- helpers -------------------------------------------------------------------------------------
def _legs(session: CallSession) -> list[Leg]:
    return [session.caller, *session.callees]


def _party(leg: Leg) -> Party:
    return Party(leg.id, leg.address, f"{leg.front_door} {leg.role}")


def _leg_named(text: str, ids: re.Pattern[str], by_id: Mapping[str, Leg]) -> Leg | None:
    match = ids.search(text)
    return by_id[match.group(0)] if match else None


def _short_path(path: str, leg_id: str) -> str:
    """The last meaningful segments of a path: ``…/sessions/{leg}/status`` → ``…/status``."""
    parts = [p for p in path.split("/") if p]
    if leg_id in parts:
        tail = parts[parts.index(leg_id) + 1:]
        return "…/" + "/".join(tail) if tail else "…/" + parts[parts.index(leg_id) - 1] + "/{id}"
    return "…/" + parts[-1] if parts else "/"


def _text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    return json.dumps(body, default=str, separators=(",", ":"))
