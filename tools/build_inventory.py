"""Build kandy_testing/data/inventory.json from the team's spec/api-inventory.json.

Only facts are kept (API paths, statuses, replacements, config keys and defaults, event names,
constant members, ambiguity ids): no prose from the documents. Usage:

    python tools/build_inventory.py ../shared/spec/api-inventory.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "kandy_testing" / "data" / "inventory.json"


def slim(product: dict) -> dict:
    return {
        "apis": [{"path": a["path"], "status": a.get("status", "active"), "access": a.get("access"),
                  "replacement": a.get("replacement") or []} for a in product["apis"]],
        "config": [{"path": c["path"], "default": c.get("default"), "has_default": c.get("default_raw") is not None,
                    "section_root": bool(c.get("is_section_root"))} for c in product["config"]],
        "events": [{"name": e["name"], "placeholder": bool(e.get("placeholder")), "stale": bool(e.get("stale")),
                    "only_in_examples": bool(e.get("only_in_examples"))} for e in product["events"]],
        "constants": [{"path": c["path"], "members": [m["name"] for m in c["members"]]} for c in product["constants"]],
        "types": [t.get("name") or t.get("path") for t in product["types"]],
        "ambiguities": [{"id": a["id"], "category": a.get("category")} for a in product["ambiguities"]],
    }


def main(source: str) -> None:
    data = json.loads(Path(source).read_text())
    out = {"source": "spec/api-inventory.json", "products": {p: slim(v) for p, v in data["products"].items()}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/api-inventory.json")
