"""Network locustfile: the same SDK users, calling each other with relayed audio while
``NetworkShape`` steps every user's network through ``--kandy-network`` profiles.

    locust -f load/locustfile_network.py --headless -u 20 --host http://127.0.0.1:8080 \
        --kandy-scenario hold --kandy-relay on --kandy-optional-tasks call --kandy-media-share 1 \
        --kandy-network "clean,3G,poor wifi,satellite" --kandy-stage-seconds 20 --csv reports/load-network/locust

The QUALITY samples (audio MOS, gaps) of each stage are the figures for its network.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `load` and `sdk`

from load.shapes import NetworkShape
from load.users import CpaasUser, LinkUser

__all__ = ["CpaasUser", "LinkUser", "NetworkShape"]
