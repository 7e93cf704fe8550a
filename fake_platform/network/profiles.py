"""Named network profiles: what a user's link does to media in each direction.

``send`` is the user's uplink (media the user sends), ``receive`` the downlink. The figures are
ours, chosen to resemble what testing tools and browsers call these networks (Chrome DevTools'
"Regular 3G" is 750 / 250 kbit/s with 100 ms of latency; testRTC's "Poor 3G" 400 kbit/s, 350 ms,
5 % loss); a rule may override any parameter (``{"profile": "3G", "loss": 8}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..core.errors import InvalidInput
from .impairment import Impairment


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    send: Impairment
    receive: Impairment

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "send": self.send.to_dict(),
                "receive": self.receive.to_dict()}


def _both(name: str, summary: str, **params: Any) -> Profile:
    impairment = Impairment(**params)
    return Profile(name, summary, impairment, impairment)


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("3g", "mobile 3G: 250 kbit/s up, 750 down, 50 ms each way, 1 % loss",
            send=Impairment(bandwidth=250, delay=50, jitter=10, loss=1),
            receive=Impairment(bandwidth=750, delay=50, jitter=10, loss=1)),
    _both("poor-3g", "a poor 3G cell: 400 kbit/s, 175 ms each way (350 ms round trip), 5 % loss",
          bandwidth=400, delay=175, jitter=30, loss=5),
    Profile("4g", "mobile 4G: 3 Mbit/s up, 10 down, 25 ms each way, 0.2 % loss",
            send=Impairment(bandwidth=3000, delay=25, jitter=5, loss=0.2),
            receive=Impairment(bandwidth=10000, delay=25, jitter=5, loss=0.2)),
    _both("poor-wifi", "congested Wi-Fi: 2 Mbit/s, 15 ms, +-40 ms jitter, 3 % loss in bursts of 3",
          bandwidth=2000, delay=15, jitter=40, loss=3, burst=3),
    _both("satellite", "geostationary satellite: 2 Mbit/s, 300 ms each way, 0.5 % loss",
          bandwidth=2000, delay=300, jitter=15, loss=0.5),
    _both("lossy", "5 % random loss, nothing else", loss=5),
    _both("blackout", "nothing gets through (bound it with a duration)", loss=100),
)}


def normalise(name: str) -> str:
    """``"Poor WiFi"``, ``"poor_wifi"`` and ``"poor-wifi"`` name the same profile."""
    return re.sub(r"[\s_]+", "-", name.strip().lower()).replace("wi-fi", "wifi")


def profile(name: Any) -> Profile:
    if not isinstance(name, str) or normalise(name) not in PROFILES:
        raise InvalidInput("Unknown network profile %1; expected one of %2", repr(name), ", ".join(PROFILES))
    return PROFILES[normalise(name)]
