"""The harness (kandy_testing/) uses the platform through its public facade and the SDK through its
public names: no ``platform.state`` and no private SDK import, so either can change inside."""

from __future__ import annotations

import ast
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "kandy_testing"


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text())) for path in sorted(HARNESS.rglob("*.py"))]


def _platform_state_reads(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "state":
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
            if name == "platform":
                lines.append(node.lineno)
    return lines


def test_the_harness_reads_the_platform_through_its_facade() -> None:
    found = {str(path.relative_to(HARNESS)): lines for path, tree in _sources()
             if (lines := _platform_state_reads(tree))}
    assert not found, f"platform.state read in kandy_testing (add a public Platform method instead): {found}"


def test_the_harness_imports_no_private_sdk_name() -> None:
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sdk"):
                found += [f"{path.relative_to(HARNESS)}:{node.lineno} {alias.name}" for alias in node.names
                          if alias.name.startswith("_") and alias.name != "__version__"]
    assert not found, found
