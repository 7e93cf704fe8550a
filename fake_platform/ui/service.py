"""The dashboard's part of the platform state: call events in the journal, ladders, live page sockets."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from aiohttp import web

from ..calls.models import CallSession, Leg
from .ladder import Ladder, build_ladder, find_session

if TYPE_CHECKING:
    from ..calls.service import CallService
    from ..registry import Core

CLOSE_TIMEOUT = 2.0
FORGET_SLACK = 64  # sessions this map may keep beyond twice the router's before it is pruned


class Dashboard:
    """Journals what the call router does (``call`` entries: the ladders' rungs that no HTTP request
    or notification shows, such as a scripted endpoint answering) and owns the live sockets of
    open dashboard pages, closed on reset and shutdown."""

    def __init__(self, core: Core, calls: CallService) -> None:
        self._journal = core.journal
        self._calls = calls
        self._first_seq: dict[str, int] = {}  # session id -> its first journal entry
        self.sockets: set[web.WebSocketResponse] = set()
        calls.router.observers.append(self._journal_call_event)

    def _journal_call_event(self, event: str, leg: Leg) -> None:
        session = leg.session
        self._journal.record("call", user=leg.owner, detail={
            "session": session.id if session else None, "leg": leg.id, "event": event, "state": str(leg.state)})
        if session is not None and self._journal.enabled and session.id not in self._first_seq:
            self._first_seq[session.id] = self._journal.last_seq
            if len(self._first_seq) > 2 * len(self._calls.router.sessions) + FORGET_SLACK:
                # The router forgets ended calls (ended_call_ttl); so does this map, in one pass now
                # and then rather than at every call.
                live = self._calls.router.sessions
                self._first_seq = {key: seq for key, seq in self._first_seq.items() if key in live}

    def session(self, key: str) -> CallSession | None:
        """A call session by its id or by the id of one of its legs (what an SDK calls its call)."""
        return find_session(self._calls.router, key)

    def ladder(self, session: CallSession) -> Ladder:
        since = self._first_seq.get(session.id, 1) - 1
        return build_ladder(session, (e.to_dict() for e in self._journal.query(since=since)))

    def ladders(self) -> list[Ladder]:
        """Every call's ladder (failure reports attach them)."""
        return [self.ladder(s) for s in self._calls.router.sessions.values()]

    async def close(self) -> None:
        sockets, self.sockets = list(self.sockets), set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*(ws.close(code=1001) for ws in sockets),
                                                  return_exceptions=True), CLOSE_TIMEOUT)
