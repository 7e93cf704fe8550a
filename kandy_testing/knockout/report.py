"""Verdicts from the plugin's results: killed or survived per knockout, figures per product, a table."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sdk.knockout import Knockout

from .plan import Entry

KILLED, SURVIVED, UNTOUCHED = "killed", "survived", "untouched"
UNEXPRESSIBLE, NO_EFFECT = "not expressible", "no effect"  # excused: not run, with a recorded reason
EXCUSED = "excused"


@dataclass
class Verdict:
    id: str
    product: str
    kind: str
    name: str
    mode: str
    verdict: str
    planned: int  # scenarios that touched it
    ran: int = 0  # scenarios run under it before the verdict
    seconds: float = 0.0
    killed_by: str = ""
    kill_seconds: float = 0.0  # how long the killing scenario ran
    phase: str = ""
    message: str = ""
    reason: str = field(default="")  # why it was excused, or why a known survivor still survives

    @property
    def knockout(self) -> Knockout:
        return Knockout(self.product, self.kind, self.name, self.mode)


def verdicts(entries: list[Entry], results: Path, excused: dict[str, tuple[str, str]],
             known: dict[str, str]) -> list[Verdict]:
    """``excused``: knockout id -> (UNEXPRESSIBLE or NO_EFFECT, the recorded reason)."""
    lines = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    by_knockout: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_knockout.setdefault(line["knockout"], []).append(line)
    found = []
    for entry in entries:
        ko = entry.knockout
        base = Verdict(ko.id, ko.product, ko.kind, ko.name, ko.mode, SURVIVED, len(entry.tests))
        if ko.id in excused:
            base.verdict, base.reason = excused[ko.id]
        elif not entry.tests:
            base.verdict, base.reason = UNTOUCHED, "no scenario touches it"
        else:
            reports = by_knockout.get(ko.id, [])
            base.ran = len({r["test"] for r in reports if r["when"] == "call" and r["outcome"] != "skipped"}
                           | {r["test"] for r in reports if r["outcome"] == "failed"})
            base.seconds = round(sum(r["seconds"] for r in reports), 2)
            failure = next((r for r in reports if r["outcome"] == "failed"), None)
            if failure is not None:
                base.verdict, base.killed_by, base.kill_seconds = KILLED, failure["test"], failure["seconds"]
                base.phase, base.message = failure["when"], failure["message"]
            elif base.ran < len(entry.tests):
                base.reason = f"only {base.ran} of {len(entry.tests)} scenarios ran (time budget)"
            if base.verdict == SURVIVED and ko.id in known:
                base.reason = known[ko.id]
        found.append(base)
    return found


def figures(found: list[Verdict]) -> dict[str, dict[str, dict[str, int]]]:
    """Per product and kind: how many knockouts, killed, survived (untouched counts as survived),
    excused (not expressible, or a configuration key without effect)."""
    result: dict[str, dict[str, dict[str, int]]] = {}
    for v in found:
        counts = result.setdefault(v.product, {}).setdefault(v.kind, Counter())
        counts["total"] += 1
        counts[v.verdict if v.verdict == KILLED else EXCUSED if v.verdict in (UNEXPRESSIBLE, NO_EFFECT)
               else SURVIVED] += 1
    return {p: {k: {name: c[name] for name in ("total", KILLED, SURVIVED, EXCUSED)} for k, c in kinds.items()}
            for p, kinds in result.items()}


def write(found: list[Verdict], path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    document = {**meta, "figures": figures(found), "knockouts": [asdict(v) for v in found]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n")
    path.with_suffix(".md").write_text(table(document))
    return document


def summary_lines(document: dict[str, Any]) -> list[str]:
    lines = []
    for product, kinds in document["figures"].items():
        for kind, c in kinds.items():
            label = {"api": "functions", "event": "events", "config": "config keys"}[kind]
            lines.append(f"{product:6} {label:11} {c[KILLED]:3}/{c['total']:3} killed, {c[SURVIVED]:3} survived"
                         + (f", {c[EXCUSED]} excused (docs/decisions.md)" if c[EXCUSED] else ""))
    return lines


def table(document: dict[str, Any]) -> str:
    out = ["# Knockout gate", "",
           f"{document.get('what', '')}: {document['wall_seconds']:.0f} s wall time on "
           f"{document['workers']} workers.", ""]
    out += ["```", *summary_lines(document), "```", ""]
    out += ["| knockout | verdict | scenarios run / touching | killed by (phase) | why |", "|---|---|---|---|---|"]
    for v in sorted(document["knockouts"], key=lambda v: (v["verdict"] == KILLED, v["id"])):
        killer = f"`{v['killed_by']}` ({v['phase']})" if v["killed_by"] else ""
        why = (v["message"] or v["reason"]).replace("|", "\\|")[:200]
        out.append(f"| `{v['id']}` | {v['verdict']} | {v['ran']} / {v['planned']} | {killer} | {why} |")
    return "\n".join(out) + "\n"
