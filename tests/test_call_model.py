"""The call state machine and CallObject (sdk/call/model.py), at the edges mutation testing
(make mutation) found unchecked: refusals carry call:6 and say what is allowed, terminal states,
the documented path through every state, the CallObject of each product."""

from __future__ import annotations

import pytest

from sdk.call.model import ESTABLISHED, TERMINAL, Call, states
from sdk.errors import BasicError, Codes


def _call(product: str = "cpaas") -> Call:
    return Call(id="c1", direction="outgoing", product=product)


def test_a_call_goes_through_every_state_the_documents_name() -> None:
    call = _call()
    path = [states.INITIATED, states.RINGING, states.EARLY_MEDIA, states.RINGING, states.EARLY_MEDIA,
            states.CONNECTED, states.ON_HOLD, states.CONNECTED, states.ENDED]
    assert [call.transition(state) for state in path] == [True] * len(path)
    assert call.state == states.ENDED and call.ended


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_a_finished_call_moves_nowhere(terminal: str) -> None:
    call = _call()
    call.transition(terminal)
    assert call.ended
    for state in (states.CONNECTED, states.RINGING, states.ON_HOLD, states.INITIATING):
        with pytest.raises(BasicError) as refused:
            call.transition(state)
        assert refused.value.code == Codes.CALL_INVALID_STATE
        assert f"cannot go from '{terminal}' to '{state}'; expected one of []" in refused.value.message
    assert call.state == terminal


def test_a_refused_move_names_what_is_allowed_and_changes_nothing() -> None:
    call = _call()
    call.transition(states.INITIATED)
    call.transition(states.RINGING)
    with pytest.raises(BasicError) as refused:
        call.transition(states.ON_HOLD)
    assert refused.value.code == Codes.CALL_INVALID_STATE
    assert refused.value.message == ("Call c1 cannot go from 'Ringing' to 'On Hold'; expected one of "
                                     "['Cancelled', 'Connected', 'Early Media', 'Ended']")
    assert call.state == states.RINGING and not call.ended


def test_require_refuses_other_states_with_call_6() -> None:
    call = _call()
    with pytest.raises(BasicError) as refused:
        call.require(ESTABLISHED, "hold")
    assert refused.value.code == Codes.CALL_INVALID_STATE
    assert refused.value.message == "Cannot hold call c1 in state 'Initiating'; it must be Connected or On Hold"
    for state in (states.INITIATED, states.CONNECTED):
        call.transition(state)
    call.require(ESTABLISHED, "hold")  # no error


def test_previous_reports_the_state_and_both_holds() -> None:
    call = _call()
    call.local_hold, call.remote_hold = True, False
    assert call.previous() == {"state": states.INITIATING, "localHold": True, "remoteHold": False}


def test_the_call_object_of_each_product() -> None:
    cpaas, link = _call("cpaas"), _call("link")
    for call in (cpaas, link):
        call.remote_number, call.remote_name = "bob@example.com", "Bob"
        call.local_tracks.append("t1")
        call.bandwidth["audio"] = 48
        call.start_time, call.end_time = 10, 20
    link.from_address, link.to_address = "carol@example.com", "bob@example.com"
    link.custom_parameters.append({"name": "X-Ticket", "value": "4711"})
    common = {"id": "c1", "direction": "outgoing", "state": states.INITIATING, "localHold": False,
              "remoteHold": False, "localTracks": ["t1"], "remoteTracks": [],
              "remoteParticipant": {"displayNumber": "bob@example.com", "displayName": "Bob"},
              "bandwidth": {"audio": 48}, "startTime": 10, "endTime": 20}
    assert cpaas.to_object() == common
    linked = link.to_object()
    assert linked == {**common, "from": "carol@example.com", "to": "bob@example.com",
                      "customParameters": [{"name": "X-Ticket", "value": "4711"}]}
    linked["localTracks"].append("t2")
    linked["customParameters"][0]["value"] = "changed"
    linked["bandwidth"]["video"] = 1
    assert link.local_tracks == ["t1"] and link.custom_parameters[0]["value"] == "4711"  # copies, not the state
    assert link.bandwidth == {"audio": 48}
