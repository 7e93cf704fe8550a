"""Run a module and count the function calls its main thread makes between two signals.

    python -m bench.callcount OUT.json -m MODULE [ARGS...]   # e.g. ... -m fake_platform serve --port 0

SIGUSR1 starts counting (from zero), SIGUSR2 stops and writes ``{"python_calls", "c_calls",
"functions"}`` to OUT.json (``functions``: the most called, with their counts). Python calls are
frames entered (a coroutine resumed counts as one, as it runs a frame again); C calls are builtins
and C methods called from Python. The count is taken with ``sys.setprofile``, which slows the
process down: use it for counts, never for timings (bench/keepalive.py ``--calls``).
"""

from __future__ import annotations

import json
import runpy
import signal
import sys
from collections import Counter
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

TOP = 60


def main() -> None:
    out, dash_m, module, *args = sys.argv[1:]
    if dash_m != "-m":
        raise SystemExit("usage: python -m bench.callcount OUT.json -m MODULE [ARGS...]")
    python: Counter[CodeType] = Counter()
    builtin: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            python[frame.f_code] += 1
        elif event == "c_call":
            builtin[getattr(arg, "__qualname__", "?")] += 1

    def start(_signum: int, _frame: object) -> None:
        python.clear()
        builtin.clear()
        sys.setprofile(profile)  # signal handlers run in the main thread: the event loop's

    def stop(_signum: int, _frame: object) -> None:
        sys.setprofile(None)
        functions = Counter({f"{code.co_qualname} ({_short(code.co_filename)}:{code.co_firstlineno})": n
                             for code, n in python.items()})
        functions.update({f"{name} (C)": n for name, n in builtin.items()})
        counts = {"python_calls": python.total(), "c_calls": builtin.total(),
                  "functions": dict(functions.most_common(TOP))}
        partial = Path(out + ".partial")
        partial.write_text(json.dumps(counts) + "\n", encoding="utf-8")
        partial.replace(out)  # whole or not at all: the benchmark reads it as soon as it exists

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3", "/wt/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


if __name__ == "__main__":
    main()
