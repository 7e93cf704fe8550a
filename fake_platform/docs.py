"""The README's platform tables, generated from the code so they cannot fall behind it.

    python -m fake_platform.docs            # rewrite the tables in README.md
    python -m fake_platform.docs --check    # exit 1 when README.md is not current (tests/test_platform_docs.py)

Each table sits between ``<!-- <name>:start -->`` and ``<!-- <name>:end -->`` markers: the
control plane (from the route table and the handlers' docstrings), the fault kinds (from
``core/faults.SPECS``) and the protocol timings (from ``core/progress.Timings``).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Callable
from pathlib import Path

from .core.faults import SPECS
from .core.progress import Timings
from .registry import all_routes
from .routing import Door

README = Path(__file__).resolve().parent.parent / "README.md"


def control_plane_table() -> str:
    rows = ["| method and path | what it does |", "|---|---|"]
    for route in sorted((r for r in all_routes() if r.door == Door.CONTROL), key=lambda r: (r.path, r.method)):
        rows.append(f"| `{route.method} {route.path}` | {route.summary} |")
    return "\n".join(rows)


def fault_table() -> str:
    rows = ["| kind | what it does | acts on | parameters (default) |", "|---|---|---|---|"]
    for spec in SPECS.values():
        params = "; ".join(f"`{p.name}`: {p.doc} ({'none' if p.default is None else repr(p.default)})"
                           for p in spec.params) or "none"
        rows.append(f"| `{spec.kind}` | {spec.summary} | {spec.hook.value} | {params} |")
    return "\n".join(rows)


def timings_table() -> str:
    comments = _field_comments()
    rows = ["| timing | seconds | what waits for it |", "|---|---|---|"]
    for field in dataclasses.fields(Timings):
        rows.append(f"| `{field.name}` | {field.default} | {comments.get(field.name, '')} |")
    return "\n".join(rows)


def _field_comments() -> dict[str, str]:
    """The trailing comment of each Timings field in core/progress.py (its one description)."""
    source = (Path(__file__).parent / "core" / "progress.py").read_text()
    return dict(re.findall(r"^    (\w+): float = [\d.]+  # (.+)$", source, re.M))


TABLES: dict[str, Callable[[], str]] = {"control-plane": control_plane_table, "faults": fault_table,
                                        "timings": timings_table}


def render(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README.md has no {name} table markers")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)  # noqa: B023 (called at once)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is not current")
    args = parser.parse_args(argv)
    current = README.read_text()
    wanted = render(current)
    if args.check:
        if wanted != current:
            print("README.md platform tables are stale: run python -m fake_platform.docs", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
