"""Every documented event has a documented payload shape (kandy_testing/shapes.py), a scenario
checks it, and the check rejects an empty or mistyped payload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kandy_testing.inventory import product
from kandy_testing.shapes import PAYLOADS, check
from sdk.errors import BasicError

FEATURES = Path(__file__).resolve().parent.parent / "features"


def _documented_events() -> set[str]:
    return {e["name"] for name in ("cpaas", "link") for e in product(name)["events"]
            if not e["stale"] and not e["placeholder"]}


def test_every_documented_event_has_a_shape() -> None:
    assert _documented_events() - set(PAYLOADS) == set()


def test_every_shape_is_checked_by_a_scenario() -> None:
    text = "\n".join(path.read_text() for path in FEATURES.rglob("*.feature"))
    checked = set(re.findall(r'receives "([^"]+)" with the documented payload', text))
    assert set(PAYLOADS) - checked == set(), "events whose documented payload no scenario checks"


@pytest.mark.parametrize("event", sorted(e for e, shapes in PAYLOADS.items() if all(shapes)))
def test_an_empty_payload_does_not_fit(event: str) -> None:
    assert check(event, {}), f"{event}: an empty payload passed"


def test_wrong_types_and_nested_fields_are_reported() -> None:
    assert check("call:newTrack", {"callId": "c1", "trackId": "t1", "local": "yes"}) == [
        "variant 1: local is str 'yes', not bool"]
    assert check("call:stateChange", {"callId": "c1", "previous": {"state": "Ringing", "localHold": False}}) == [
        "variant 1: previous.remoteHold is missing"]
    assert check("devices:error", {"error": BasicError("media:2", "denied")}) == []
    assert check("contacts:change", {"contacts": []}) == []  # one of its variants
    assert check("group:refresh", {}) == []  # documented without fields
