"""The step library's documentation is current and every phrase has an example in features/."""

from __future__ import annotations

from kandy_testing import stepdocs


def test_step_library_docs_are_current_and_every_phrase_is_used() -> None:
    assert stepdocs.main(["--check"]) == 0
