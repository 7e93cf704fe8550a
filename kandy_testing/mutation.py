"""The mutation score of the core modules, from a finished ``mutmut run`` (``make mutation``).

mutmut (configured in ``pyproject.toml``, ``[tool.mutmut]``) mutates the call state machine and the
engine's transitions (``sdk/call/model.py``, ``sdk/call/engine.py``), the channel's keepalive and
backoff (``sdk/transport/channel.py``) and notification de-duplication (``sdk/notifications.py``),
and runs against each mutant the unit tests that reached the mutated function. Lines that only log
are not mutated (their text is not behaviour). This module reads ``mutmut results`` and writes the
score per module and the survivors by function to ``reports/mutation/mutation.json`` and ``.md``.

A mutant is *killed* when a test failed (or timed out) with it; it *survived* when every test that
reached its function passed; *no tests* when no selected test reached it. The score is killed
over all mutants; survivors are to be read one by one (``mutmut show NAME``): either a test is
missing, or the mutant does not change behaviour (an equivalent mutant).

    python -m kandy_testing.mutation [--out reports/mutation]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

KILLED = ("killed", "timeout")
_LINE = re.compile(r"^\s*(?P<name>\S+__mutmut_\d+): (?P<status>.+?)\s*$")


def parse(text: str) -> list[tuple[str, str, str]]:
    """``mutmut results --all true`` lines -> ``(module, function, status)`` per mutant.

    Names look like ``sdk.notifications.xǁIdCacheǁseen__mutmut_3`` (a method) or
    ``sdk.call.model.x_helper__mutmut_1`` (a module-level function).
    """
    found = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        name = match.group("name").rsplit("__mutmut_", 1)[0]
        if "ǁ" in name:
            head, cls, method = name.split("ǁ")
            module, function = head.rsplit(".", 1)[0], f"{cls}.{method}"
        else:
            module, _, function = name.rpartition(".")
            function = function.removeprefix("x_")
        found.append((module, function, match.group("status")))
    return found


def summarise(mutants: list[tuple[str, str, str]]) -> dict[str, Any]:
    modules: dict[str, Any] = {}
    for module in sorted({m for m, _f, _s in mutants}):
        mine = [(f, s) for m, f, s in mutants if m == module]
        counts = Counter(s for _f, s in mine)
        killed = sum(counts[s] for s in KILLED)
        modules[module] = {"mutants": len(mine), "killed": killed, "counts": dict(counts),
                           "score": round(100.0 * killed / len(mine), 1) if mine else 0.0,
                           "survivors": dict(Counter(f for f, s in mine if s not in KILLED))}
    total = len(mutants)
    killed = sum(1 for _m, _f, s in mutants if s in KILLED)
    return {"mutants": total, "killed": killed, "score": round(100.0 * killed / total, 1) if total else 0.0,
            "modules": modules}


def markdown(summary: dict[str, Any]) -> str:
    lines = ["# Mutation testing (make mutation)", "",
             f"{summary['killed']}/{summary['mutants']} mutants killed: score {summary['score']} %.", "",
             "| module | mutants | killed | score | statuses |", "|---|---|---|---|---|"]
    for module, part in summary["modules"].items():
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(part["counts"].items()))
        lines.append(f"| `{module}` | {part['mutants']} | {part['killed']} | {part['score']} % | {statuses} |")
    lines += ["", "## Not killed, by function (`mutmut show NAME` shows each)", ""]
    for module, part in summary["modules"].items():
        for function, count in sorted(part["survivors"].items(), key=lambda item: -item[1]):
            lines.append(f"- `{module}` `{function}`: {count}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", default="reports/mutation")
    args = parser.parse_args(argv)
    results = subprocess.run([str(Path(sys.executable).parent / "mutmut"), "results", "--all", "true"],
                             capture_output=True, text=True, timeout=300, check=False)
    mutants = parse(results.stdout)
    if not mutants:
        print(f"no mutmut results (run `mutmut run` first): {results.stderr.strip()[-500:]}", file=sys.stderr)
        return 1
    summary = summarise(mutants)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "mutation.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out / "mutation.md").write_text(markdown(summary))
    for module, part in summary["modules"].items():
        print(f"{module:26} {part['killed']:4}/{part['mutants']:4} killed  {part['score']:5} %")
    print(f"{'all':26} {summary['killed']:4}/{summary['mutants']:4} killed  {summary['score']:5} %  "
          f"({out / 'mutation.md'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
