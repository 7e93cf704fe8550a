"""Default locustfile: CPaaS and Link SDK users hold their channels while a fault scenario plays.

    locust -f load/locustfile.py --headless -u 60 -r 40 -t 25s --host http://127.0.0.1:8080 \
        --kandy-scenario short --csv reports/load/locust --html reports/load/locust.html

Pick one product by naming its class (``... CpaasUser``). All logic lives in ``load.users``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `load` and `sdk`

from load.users import CpaasUser, LinkUser

__all__ = ["CpaasUser", "LinkUser"]
