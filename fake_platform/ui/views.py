"""What each section of the dashboard shows, read from the platform state as plain rows.

The templates only lay these rows out; every figure is computed here, once, from the services'
own state (nothing is copied or cached: a section is read again each time it is drawn).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kandy_media.quality import call_quality

from ..calls.models import ENDED, Leg, LegDoor
from ..core.faults import DEFAULT_DURATION, MATCH_KEYS, MAX_COUNT, MAX_DURATION, SPECS, Param
from ..core.hub import ChannelEndpoint
from .ladder import notification_name

if TYPE_CHECKING:
    from ..state import PlatformState

FIGURES = ("sent", "received", "lost", "jitter", "rtt", "level", "mos_heard", "mos_sent")
JOURNAL_ROWS = 100
OUTBOX_ROWS = 50
ENDED_CALLS = 20  # ended calls still listed, newest first, below the live ones


# -- users ---------------------------------------------------------------------------------------
def users(state: PlatformState) -> list[dict[str, Any]]:
    live = _live_legs(state)
    return [{"id": u.user_id, "name": u.display_name, "phone": u.phone_number, "email": u.email,
             "channels": len(state.hub.channels_of(u.user_id)),
             "calls": sum(1 for leg in live if leg.owner.lower() == u.user_id.lower())}
            for u in state.users.all()]


# -- channels ------------------------------------------------------------------------------------
def channels(state: PlatformState) -> list[dict[str, Any]]:
    now = state.clock.monotonic()
    return [channel_health(c, now) for c in state.hub.channels.values()]


def channel_health(channel: ChannelEndpoint, now: float) -> dict[str, Any]:
    """A channel's keepalive health: when it last pinged, how many periods it has been silent for
    (``missed``, counted while a socket is attached), its reconnects and what it delivered."""
    keepalive = channel.keepalive
    since = now - keepalive.last_at if keepalive.last_at is not None else None
    missed = 0
    if channel.socket is not None and since is not None and keepalive.interval:
        missed = math.floor(since / keepalive.interval)
    return {"id": channel.id, "user": channel.user, "product": channel.product, "connected": channel.socket is not None,
            "role": channel.conn_check_role, "reconnects": max(0, channel.attachments - 1), "pings": keepalive.pings,
            "lastPing": since, "interval": keepalive.interval, "missed": missed, "unanswered": keepalive.unanswered,
            "buffered": len(channel.buffer), "delivered": channel.delivered,
            "health": _health(channel.socket is not None, keepalive.pings, missed)}


def _health(connected: bool, pings: int, missed: int) -> str:
    if not connected:
        return "disconnected"
    if pings and missed >= 2:
        return "silent"
    if missed == 1:
        return "late"
    return "ok"


# -- calls ---------------------------------------------------------------------------------------
@dataclass
class LegView:
    id: str
    address: str
    door: str
    role: str
    state: str
    rtp: dict[str, dict[str, Any]] = field(default_factory=dict)  # per kind, where the platform is the far end
    relayed: dict[str, int] | None = None  # through the platform's TURN relay


@dataclass
class CallView:
    id: str
    state: str
    legs: list[LegView]
    live: bool


async def calls(state: PlatformState) -> list[CallView]:
    """Live calls first, then the latest ended ones; each leg with the media figures the platform
    has: RTP statistics where it is the far end (a scripted endpoint), packets it relayed where the
    party's media goes through its TURN relay. Media between two clients on host candidates goes
    peer to peer, past the platform."""
    sessions = list(reversed(state.calls.router.sessions.values()))
    live = [s for s in sessions if s.state != ENDED]
    ended = [s for s in sessions if s.state == ENDED][:ENDED_CALLS]
    return [CallView(s.id, str(s.state), [await _leg_view(state, leg) for leg in (s.caller, *s.callees)],
                     s.state != ENDED) for s in (*live, *ended)]


async def _leg_view(state: PlatformState, leg: Leg) -> LegView:
    return LegView(leg.id, leg.address, str(leg.front_door), str(leg.role), str(leg.state),
                   await endpoint_rtp(state, leg), relayed(state, leg))


async def endpoint_rtp(state: PlatformState, leg: Leg) -> dict[str, dict[str, Any]]:
    """RTP figures of a scripted endpoint's leg (the platform's own peer), per kind: packets sent
    and received, lost, jitter and round trip (seconds), the level (dBFS) of the audio it hears
    (every endpoint but the echo, which only sends it back) and, for audio, the E-model MOS of what
    it hears and of what the far end reports hearing from it (kandy_media/quality.py, since the
    call began); ``{}`` for any other leg."""
    call = state.calls.endpoints.calls.get(leg.id) if leg.front_door == LegDoor.ENDPOINT else None
    if call is None or call.peer is None:
        return {}
    try:
        report = await call.peer.stats()
    except Exception:  # a peer closing under us: no figures this time
        return {}
    figures: dict[str, dict[str, Any]] = {}
    for stat in report.values():
        kind = stat.get("kind")
        if not kind:
            continue
        row = figures.setdefault(kind, dict.fromkeys(FIGURES))
        if stat.get("type") == "inbound-rtp":
            row.update(received=stat.get("packetsReceived"), lost=stat.get("packetsLost"),
                       jitter=stat.get("jitter"))
        elif stat.get("type") == "outbound-rtp":
            row.update(sent=stat.get("packetsSent"))
        elif stat.get("type") == "remote-inbound-rtp":
            row.update(rtt=stat.get("roundTripTime"))
    for kind, meter in call.levels.items():
        if kind in figures:
            figures[kind]["level"] = meter.dbfs
    if "audio" in figures:
        quality = call_quality(report, kind="audio")
        for direction, key in (("inbound", "mos_heard"), ("outbound", "mos_sent")):
            measured = quality.get(direction)
            figures["audio"][key] = measured.mos if measured is not None and measured.packets else None
    return figures


def relayed(state: PlatformState, leg: Leg) -> dict[str, int] | None:
    """Packets the platform's TURN relay carried for a party that offered one of its relayed
    addresses in its SDP: ``sent`` by the party, ``received`` by it; None when it offered none."""
    sdp = leg.extra.get("sdp") or ""
    if state.relay is None or " typ relay" not in sdp:
        return None
    counters = [a.counters for a in state.relay.allocations.values()
                if f" {a.relayed_address[0]} {a.relayed_address[1]} typ relay" in sdp]
    if not counters:
        return None
    return {"sent": sum(c.packets_in for c in counters), "received": sum(c.packets_out for c in counters)}


def _live_legs(state: PlatformState) -> list[Leg]:
    return [leg for leg in state.calls.router.legs.values() if leg.state != ENDED]


# -- faults --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldView:
    """One input of the fault form, typed from a fault kind's :class:`~fake_platform.core.faults.Param`."""

    name: str
    label: str
    widget: str  # "number" | "text" | "json"
    default: Any
    step: str = "1"
    low: float | None = None
    high: float | None = None


def fault_forms() -> list[dict[str, Any]]:
    """Every fault kind with its typed parameters, for the form that adds a fault."""
    return [{"kind": str(spec.kind), "summary": spec.summary, "hook": spec.hook.value,
             "params": [_field(p) for p in spec.params]} for spec in SPECS.values()]


def _field(param: Param) -> FieldView:
    if dict in param.types:
        return FieldView(param.name, param.doc, "json", param.default)
    if str in param.types:
        return FieldView(param.name, param.doc, "text", param.default)
    step = "any" if float in param.types else "1"
    return FieldView(param.name, param.doc, "number", param.default, step, param.low, param.high)


FAULT_LIMITS = {"duration": MAX_DURATION, "defaultDuration": DEFAULT_DURATION, "count": MAX_COUNT,
                "match": MATCH_KEYS}


def faults(state: PlatformState) -> list[dict[str, Any]]:
    return state.faults.list()


# -- push outbox ---------------------------------------------------------------------------------
def outbox(state: PlatformState) -> list[dict[str, Any]]:
    records = [r.to_dict() for r in state.push.query()]
    return list(reversed(records))[:OUTBOX_ROWS]


# -- journal -------------------------------------------------------------------------------------
def journal_rows(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Journal entries as table rows: what happened, in one line each."""
    return [{"seq": e["seq"], "at": e["at"], "kind": e["kind"], "user": e.get("user", ""),
             "channel": e.get("channel", ""), "what": _summary(e)} for e in entries]


def _summary(entry: dict[str, Any]) -> str:
    kind = entry["kind"]
    if kind == "http":
        took = entry.get("duration_ms")
        return f"{entry.get('method')} {entry.get('path')} → {entry.get('status')}" + \
            (f" ({took:.0f} ms)" if isinstance(took, int | float) else "")
    if kind in ("ws-out", "ws-in"):
        body = entry.get("body")
        return notification_name(body) if kind == "ws-out" else _frame_name(body)
    if kind == "call":
        detail = entry.get("detail") or {}
        return f"{detail.get('event')} on {detail.get('leg')} ({detail.get('state')})"
    detail = entry.get("detail") or {}
    parts = [str(entry.get(k)) for k in ("path", "status") if entry.get(k) is not None]
    parts += [f"{k}={v}" for k, v in detail.items() if not isinstance(v, dict | list)]
    return " ".join(parts)


def _frame_name(body: Any) -> str:
    if isinstance(body, dict) and len(body) == 1:
        return str(next(iter(body)))
    if isinstance(body, dict) and "message_type" in body:
        return str(body["message_type"])
    return str(body)[:80]


def summary(state: PlatformState) -> dict[str, Any]:
    return {"url": state.base_url, "seed": state.config.seed, "progression": str(state.progress.progression),
            "users": len(state.users.all()), "channels": len(state.hub.channels),
            "calls": sum(1 for s in state.calls.router.sessions.values() if s.state != ENDED),
            "faults": len(state.faults.list())}
