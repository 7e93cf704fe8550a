"""Call routing: sessions between two parties, each reached through its own leg.

A call has one caller leg and one or more callee legs (a user registered on several devices, or
with both products, is rung on each; the first to answer wins and the others are cancelled). A leg
belongs to one front door: a CPaaS webrtcsignaling session, a Link callControl session, a CallMe
anonymous session, or a scripted endpoint. The router relays SDP between the two answering legs;
what each side is told goes through the leg's :class:`LegChannel`, which renders the notification
in that front door's protocol. Nothing here touches HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..core.progress import Progress

INITIATED, RINGING, EARLY, CONNECTED, ENDED = "initiated", "ringing", "early", "connected", "ended"

# SIP-style end reasons the platform reports (statusCode, reasonText)
BUSY = (486, "Busy Here")
DECLINED = (603, "Decline")
NO_ANSWER = (480, "Temporarily Unavailable")
NORMAL = (200, "Normal call clearing")
ANSWERED_ELSEWHERE = (200, "Call completed elsewhere")


class LegChannel(Protocol):
    """How a leg's party hears about the call (a notification per event, in its protocol)."""

    def invitation(self, leg: Leg, offer: str | None) -> None: ...

    def ringing(self, leg: Leg) -> None: ...

    def early_media(self, leg: Leg, sdp: str) -> None: ...

    def accepted(self, leg: Leg, sdp: str) -> None: ...

    def offer(self, leg: Leg, sdp: str | None) -> None: ...

    def answer(self, leg: Leg, sdp: str) -> None: ...

    def ended(self, leg: Leg, status: int, reason: str) -> None: ...

    def cancelled(self, leg: Leg) -> None: ...

    def custom_parameters(self, leg: Leg, parameters: list[dict[str, str]]) -> None: ...


class LegDoor(StrEnum):
    """Where a leg's party reaches the platform."""

    CPAAS = "cpaas"
    LINK = "link"
    CALLME = "callme"
    ENDPOINT = "endpoint"  # a scripted endpoint or a conference bridge inside the platform


class Role(StrEnum):
    CALLER = "caller"
    CALLEE = "callee"


@dataclass
class Leg:
    id: str
    owner: str  # the user id (or anonymous account) allowed to act on this leg
    front_door: LegDoor
    role: Role
    address: str  # this party's address (user@domain or number)
    name: str | None
    channel: LegChannel
    session: CallSession | None = None
    state: str = INITIATED
    custom_parameters: list[dict[str, str]] = field(default_factory=list)
    supports_early_media: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # "sdp": the last description this party sent
    born: float = 0.0  # loop time of its creation

    @property
    def caller(self) -> Leg:
        """The caller of this leg's session (a leg is always in a session once it is notified)."""
        if self.session is None:
            raise Conflict("Leg %1 is in no call session", self.id)
        return self.session.caller

    @property
    def peer(self) -> Leg | None:
        """The leg this one is talking to (for a callee: the caller; for the caller: the answered callee)."""
        if self.session is None:
            return None
        if self.role == Role.CALLEE:
            return self.session.caller
        return self.session.answered

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "owner": self.owner, "frontDoor": self.front_door, "role": self.role,
                "address": self.address, "state": self.state}


@dataclass
class CallSession:
    id: str
    caller: Leg
    callees: list[Leg]
    created_at: float
    answered: Leg | None = None
    state: str = INITIATED
    offer: str | None = None
    history: list[tuple[float, str, str]] = field(default_factory=list)  # (time, leg id, event)
    ended_at: float | None = None  # loop time the housekeeping first saw it ended

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "caller": self.caller.to_dict(),
                "callees": [leg.to_dict() for leg in self.callees],
                "answered": self.answered.id if self.answered else None,
                "history": [{"at": at, "leg": leg, "event": event} for at, leg, event in self.history]}



class CallRouter:
    def __init__(self, ids: Any, clock: Any, progress: Progress) -> None:
        self._ids = ids
        self._clock = clock
        self._progress = progress
        self.sessions: dict[str, CallSession] = {}
        self.legs: dict[str, Leg] = {}
        self.resolvers: list[Callable[[str], Callable[[CallSession], list[Leg]] | None]] = []
        self.observers: list[Callable[[str, Leg], None]] = []

    # -- legs ----------------------------------------------------------------------------------
    def new_leg(self, *, owner: str, front_door: LegDoor, role: Role, address: str, name: str | None,
                channel: LegChannel, **extra: Any) -> Leg:
        leg = Leg(id=self._ids.capability("sess"), owner=owner, front_door=front_door, role=role, address=address,
                  name=name, channel=channel, extra=extra,
                  born=self._clock.monotonic())
        self.legs[leg.id] = leg
        return leg

    def leg(self, leg_id: str, owner: str, *, door: LegDoor) -> Leg:
        """``owner``'s leg ``leg_id`` as seen through the front door ``door``: a session of
        another front door is not found there, one of another owner is forbidden."""
        leg = self.legs.get(leg_id)
        if leg is None or leg.front_door != door:
            raise NotFound("Session %1 not found", leg_id)
        if leg.owner.lower() != owner.lower():
            raise Forbidden("Session %1 belongs to another user", leg_id)
        return leg

    def expire(self, now: float, ttl: float) -> list[str]:
        """Forget sessions ended more than ``ttl`` ago, with their legs that are over (a leg moved
        on to a live session by a transfer or a join stays), and legs of calls that never started;
        returns the leg ids forgotten. An audit of a forgotten session answers 404 as before."""
        forgotten: list[str] = []
        for session in list(self.sessions.values()):
            if session.state != ENDED:
                continue
            if session.ended_at is None:
                session.ended_at = now
            if now - session.ended_at > ttl:
                del self.sessions[session.id]
        kept = {leg.id for s in self.sessions.values() for leg in (s.caller, *s.callees)}
        for leg in list(self.legs.values()):
            if leg.id not in kept and now - leg.born > ttl:
                del self.legs[leg.id]
                forgotten.append(leg.id)
        return forgotten

    def _record(self, leg: Leg, event: str) -> None:
        if leg.session is not None:
            leg.session.history.append((self._clock.wall(), leg.id, event))
        for observer in list(self.observers):
            observer(event, leg)

    # -- call set-up ---------------------------------------------------------------------------
    def start(self, caller: Leg, to_address: str, offer: str | None) -> CallSession:
        """Create a session from ``caller`` to ``to_address`` and invite every callee leg."""
        if offer is not None and not isinstance(offer, str):
            raise InvalidInput("Invalid input value for message part %1", "offer.sdp")
        make_legs = None
        for resolve in self.resolvers:
            make_legs = resolve(to_address)
            if make_legs is not None:
                break
        if make_legs is None:
            raise NotFound("No user or endpoint at %1", to_address)
        session = CallSession(id=self._ids.id("call"), caller=caller, callees=[], created_at=self._clock.wall(),
                              offer=offer)
        caller.session = session
        if offer:
            caller.extra["sdp"] = offer
        callees = make_legs(session)
        if not callees:
            del caller.session
            caller.session = None
            raise Conflict("%1 is not registered for calls", to_address)
        for leg in callees:
            leg.session = session
        session.callees = callees
        self.sessions[session.id] = session
        self._record(caller, "start")
        return session

    def invite(self, session: CallSession) -> None:
        """Tell every callee still in the call (after the caller has been answered, see handlers)."""
        for leg in session.callees:
            if leg.state != ENDED:
                self._record(leg, "invite")
                leg.channel.invitation(leg, session.offer)

    def ringing(self, leg: Leg) -> None:
        self._require_callee(leg, "ring")
        if leg.state == INITIATED:
            leg.state = RINGING
            self._record(leg, "ringing")
            caller = leg.caller
            if caller.state == INITIATED:
                caller.state = RINGING
                caller.channel.ringing(caller)

    def early_media(self, leg: Leg, sdp: str) -> None:
        """A callee sends media before answering (only to callers that support it)."""
        self._require_callee(leg, "send early media on")
        caller = leg.caller
        leg.extra["sdp"] = sdp
        if caller.supports_early_media and caller.state in (INITIATED, RINGING):
            caller.state = EARLY
            leg.state = EARLY
            self._record(leg, "early_media")
            caller.channel.early_media(caller, sdp)

    def answer(self, leg: Leg, sdp: str) -> None:
        self._require_callee(leg, "answer")
        session = leg.session
        assert session is not None
        if session.answered is not None:
            raise Conflict("Session %1 was answered elsewhere", session.id)
        if not isinstance(sdp, str) or not sdp.strip():
            raise InvalidInput("Invalid input value for message part %1", "sdp")
        session.answered = leg
        leg.extra["sdp"] = sdp
        session.state = CONNECTED
        leg.state = CONNECTED
        session.caller.state = CONNECTED
        self._record(leg, "answer")
        for other in session.callees:
            if other is not leg and other.state != ENDED:
                other.state = ENDED
                other.channel.cancelled(other)
        session.caller.channel.accepted(session.caller, sdp)

    def reject(self, leg: Leg, reason: tuple[int, str] = DECLINED) -> None:
        self._require_callee(leg, "reject")
        if leg.state == CONNECTED:
            raise Conflict("Session %1 is already answered; end it instead", leg.id)
        leg.state = ENDED
        self._record(leg, "reject")
        session = leg.session
        assert session is not None
        if all(c.state == ENDED for c in session.callees) and session.caller.state != ENDED:
            self._end_session(session, leg, reason)

    def end(self, leg: Leg, reason: tuple[int, str] = NORMAL) -> None:
        """``leg`` hangs up: before an answer the callees are cancelled, after it the peer is ended."""
        if leg.state == ENDED:
            return
        session = leg.session
        self._record(leg, "end")
        if session is None:
            leg.state = ENDED
            return
        if leg.role == Role.CALLEE and session.answered is not leg:  # hanging up while it rings = declining
            self.reject(leg, DECLINED if reason == NORMAL else reason)
            return
        self._end_session(session, leg, reason)

    def _end_session(self, session: CallSession, by: Leg, reason: tuple[int, str]) -> None:
        status, text = reason
        was_answered = session.answered is not None
        session.state = ENDED
        for leg in [session.caller, *session.callees]:
            if leg is by or leg.state == ENDED:
                leg.state = ENDED
                continue
            leg.state = ENDED
            if leg.role == Role.CALLEE and not was_answered:
                leg.channel.cancelled(leg)
            else:
                leg.channel.ended(leg, status, text)

    # -- mid-call ------------------------------------------------------------------------------
    def update(self, leg: Leg, offer: str | None, relay_delay: float) -> None:
        """A re-offer (hold, unhold, media change) goes to the peer as an offer notification,
        ``relay_delay`` seconds later (see ``Timings.relay_delay``)."""
        peer = self._connected_peer(leg)
        self._record(leg, "update")
        if offer:
            leg.extra["sdp"] = offer
        peer.extra["awaiting_answer_for"] = leg.id

        def relay() -> None:
            if peer.state != ENDED and leg.state != ENDED:
                peer.channel.offer(peer, offer)

        self._progress.later("relay_delay", relay, seconds=relay_delay)

    def respond(self, leg: Leg, answer: str) -> None:
        """The answer to the peer's re-offer goes back to the peer. A leg asked for an offer
        (slow start, after a transfer or a join) answers with an offer: that goes to the peer."""
        peer = self._connected_peer(leg)
        leg.extra["sdp"] = answer
        if leg.extra.pop("offer_requested", False):
            self._record(leg, "offer")
            peer.extra["awaiting_answer_for"] = leg.id
            peer.channel.offer(peer, answer)
            return
        if leg.extra.pop("awaiting_answer_for", None) != peer.id:
            raise Conflict("No re-offer from the peer is waiting for an answer on %1", leg.id)
        self._record(leg, "respond")
        peer.channel.answer(peer, answer)

    def request_offer(self, leg: Leg) -> None:
        """Ask ``leg``'s party for a fresh offer (an offer notification without SDP)."""
        leg.extra["offer_requested"] = True
        self._record(leg, "offer_requested")
        leg.channel.offer(leg, None)

    def transfer(self, leg_a: Leg, leg_b: Leg, reason: tuple[int, str] = (200, "Call transferred")) -> CallSession:
        """Consultative transfer: the parties of two connected sessions of one user get connected to
        each other; the user's two legs end. The two parties renegotiate media directly."""
        if leg_a is leg_b:
            raise InvalidInput("A call cannot be transferred to itself")
        first, second = self._connected_peer(leg_a), self._connected_peer(leg_b)
        session = CallSession(id=self._ids.id("call"), caller=first, callees=[second],
                              created_at=self._clock.wall(), answered=second, state=CONNECTED)
        self.sessions[session.id] = session
        first.role, second.role = Role.CALLER, Role.CALLEE
        for leg in (leg_a, leg_b):
            self.retire(leg, reason)
        first.session = second.session = session
        self.request_offer(first)
        return session

    def retire(self, leg: Leg, reason: tuple[int, str]) -> None:
        """End one leg and its old session without touching the other party (it was moved away)."""
        if leg.session is not None:
            leg.session.state = ENDED
        leg.state = ENDED
        self._record(leg, "retired")
        leg.channel.ended(leg, *reason)

    def add_session(self, caller: Leg, callee: Leg, *, connected: bool) -> CallSession:
        """A session between two existing legs (transfers and conference bridges build them)."""
        session = CallSession(id=self._ids.id("call"), caller=caller, callees=[callee], created_at=self._clock.wall(),
                              answered=callee if connected else None, state=CONNECTED if connected else INITIATED)
        caller.role, callee.role = Role.CALLER, Role.CALLEE
        caller.session = callee.session = session
        if connected:
            caller.state = callee.state = CONNECTED
        self.sessions[session.id] = session
        return session

    def send_custom_parameters(self, leg: Leg, parameters: list[dict[str, str]]) -> None:
        leg.custom_parameters = parameters
        peer = leg.peer
        if peer is not None and peer.state != ENDED:
            peer.channel.custom_parameters(peer, parameters)

    def status(self, leg: Leg) -> str:
        if leg.state == ENDED or leg.session is None:
            raise NotFound("Session %1 is closed", leg.id)
        return {INITIATED: "Initiated", RINGING: "Ringing", EARLY: "Ringing", CONNECTED: "Connected"}[leg.state]

    def connected_peer(self, leg: Leg) -> Leg:
        return self._connected_peer(leg)

    def _connected_peer(self, leg: Leg) -> Leg:
        peer = leg.peer
        if leg.state != CONNECTED or peer is None or peer.state != CONNECTED:
            raise Conflict("Session %1 is not connected", leg.id)
        return peer

    def _require_callee(self, leg: Leg, what: str) -> None:
        if leg.role != Role.CALLEE or leg.session is None:
            raise Conflict("Cannot %1 session %2: it is not an incoming call", what, leg.id)
        if leg.state == ENDED:
            raise NotFound("Session %1 is closed", leg.id)

    def forget(self, leg_id: str) -> CallSession:
        """Drop a session without telling anyone (a platform that lost it: audits then fail)."""
        leg = self.legs.get(leg_id)
        if leg is None or leg.session is None:
            raise NotFound("Session %1 not found", leg_id)
        session = leg.session
        session.state = ENDED
        for other in [session.caller, *session.callees]:
            other.state = ENDED
        return session


_ADDRESS_SEPARATORS = re.compile(r"[ \-.()]")


def plain_address(address: str) -> str:
    """``Name <sip:bob@example.com>`` / ``sip:bob@example.com`` -> ``bob@example.com``."""
    address = address.strip()
    if "<" in address and ">" in address:
        address = address[address.index("<") + 1:address.index(">")]
    address = re.sub(r"^[a-zA-Z]+:", "", address)
    user, at, host = address.partition("@")
    if user.startswith("+") or user.replace(" ", "").isdigit():
        user = _ADDRESS_SEPARATORS.sub("", user)
    return f"{user}{at}{host}".lower()


def display_name_of(address: str | None) -> str | None:
    if address and "<" in address:
        name = address[:address.index("<")].strip().strip('"')
        return name or None
    return None
