"""Bounded ICE candidate collection: ``call.maxIceTimeout``, ``iceCollectionDelay``, ``iceCollectionCheck``.

The SDK sends complete SDP (no trickle ICE), so an offer or answer waits for candidate gathering.
aiortc gathers inside ``setLocalDescription``: host candidates at once, then server-reflexive
(STUN) and relay (TURN) candidates, waiting a fixed 5 s for servers that do not answer. This
module bounds that wait the way the documents describe:

* at most ``maxIceTimeout`` ms, then the operation continues with what was collected;
* every ``iceCollectionDelay`` ms before that, ``iceCollectionCheck(candidates)`` (default: a relay
  candidate exists) may decide that what was collected is enough to continue.

aioice collects per ICE component (one with bundle and rtcp-mux, which the SDK always offers): a
wrapper around ``Connection.get_component_candidates`` runs the periodic checks, and wrappers
around the STUN and TURN candidate queries give up when a check passes (installed by
:func:`kandy_media.compat.install`). The settings of one gathering travel in a context variable,
so concurrent calls with different settings do not mix.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aioice.candidate import Candidate

CandidateCheck = Callable[[list[dict[str, Any]]], Any]
_log = logging.getLogger("kandy_media.ice")


class CollectionCheckPassed(Exception):
    """Ends a pending STUN / TURN query once the collected candidates were judged enough."""


@dataclass(frozen=True)
class IceSettings:
    max_timeout: float  # seconds
    delay: float  # seconds
    check: CandidateCheck | None = None

    @classmethod
    def from_config(cls, call_config: Mapping[str, Any]) -> IceSettings | None:
        """The documented Link keys; None (aiortc's own bounds) for a product without them."""
        if "maxIceTimeout" not in call_config:
            return None
        return cls(max_timeout=float(call_config.get("maxIceTimeout") or 0) / 1000.0,
                   delay=max(float(call_config.get("iceCollectionDelay") or 0) / 1000.0, 0.01),
                   check=call_config.get("iceCollectionCheck"))


@dataclass
class Gathering:
    """One gathering under ``settings``; ``outcome`` says how it ended (for logs and tests)."""

    settings: IceSettings
    found: list[Candidate] = field(default_factory=list)
    abort: asyncio.Event = field(default_factory=asyncio.Event)
    outcome: dict[str, Any] = field(default_factory=dict)


CURRENT: contextvars.ContextVar[Gathering | None] = contextvars.ContextVar("ice_gathering", default=None)


def candidate_dict(candidate: Candidate) -> dict[str, Any]:
    """A candidate as handed to ``iceCollectionCheck`` (the fields of an RTCIceCandidate)."""
    return {"candidate": f"candidate:{candidate.to_sdp()}", "type": candidate.type, "protocol": candidate.transport,
            "address": candidate.host, "port": candidate.port, "component": candidate.component,
            "priority": candidate.priority, "foundation": candidate.foundation}


def has_relay(candidates: list[dict[str, Any]]) -> bool:
    """The documented default check: at least one relay candidate was collected."""
    return any(c["type"] == "relay" for c in candidates)


def _enough(gathering: Gathering, candidates: list[Candidate]) -> bool:
    check = gathering.settings.check or has_relay
    try:
        return bool(check([candidate_dict(c) for c in candidates]))
    except Exception as exc:  # an app's check must not break the call: treat it as "not yet"
        _log.warning("iceCollectionCheck raised %s: %s", type(exc).__name__, exc)
        return False


Gather = Callable[..., Awaitable[list[Candidate]]]  # aioice's Connection.get_component_candidates


async def bounded_candidates(original: Gather, connection: Any, component: int, addresses: list[str], timeout: int,
                             host_candidates: Callable[[], list[Candidate]]) -> list[Candidate]:
    """``original`` (aioice's per-component gathering), bounded by the current gathering's settings;
    ``host_candidates`` tells what the connection has gathered so far."""
    gathering = CURRENT.get()
    if gathering is None:
        return await original(connection, component, addresses, timeout)
    settings = gathering.settings
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.ensure_future(original(connection, component, addresses, settings.max_timeout))
    reason = "complete"
    while not task.done():
        await asyncio.wait({task}, timeout=settings.delay)
        if task.done():
            break
        if _enough(gathering, host_candidates() + gathering.found):
            reason = "check"
            gathering.abort.set()
            break
    candidates = await task
    elapsed = loop.time() - started
    if reason == "complete" and elapsed >= settings.max_timeout - 0.005 and not gathering.abort.is_set():
        reason = "timeout"
    gathering.outcome = {"reason": reason, "candidates": [candidate_dict(c) for c in candidates],
                         "ms": round(elapsed * 1000, 1)}
    return candidates


async def abortable(query: Any, *args: Any, **kwargs: Any) -> Any:
    """A STUN or TURN candidate query that gives up once the current gathering has enough."""
    gathering = CURRENT.get()
    if gathering is None:
        return await query(*args, **kwargs)
    work = asyncio.ensure_future(query(*args, **kwargs))
    stop = asyncio.ensure_future(gathering.abort.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not work.done():
        work.cancel()
        raise CollectionCheckPassed()
    result = work.result()
    gathering.found.append(result[0])
    return result
