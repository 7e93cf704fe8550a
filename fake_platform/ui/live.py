"""The dashboard's live socket: journal rows as they are recorded, and a word when the state moved.

Server to page, JSON text frames:

* ``{"rows": "<tr>…", "lastSeq": n}``: new journal entries matching the page's filter, drawn,
  newest first (``"replace": true`` when they replace the table: a new filter, or a reset);
* ``{"changed": true}``: the platform's state may have moved; the page fetches its sections again.

Page to server: ``{"filter": {"kind": [...], "user", "channel", "method", "path"}}`` (the control
plane's journal filters); a bad one is answered ``{"error": "..."}``.

The socket looks at the journal's position a few times a second (one comparison when nothing
happened), so the journal's hot path carries nothing for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from ..calls.models import ENDED
from ..core.errors import PlatformError
from . import views
from .render import JournalFilter, journal_rows

if TYPE_CHECKING:
    from ..core.journal import Journal
    from ..state import PlatformState

POLL = 0.2  # seconds between looks at the journal
FIGURES_EVERY = 1.0  # seconds between refreshes while calls are live (media figures move silently)
MAX_MESSAGE = 16 * 1024
MAX_ROWS = 500  # per push: under load the page shows the latest (it keeps as many rows)


class LiveView:
    """One open dashboard page."""

    def __init__(self, ws: web.WebSocketResponse, state: PlatformState, since: int) -> None:
        self.ws = ws
        self.state = state
        self.filter = JournalFilter()
        self._journal: Journal = state.journal
        self._seen = min(since, state.journal.last_seq)  # the page was drawn with the entries up to ``since``
        self._refreshed = 0.0

    async def run(self) -> None:
        pusher = asyncio.create_task(self._push(), name="dashboard-live")
        try:
            async for message in self.ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(message.data)
        finally:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pusher

    async def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text) if len(text) <= MAX_MESSAGE else None
            wanted = message.get("filter") if isinstance(message, dict) else None
            if not isinstance(wanted, dict):
                raise ValueError
            kinds = wanted.get("kind")
            if kinds is not None and (not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds)):
                raise ValueError
            self.filter = JournalFilter.parse(wanted, kinds)
        except PlatformError as error:
            await self.ws.send_json({"error": error.message})
            return
        except ValueError:
            await self.ws.send_json({"error": 'expected {"filter": {"kind": [...], "user", "channel", "method", '
                                              '"path"}}'})
            return
        await self._send_rows(replace=True)

    async def _push(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.ws.closed:
            journal = self.state.journal
            if journal is not self._journal:  # the platform was reset: a new journal
                self._journal, self._seen = journal, 0
                await self._send_rows(replace=True)
                await self.ws.send_json({"changed": True})
            elif journal.last_seq != self._seen:
                await self._send_rows(replace=False)
                await self.ws.send_json({"changed": True})
                self._refreshed = loop.time()
            elif self._calls_live() and loop.time() - self._refreshed >= FIGURES_EVERY:
                await self.ws.send_json({"changed": True})
                self._refreshed = loop.time()
            await asyncio.sleep(POLL)

    async def _send_rows(self, *, replace: bool) -> None:
        journal = self._journal
        last = journal.last_seq
        if replace:
            entries = self.filter.entries(journal, limit=views.JOURNAL_ROWS)
        else:
            entries = self.filter.entries(journal, since=self._seen, limit=MAX_ROWS)
        self._seen = last
        if entries or replace:
            message: dict[str, Any] = {"rows": journal_rows(entries), "lastSeq": last}
            if replace:
                message["replace"] = True
            await self.ws.send_json(message)

    def _calls_live(self) -> bool:
        return any(s.state != ENDED for s in self.state.calls.router.sessions.values())
