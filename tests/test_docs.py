"""The step library's documentation is current and every phrase has an example in features/."""

from __future__ import annotations

import re
from pathlib import Path

from kandy_testing import stepdocs
from kandy_testing.inventory import inventory


def test_step_library_docs_are_current_and_every_phrase_is_used() -> None:
    assert stepdocs.main(["--check"]) == 0


def test_every_documented_ambiguity_has_a_recorded_decision() -> None:
    decisions = (Path(__file__).parent.parent / "docs" / "decisions.md").read_text()
    ids = [a["id"] for product in inventory()["products"].values() for a in product["ambiguities"]]
    assert len(ids) >= 39
    assert [i for i in ids if not re.search(rf"\b{re.escape(i)}\b", decisions)] == []
