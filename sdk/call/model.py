"""Call vocabulary and the call state machine (one place for states, operations, transitions).

State values are the strings the platform SDKs use (protocol notes: 'Initiating', 'On Hold', ...).
A call changes state only through :meth:`Call.transition`, which refuses moves the table does not
allow ("expected one of X, got Y") and tells the caller whether anything changed, so that
``call:stateChange`` is emitted once per real change.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes

if TYPE_CHECKING:
    from kandy_media.peer import Peer


class states:
    """Possible states that a Call can be in (documented ``call.states``)."""

    INITIATING = "Initiating"
    INITIATED = "Initiated"
    RINGING = "Ringing"
    EARLY_MEDIA = "Early Media"
    CANCELLED = "Cancelled"
    CONNECTED = "Connected"
    ON_HOLD = "On Hold"
    ENDED = "Ended"


class cpaas_states:
    INITIATING = states.INITIATING
    INITIATED = states.INITIATED
    RINGING = states.RINGING
    CANCELLED = states.CANCELLED
    CONNECTED = states.CONNECTED
    ON_HOLD = states.ON_HOLD
    ENDED = states.ENDED


TERMINAL = {states.ENDED, states.CANCELLED}
ESTABLISHED = {states.CONNECTED, states.ON_HOLD}

ALLOWED: dict[str, set[str]] = {
    states.INITIATING: {states.INITIATED, states.RINGING, states.ENDED, states.CANCELLED},
    states.INITIATED: {states.RINGING, states.EARLY_MEDIA, states.CONNECTED, states.ENDED, states.CANCELLED},
    states.RINGING: {states.EARLY_MEDIA, states.CONNECTED, states.ENDED, states.CANCELLED},
    states.EARLY_MEDIA: {states.RINGING, states.CONNECTED, states.ENDED, states.CANCELLED},
    states.CONNECTED: {states.ON_HOLD, states.ENDED},
    states.ON_HOLD: {states.CONNECTED, states.ENDED},
    states.CANCELLED: set(),
    states.ENDED: set(),
}

# call:operation names and transitions (protocol notes, link-callme-wire §7)
MAKE, ANSWER, REJECT, IGNORE, END = "MAKE", "ANSWER", "REJECT", "IGNORE", "END"
HOLD, UNHOLD = "HOLD", "UNHOLD"
ADD_MEDIA, REMOVE_MEDIA, ADD_BASIC_MEDIA, REMOVE_BASIC_MEDIA = "ADD_MEDIA", "REMOVE_MEDIA", "ADD_BASIC_MEDIA", \
    "REMOVE_BASIC_MEDIA"
GET_STATS, SEND_DTMF, REPLACE_TRACK = "GET_STATS", "SEND_DTMF", "REPLACE_TRACK"
SEND_CUSTOM_PARAMETERS = "SEND_CUSTOM_PARAMETERS"
CONSULTATIVE_TRANSFER, DIRECT_TRANSFER, JOIN = "CONSULTATIVE_TRANSFER", "DIRECT_TRANSFER", "JOIN"
START, UPDATE, FINISH = "START", "UPDATE", "FINISH"
ONGOING, PENDING = "ONGOING", "PENDING"

# transition statusCode / reasonText for local endings the SDK itself decides
AUDIT_FAILURE = {"statusCode": 9909, "reasonText": "Call has ended due to call audit failure."}


@dataclass
class Call:
    """One call and its CallObject state."""

    id: str
    direction: str  # "outgoing" | "incoming"
    product: str
    state: str = states.INITIATING
    session_id: str | None = None
    remote_number: str | None = None
    remote_name: str | None = None
    from_address: str | None = None
    to_address: str | None = None
    local_hold: bool = False
    remote_hold: bool = False
    local_tracks: list[str] = field(default_factory=list)
    remote_tracks: list[str] = field(default_factory=list)
    bandwidth: dict[str, Any] = field(default_factory=dict)
    dscp: dict[str, Any] = field(default_factory=dict)
    custom_parameters: list[dict[str, str]] = field(default_factory=list)
    start_time: int = 0
    end_time: int | None = None
    # -- internals -----------------------------------------------------------------------------
    anonymous: bool = False
    account: str | None = None
    realm: str | None = None
    slow_start: bool = False
    peer: Peer | None = None
    last_remote_sdp: str | None = None
    operation: tuple[str, str] | None = None  # (operation, ONGOING|PENDING)
    pending_answer: asyncio.Future[str] | None = None
    audit_task: asyncio.Task[None] | None = None
    media_options: dict[str, Any] = field(default_factory=dict)
    early_sdp: str | None = None
    ended_mids: set[str | None] = field(default_factory=set)
    media_verified: bool | None = None  # dense media: whether this call's audio is decoded (None: not decided)
    # Teardown has begun: no peer connection may be made for the call from then on (an operation
    # still in flight, e.g. a peer rebuild, would make one nobody closes).
    media_closed: bool = False

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL

    def transition(self, new_state: str) -> bool:
        """Move to ``new_state``; False when already there, BasicError when not allowed."""
        if new_state == self.state:
            return False
        if new_state not in ALLOWED[self.state]:
            raise BasicError(Codes.CALL_INVALID_STATE,
                             f"Call {self.id} cannot go from '{self.state}' to '{new_state}'; "
                             f"expected one of {sorted(ALLOWED[self.state])}")
        self.state = new_state
        return True

    def previous(self) -> dict[str, Any]:
        return {"state": self.state, "localHold": self.local_hold, "remoteHold": self.remote_hold}

    def require(self, allowed: set[str], what: str) -> None:
        if self.state not in allowed:
            raise BasicError(Codes.CALL_INVALID_STATE,
                             f"Cannot {what} call {self.id} in state '{self.state}'; "
                             f"it must be {' or '.join(sorted(allowed))}")

    def to_object(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": self.id,
            "direction": self.direction,
            "state": self.state,
            "localHold": self.local_hold,
            "remoteHold": self.remote_hold,
            "localTracks": list(self.local_tracks),
            "remoteTracks": list(self.remote_tracks),
            "remoteParticipant": {"displayNumber": self.remote_number, "displayName": self.remote_name},
            "bandwidth": dict(self.bandwidth),
            "startTime": self.start_time,
            "endTime": self.end_time,
        }
        if self.product == "link":
            obj["from"] = self.from_address
            obj["to"] = self.to_address
            obj["customParameters"] = [dict(p) for p in self.custom_parameters]
        return obj
