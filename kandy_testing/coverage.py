"""Conformance coverage: which documented APIs and events the scenarios exercised, and verified.

Two numbers per product and kind:

* **exercised**: a scenario's own steps called the function *successfully* (it returned; a returned
  task or coroutine completed without error), or the SDK emitted the event while a scenario's steps
  ran. Calls that raised (refusal paths), calls the SDK made to its own API (``destroy`` through
  ``aclose()``, ``conversation.getMessage`` from a notification) and calls in fixture set-up or
  teardown do not count. From the per-test traces ``sdk.trace`` writes (``KANDY_API_TRACE``).
* **verified**: exercised, *and* the knockout gate (``kandy_testing.knockout``) killed its knockout:
  with the function reduced to returning its documented shape (or the event not emitted, and emitted
  empty) a scenario failed, so some step asserts the effect. Verdicts come from the last full
  knockout run recorded in ``kandy_testing/data/knockout-verdicts.json`` (``make knockout``), with
  this run's sample (``reports/conformance/knockout-sample.json``, ``make test``) taking precedence.

APIs documented as v3.X-only (``not_implemented_in_4x`` / ``deprecated``) count as exercised when
their documented replacement was. Placeholder and stale example events (``dummy:event``,
``call:accepted``) are not events of the SDK and are not counted.

    python -m kandy_testing.coverage --traces reports/coverage [--suite features] [--gate]

``--gate`` fails when anything documented is not exercised, or exercised but not verified (except
the knockouts ``kandy_testing.knockout.targets`` lists as not expressible or known survivors).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .inventory import EVENT_ALIASES, inventory
from .knockout import recorded
from .knockout.targets import KNOWN_SURVIVORS, excused
from .traces import ScenarioTrace, load


def exercised(traces: dict[str, ScenarioTrace]) -> set[tuple[str, str, str]]:
    """(product, kind, name) that a scenario's steps called successfully or saw emitted."""
    found = set()
    for trace in traces.values():
        for touch in trace.touches:
            if touch.by_the_scenario or (touch.kind == "event" and touch.phase == "call"):
                found.add(touch.key)
    return found


def _killed(verdicts: dict[str, str], product: str, kind: str, name: str) -> bool:
    if kind == "api":
        return verdicts.get(f"{product}:api:{name}") == "killed"
    return all(verdicts.get(f"{product}:event:{name}:{mode}") == "killed" for mode in ("drop", "empty"))


def report(seen: set[tuple[str, str, str]], verdicts: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for product, data in inventory()["products"].items():
        apis_seen = {name for p, kind, name in seen if p == product and kind == "api"}
        events_seen = {name for p, kind, name in seen if p == product and kind == "event"}
        api_part: dict[str, Any] = {"documented": len(data["apis"]), "missing": [], "unverified": []}
        for api in data["apis"]:
            path = api["path"]
            names = [path] if api["status"] == "active" else [path, *api.get("replacement", [])]
            used = [n for n in names if n in apis_seen]
            if not used:
                api_part["missing"].append(path)
            elif not any(_killed(verdicts, product, "api", n) for n in used):
                api_part["unverified"].append(path)
        events = [e["name"] for e in data["events"] if not (e["placeholder"] or e["stale"])]
        event_part: dict[str, Any] = {"documented": len(events), "missing": [], "unverified": []}
        for event in events:
            real = EVENT_ALIASES[product].get(event, event)
            if real not in events_seen:
                event_part["missing"].append(event)
            elif not _killed(verdicts, product, "event", real):
                event_part["unverified"].append(event)
        for part in (api_part, event_part):
            part["exercised"] = part["documented"] - len(part["missing"])
            part["verified"] = part["exercised"] - len(part["unverified"])
        result[product] = {"apis": api_part, "events": event_part}
    return result


def unverified_for_a_reason(product: str, kind: str, name: str) -> bool:
    """Not verified for a recorded reason (a knockout not expressible, or a known survivor)."""
    listed = set(excused()) | set(KNOWN_SURVIVORS)
    if kind == "apis":
        return f"{product}:api:{name}" in listed
    real = EVENT_ALIASES[product].get(name, name)
    return any(f"{product}:event:{real}:{mode}" in listed for mode in ("drop", "empty"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--traces", default="reports/coverage")
    parser.add_argument("--out", default=None)
    parser.add_argument("--suite", default="features", help="count only this test folder's traces")
    parser.add_argument("--gate", action="store_true", help="exit 1 unless everything documented is "
                        "exercised and verified (recorded exceptions aside)")
    args = parser.parse_args(argv)
    traces = load(Path(args.traces), args.suite)
    if not traces:
        print(f"no {args.suite} traces in {args.traces}: run the tests with KANDY_API_TRACE set", file=sys.stderr)
        return 1
    result = report(exercised(traces), recorded.verdicts())
    failing = 0
    for product, parts in result.items():
        for kind in ("apis", "events"):
            part = parts[kind]
            unexcused = [n for n in part["unverified"] if not unverified_for_a_reason(product, kind, n)]
            failing += len(part["missing"]) + len(unexcused)
            print(f"{product:6} {kind:7} {part['exercised']:3}/{part['documented']:3} exercised, "
                  f"{part['verified']:3}/{part['documented']:3} verified"
                  + (f"; not exercised: {', '.join(part['missing'])}" if part["missing"] else "")
                  + (f"; not verified: {', '.join(part['unverified'])}" if part["unverified"] else ""))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 1 if args.gate and failing else 0


if __name__ == "__main__":
    sys.exit(main())
