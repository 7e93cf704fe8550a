"""The official SDKs' recorded traffic (tests/contract/recordings), replayed without a browser:
every recorded request gets the same status from today's platform, and every answer and frame
follows the contract (the platform runs with contract=True)."""

from __future__ import annotations

import pytest

from . import recordings
from .replay import replay

RECORDINGS = recordings.load_all()


def test_there_are_recordings_of_both_official_sdks() -> None:
    names = " ".join(RECORDINGS)
    assert "test_cpaas" in names
    assert "test_callme" in names


@pytest.mark.parametrize("name", sorted(RECORDINGS))
async def test_recorded_official_traffic_replays(name: str) -> None:
    recording = RECORDINGS[name]
    session = await replay(recording)
    official = [e for e in recording["events"] if e["kind"] == "http" and "Origin" in e.get("headers", {})]
    assert session.exchanges == sum(1 for e in recording["events"] if e["kind"] == "http")
    assert official, "a recording of an official SDK has requests from the browser"
    frames = [e for e in recording["events"] if e["kind"] == "ws-out"]
    assert session.frames_matched >= sum(1 for e in frames if "connAck" not in e["frame"]) // 2
