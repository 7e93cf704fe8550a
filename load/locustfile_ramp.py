"""Ramp locustfile: the same SDK users, no faults, user counts stepped by ``RampShape``.

    locust -f load/locustfile_ramp.py --headless --host http://127.0.0.1:8080 --kandy-faults off \
        --kandy-ramp 250,500,1000 --kandy-stage-seconds 20 --csv reports/load-ramp/locust

Used by bench/load.py to find how many SDK clients one Locust worker process drives.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `load` and `sdk`

from load.shapes import RampShape
from load.users import CpaasUser, LinkUser

__all__ = ["CpaasUser", "LinkUser", "RampShape"]
