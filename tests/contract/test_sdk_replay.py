"""The official SDKs' recordings replayed into our SDK without a browser: the same scenario, the
recorded answers and frames, the same events and states as the official build reported
(tests/contract/sdk_replay.py; the legitimate differences are tests/contract/differences.py).

The last tests break a recording on purpose and check the replay says so: a request the official
SDK never sent, a frame our SDK never got, a value the official SDK never saw.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from . import differences, recordings
from .sdk_replay import ReplayFailure, replay_into_sdk

RECORDINGS = recordings.load_all()
ECHO = "test_cpaas_calls__test_the_official_sdk_dials_the_scripted_endpoints[echo]"
PRESENCE = "test_cpaas_presence_groups__test_presence_updates_in_python_reach_the_official_sdk"
QUICK_GATE = 1.0  # s: the broken recordings fail at a gate; no need to wait the full bound


def test_every_recording_carries_the_official_apps_log() -> None:
    missing = [name for name, recording in RECORDINGS.items() if "official" not in recording]
    assert not missing, f"recordings without the official app's log (re-record: make record-interop): {missing}"
    assert {r["official"]["sdk"] for r in RECORDINGS.values()} == {"cpaas", "callme"}


@pytest.mark.parametrize("name", sorted(RECORDINGS))
async def test_our_sdk_follows_the_official_sdk_through_the_recording(name: str) -> None:
    replay = await replay_into_sdk(RECORDINGS[name])
    assert not replay.differences, "our SDK differs from the official one:\n" + "\n".join(replay.differences)
    assert sum(replay.paired.values()) > 0, "no event was compared"


def _without(recording: dict[str, Any], drop: Any) -> dict[str, Any]:
    """``recording`` without the traffic events ``drop`` selects (the official log re-placed)."""
    broken = copy.deepcopy(recording)
    kept = [i for i, e in enumerate(broken["events"]) if not drop(e)]
    assert len(kept) < len(broken["events"]), "the mutation selected nothing"
    broken["events"] = [broken["events"][i] for i in kept]
    for entry in broken["official"]["log"]:
        entry["after"] = sum(1 for i in kept if i < entry["after"])
    return broken


async def test_a_request_the_recording_has_no_answer_for_fails_the_replay_naming_it() -> None:
    broken = _without(RECORDINGS[ECHO], lambda e: e["kind"] == "http" and e["method"] == "POST"
                      and e["path"].endswith("/sessions"))
    with pytest.raises(ReplayFailure, match=r"our SDK sent POST /cpaas/webrtcsignaling/v1/user1@example.com/"
                                            r"sessions wrtcsSession, which the recording has no answer for"):
        await replay_into_sdk(broken, gate_timeout=QUICK_GATE)


async def test_an_event_the_official_sdk_had_and_ours_did_not_fails_the_replay() -> None:
    # Without the Ringing frame our SDK never rings: the official SDK's Initiated -> Ringing is missing.
    broken = _without(RECORDINGS[ECHO], lambda e: e["kind"] == "ws-out" and "Ringing" in json.dumps(e["frame"]))
    with pytest.raises(ReplayFailure, match=r"before the frame wrtcsAcceptanceNotification, .*call:stateChange"):
        await replay_into_sdk(broken, gate_timeout=QUICK_GATE)


async def test_a_value_the_official_sdk_did_not_report_is_a_difference() -> None:
    broken = copy.deepcopy(RECORDINGS[PRESENCE])
    frame = next(e["frame"] for e in broken["events"] if e["kind"] == "ws-out" and "presenceNotification" in e["frame"])
    frame["presenceNotification"]["presence"]["person"]["activities"]["activityValue"] = "Lunch"
    replay = await replay_into_sdk(broken, gate_timeout=QUICK_GATE)
    assert any(d.startswith("presence:change #") and "activity: ours 'Lunch', official 'Busy'" in d
               for d in replay.differences), replay.differences


def test_every_difference_in_the_table_gives_its_reason() -> None:
    entries = [*differences.UNSENT_REQUESTS, *differences.CONFIG_DIFFERENCES, *differences.EVENT_DIFFERENCES,
               *differences.ACTION_EVENTS, *differences.OUR_EVENTS, *differences.READ_DIFFERENCES,
               *differences.TRACK_SETS]
    sources = ("decisions.md", "callme-5-protocol.md", "cpaas-wire", "link-callme-wire", "DESIGN.md", "recording",
               "interop page")
    for entry in entries:
        assert entry.sdk in ("cpaas", "callme"), entry
        assert any(source in entry.why for source in sources), f"{entry.what}: the reason cites no source"
    reasons = [*differences.UNCOMPARED_FIELDS.values(), *differences.UNORDERED_READ_FIELDS.values(),
               *(why for _value, why in differences.UNSET_FIELDS.values())]
    assert all(reasons)
