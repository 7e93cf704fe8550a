"""Every knockout the gate tries, for both products, from ``kandy_testing/data/inventory.json``: each
documented function; each documented event twice (not emitted; emitted with an empty payload); each
documented configuration key (ignored: it keeps its default).
"""

from __future__ import annotations

from sdk.knockout import API, CONFIG, DROP, EMPTY, EVENT, Knockout

from ..inventory import EVENT_ALIASES, inventory
from .report import NO_EFFECT as NO_EFFECT_VERDICT
from .report import UNEXPRESSIBLE as UNEXPRESSIBLE_VERDICT

#: Knockouts that cannot be expressed as a regression of this SDK, with the reason (also in
#: docs/decisions.md, "Knockouts that cannot be expressed"). At most five.
UNEXPRESSIBLE: dict[str, str] = {
    "cpaas:event:group:refresh:empty": "the documents give group:refresh no payload fields and the SDK emits it "
                                       "with {} on success: emptying it changes nothing",
}

#: Knockouts no scenario kills yet: each must die (a scenario that notices), then leave this list.
KNOWN_SURVIVORS: dict[str, str] = {}

#: Configuration keys with no effect in a Python runtime (docs/decisions.md, "Configuration keys
#: without effect"): ignoring them cannot change what a scenario sees.
NO_EFFECT: dict[str, str] = {
    "cpaas:config:logs.enableFcsLogs": "read nowhere: there is no FCS log service for a Python runtime",
    "link:config:logs.enableFcsLogs": "read nowhere: there is no FCS log service for a Python runtime",
    "cpaas:config:call.sdpSemantics": "aiortc speaks unified plan only (LINK-13)",
    "link:config:call.sdpSemantics": "aiortc speaks unified plan only (LINK-13)",
    "cpaas:config:logs.flatten": "the default handler writes one text line per entry to Python logging, objects "
                                 "as JSON: its output is string-only whatever the key says",
}


def gated(knockout: Knockout) -> bool:
    """Whether a survivor fails the gate: every knockout run (function, event, configuration key: issue
    14, a key that changes behaviour fails a scenario when ignored; keys without effect are excused)."""
    return knockout.id not in excused()


def excused() -> dict[str, tuple[str, str]]:
    """Knockouts not run, with their verdict and reason."""
    return {**{k: (UNEXPRESSIBLE_VERDICT, why) for k, why in UNEXPRESSIBLE.items()},
            **{k: (NO_EFFECT_VERDICT, why) for k, why in NO_EFFECT.items()}}


def refusing() -> set[str]:
    """The v3.X functions (``not_implemented_in_4x``, ``deprecated``) whose documented behaviour in this
    SDK is to refuse, naming the replacement (LINK-08): their refusals are their effect."""
    return {f"{product}:api:{api['path']}" for product, data in inventory()["products"].items()
            for api in data["apis"] if api["status"] != "active"}


def all_knockouts() -> list[Knockout]:
    found: list[Knockout] = []
    for product, data in inventory()["products"].items():
        found += [Knockout(product, API, api["path"]) for api in data["apis"]]
        for event in data["events"]:
            name = event["name"]
            if event["placeholder"] or event["stale"] or name in EVENT_ALIASES[product]:
                continue  # not events of the SDK, or another spelling of one it emits
            found += [Knockout(product, EVENT, name, DROP), Knockout(product, EVENT, name, EMPTY)]
        found += [Knockout(product, CONFIG, key["path"]) for key in data["config"] if not key["section_root"]]
    return found
