"""Conformance coverage: which documented APIs and events no test exercised.

The test run records, per process, every documented API called and every event emitted
(``KANDY_API_TRACE``, see sdk/trace.py). This tool takes their union and lists, per product,
what the inventory documents and nothing exercised. APIs documented as v3.X-only
(``not_implemented_in_4x`` / ``deprecated``) count as exercised when their documented
replacement was. Placeholder and stale example events (``dummy:event``, ``call:accepted``) are
not events of the SDK and are not counted.

    python -m kandy_testing.coverage --traces reports/coverage [--suite features] [--gate]

``--suite features`` counts only what the Gherkin scenarios exercised (the gate of ``make test``):
unit tests may reach an API, but the promise is that a scenario shows it working end to end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .inventory import inventory

# API paths the SDK exposes under another spelling than the inventory's path.
ALIASES: dict[str, dict[str, str]] = {"cpaas": {}, "link": {}}
# Event names the documents spell two ways; the SDK emits one (CPAAS-01, docs/decisions.md).
EVENT_ALIASES: dict[str, dict[str, str]] = {"cpaas": {"messages:changed": "messages:change"}, "link": {}}


def load_traces(folder: Path, suite: str = "*") -> set[tuple[str, str, str]]:
    seen: set[tuple[str, str, str]] = set()
    for path in folder.glob(f"trace.{suite}.*.json"):
        seen.update(tuple(item) for item in json.loads(path.read_text()))  # type: ignore[misc]
    return seen


def report(seen: set[tuple[str, str, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for product, data in inventory()["products"].items():
        apis_seen = {name for p, kind, name in seen if p == product and kind == "api"}
        events_seen = {name for p, kind, name in seen if p == product and kind == "event"}
        apis_seen |= {alias for alias, real in ALIASES[product].items() if real in apis_seen}
        events_seen |= {alias for alias, real in EVENT_ALIASES[product].items() if real in events_seen}
        missing_apis = []
        for api in data["apis"]:
            path = api["path"]
            if path in apis_seen:
                continue
            if api["status"] != "active" and any(r in apis_seen for r in api.get("replacement", [])):
                continue
            missing_apis.append(path)
        events = [e["name"] for e in data["events"] if not (e["placeholder"] or e["stale"])]
        missing_events = [e for e in events if e not in events_seen]
        result[product] = {
            "apis": {"documented": len(data["apis"]), "exercised": len(data["apis"]) - len(missing_apis),
                     "missing": missing_apis},
            "events": {"documented": len(events), "exercised": len(events) - len(missing_events),
                       "missing": missing_events},
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", default="reports/coverage")
    parser.add_argument("--out", default=None)
    parser.add_argument("--suite", default="*", help="count only this test folder's traces (e.g. features)")
    parser.add_argument("--gate", action="store_true", help="exit 1 if anything documented is not exercised")
    args = parser.parse_args(argv)
    seen = load_traces(Path(args.traces), args.suite)
    if not seen:
        print(f"no {args.suite} traces in {args.traces}: run the tests with KANDY_API_TRACE set", file=sys.stderr)
        return 1
    result = report(seen)
    missing_total = 0
    for product, parts in result.items():
        for kind in ("apis", "events"):
            part = parts[kind]
            missing_total += len(part["missing"])
            print(f"{product:6} {kind:7} {part['exercised']:3}/{part['documented']:3} exercised"
                  + (f"; not yet: {', '.join(part['missing'])}" if part["missing"] else ""))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 1 if args.gate and missing_total else 0


if __name__ == "__main__":
    sys.exit(main())
