"""The drift report of a run: what every platform of the run validated, and where traffic and
contract disagreed.

Each platform with ``contract=True`` adds its monitor to :data:`RUN` when it stops; the pytest
plugin writes the process's part to ``reports/contract/part-<worker>.json`` at the end of the
session, and ``python -m fake_platform.contract.report reports/contract`` merges the parts into
``drift.json`` and ``drift.md``: violations by side and place, and the documented operations and
messages no traffic exercised.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from .monitor import CLIENT, PLATFORM, ContractMonitor
from .validator import asyncapi_contract, openapi_contract

EXAMPLES_PER_PLACE = 3


class RunReport:
    def __init__(self) -> None:
        self.platforms = 0
        self.validated: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.violations: dict[str, dict[str, list[dict[str, Any]]]] = {CLIENT: {}, PLATFORM: {}}

    def add(self, monitor: ContractMonitor) -> None:
        self.platforms += 1
        self.validated.update(monitor.seen)
        self.counts.update(monitor.counts)
        for side, kept in monitor.violations.items():
            for violation in kept:
                places = self.violations[side].setdefault(f"{violation.where}: {violation.error}", [])
                if len(places) < EXAMPLES_PER_PLACE:
                    places.append(violation.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {"platforms": self.platforms, "validated": dict(self.validated), "counts": dict(self.counts),
                "violations": self.violations}

    def write_part(self, directory: Path, name: str) -> Path | None:
        if not self.platforms:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"part-{name}.json"
        target.write_text(json.dumps(self.to_dict(), indent=1))
        return target


RUN = RunReport()


def documented() -> list[str]:
    """Every operation key and every (channel, direction, message) the documents describe."""
    keys = [f"{method} {path}" for method, path in sorted(openapi_contract().documented())]
    frames = asyncapi_contract()
    for product, channel in frames.channels.items():
        for direction, table in (("sent", channel.sent), ("received", channel.received)):
            keys += [f"{frames.CHANNELS[product]} {direction} {name}" for name in sorted(table)]
    return keys


def merge(directory: Path) -> dict[str, Any]:
    """Merge every ``part-*.json`` of ``directory`` into ``drift.json`` and ``drift.md``."""
    total = RunReport()
    for part in sorted(directory.glob("part-*.json")):
        data = json.loads(part.read_text())
        total.platforms += data["platforms"]
        total.validated.update(data["validated"])
        total.counts.update(data["counts"])
        for side, places in data["violations"].items():
            for place, examples in places.items():
                kept = total.violations[side].setdefault(place, [])
                kept.extend(examples[:EXAMPLES_PER_PLACE - len(kept)])
    unexercised = [key for key in documented() if key not in total.validated]
    result = {**total.to_dict(), "unexercised": unexercised,
              "documented": len(documented()), "exercised": len(documented()) - len(unexercised)}
    (directory / "drift.json").write_text(json.dumps(result, indent=1))
    (directory / "drift.md").write_text(_markdown(result))
    return result


def _markdown(result: dict[str, Any]) -> str:
    lines = ["# Contract drift report", "",
             f"{result['platforms']} platforms; {result['exercised']} of {result['documented']} documented "
             f"operations and messages exercised; violations: {result['counts'].get(PLATFORM, 0)} by the platform, "
             f"{result['counts'].get(CLIENT, 0)} by clients (answered with the protocol's 400).", ""]
    for side in (PLATFORM, CLIENT):
        places = result["violations"][side]
        lines += [f"## {side} violations ({len(places)} places)", ""]
        lines += [f"- {place}" for place in sorted(places)] or ["none"]
        lines.append("")
    lines += ["## documented but not exercised", ""]
    lines += [f"- {key}" for key in result["unexercised"]] or ["none"]
    return "\n".join(lines) + "\n"


def worker_name() -> str:
    # With the process id: a later run (make test-interop after make test) adds its parts.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, nargs="?", default=Path("reports/contract"))
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        print(f"contract: no report parts in {args.directory}")
        return 0
    result = merge(args.directory)
    print(f"contract: {result['exercised']}/{result['documented']} documented operations and messages exercised, "
          f"platform violations {result['counts'].get(PLATFORM, 0)}, client violations "
          f"{result['counts'].get(CLIENT, 0)} ({args.directory / 'drift.md'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
