"""Which calls a relayed address belongs to: the calls whose SDP offers it as a relay candidate.

An impairment rule can name a call; the relay only knows allocations. Each party's last SDP is
kept on its leg by the call router, so the calls of an allocation are those where some party
offered ``<relayed ip> <relayed port> typ relay``. Looked up only when the rules change.
"""

from __future__ import annotations

from typing import Any

from ..calls.models import ENDED


def relayed_call_ids(router: Any, address: tuple[str, int]) -> frozenset[str]:
    """The ids (the router's call id and every party's session id) of the live calls whose SDP
    offers ``address`` as a relay candidate."""
    needle = f" {address[0]} {address[1]} typ relay"
    found: set[str] = set()
    for session in router.sessions.values():
        if session.state == ENDED:
            continue
        legs = [session.caller, *session.callees]
        if any(needle in (leg.extra.get("sdp") or "") for leg in legs):
            found.add(session.id)
            found.update(leg.id for leg in legs)
    return frozenset(found)
