"""The documented surface of both products (facts only), from kandy_testing/data/inventory.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent / "data" / "inventory.json"
# Event names the documents spell two ways; the SDK emits one (CPAAS-01, docs/decisions.md).
EVENT_ALIASES: dict[str, dict[str, str]] = {"cpaas": {"messages:changed": "messages:change"}, "link": {}}


@cache
def inventory() -> dict[str, Any]:
    return json.loads(PATH.read_text())


def product(name: str) -> dict[str, Any]:
    return inventory()["products"][name]


def documented_defaults(name: str) -> dict[str, Any]:
    """``{dotted key: default}`` for every key with a documented default."""
    return {c["path"]: c["default"] for c in product(name)["config"] if c["has_default"]}


def documented_events(name: str) -> list[str]:
    return [e["name"] for e in product(name)["events"] if not (e["placeholder"] or e["stale"])]


def documented_apis(name: str) -> list[dict[str, Any]]:
    return list(product(name)["apis"])
