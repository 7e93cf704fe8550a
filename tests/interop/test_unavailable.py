"""What the interop suite does when Chromium, playwright or an official build cannot be had."""

from __future__ import annotations

import pytest

from .browser import unavailable


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_in_ci_a_missing_part_fails_the_test(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"Chromium is not installed .*CI=true"):
        unavailable("Chromium is not installed")


@pytest.mark.parametrize("value", [None, "", "false"])
def test_on_a_developer_machine_it_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match=r"^official cpaas SDK unavailable: npm is not installed$"):
        unavailable("official cpaas SDK unavailable: npm is not installed")
