"""Server-side rendering of the dashboard: Jinja2 templates (autoescaped) and their context.

The page and every section are drawn by the server; the page's script only fetches a section again
(the same template) when the live socket says the state moved, and prepends journal rows the
socket sends already drawn. So the page reads the same with or without its script.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from ..core.errors import InvalidInput
from ..routing import PREFIXES, Door
from . import views

if TYPE_CHECKING:
    from ..core.journal import Journal
    from ..state import PlatformState

BASE = PREFIXES[Door.CONTROL]
JOURNAL_KINDS = ("http", "ws-open", "ws-in", "ws-out", "ws-close", "ws-refused", "fault", "push", "call")
SECTIONS = (("summary", "Summary"), ("users", "Users"), ("channels", "Channels"), ("calls", "Calls"),
            ("faults", "Faults"), ("outbox", "Push outbox"), ("journal", "Journal"))


def _ago(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s ago"


def _seconds(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.1f} s"


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f} ms"


def _clock(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return ""
    stamp = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return stamp.strftime("%H:%M:%S.") + f"{epoch_ms % 1000:03d}"


ENV = jinja2.Environment(loader=jinja2.PackageLoader("fake_platform.ui", "templates"),
                         autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(ago=_ago, seconds=_seconds, ms=_ms, clock=_clock)


@dataclass(frozen=True)
class JournalFilter:
    """The journal view's filter: the control plane's journal filters (``GET /_platform/journal``)."""

    kinds: tuple[str, ...] = JOURNAL_KINDS
    user: str | None = None
    channel: str | None = None
    method: str | None = None
    path: str | None = None

    @classmethod
    def parse(cls, values: Mapping[str, Any], kinds: list[str] | None = None) -> JournalFilter:
        """From a query string or a live socket's message; a bad pattern or kind is InvalidInput."""
        chosen = tuple(kinds) if kinds else JOURNAL_KINDS
        unknown = sorted(set(chosen) - set(JOURNAL_KINDS))
        if unknown:
            raise InvalidInput("Unknown journal kinds %1; known: %2", unknown, ", ".join(JOURNAL_KINDS))
        fields: dict[str, str | None] = {}
        for key in ("user", "channel", "method", "path"):
            value = values.get(key)
            if value is not None and not isinstance(value, str):
                raise InvalidInput("%1 must be a string", key)
            fields[key] = value.strip() or None if value else None
        if fields["path"]:
            try:
                re.compile(fields["path"])
            except re.error as exc:
                raise InvalidInput("Invalid path pattern %1: %2", fields["path"], exc) from None
        return cls(chosen, **fields)

    def entries(self, journal: Journal, *, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        return [e.to_dict() for e in journal.query(kind=list(self.kinds), user=self.user, channel=self.channel,
                                                   method=self.method, path=self.path, since=since, limit=limit)]


def journal_rows(entries: list[dict[str, Any]]) -> str:
    """Journal rows drawn for the table, newest first."""
    return ENV.get_template("journal_rows.html").render(journal=views.journal_rows(reversed(entries)))


# -- sections ------------------------------------------------------------------------------------
async def _summary(state: PlatformState) -> dict[str, Any]:
    return {"summary": views.summary(state)}


async def _users(state: PlatformState) -> dict[str, Any]:
    return {"users": views.users(state)}


async def _channels(state: PlatformState) -> dict[str, Any]:
    return {"channels": views.channels(state)}


async def _calls(state: PlatformState) -> dict[str, Any]:
    return {"calls": await views.calls(state), "journal_seq": state.journal.last_seq}


async def _faults(state: PlatformState) -> dict[str, Any]:
    return {"faults": views.faults(state)}


async def _outbox(state: PlatformState) -> dict[str, Any]:
    return {"outbox": views.outbox(state)}


# The sections a page refreshes on its own: the template of each and what it is drawn from.
REFRESHED: dict[str, Callable[[PlatformState], Awaitable[dict[str, Any]]]] = {
    "summary": _summary, "users": _users, "channels": _channels, "calls": _calls, "faults": _faults,
    "outbox": _outbox,
}


async def section(state: PlatformState, name: str) -> str:
    context = {"base": BASE, **await REFRESHED[name](state)}
    return ENV.get_template(f"{name}.html").render(context)


async def page(state: PlatformState, journal_filter: JournalFilter, journal_error: str | None = None) -> str:
    context: dict[str, Any] = {"base": BASE, "sections": SECTIONS, "fault_forms": views.fault_forms(),
                               "limits": views.FAULT_LIMITS, "journal_kinds": JOURNAL_KINDS,
                               "journal_filter": journal_filter, "journal_error": journal_error}
    for build in REFRESHED.values():
        context.update(await build(state))
    entries = journal_filter.entries(state.journal, limit=views.JOURNAL_ROWS)
    context["journal"] = views.journal_rows(reversed(entries))
    context["journal_seq"] = state.journal.last_seq
    return ENV.get_template("page.html").render(context)


def login(*, refused: bool) -> str:
    return ENV.get_template("login.html").render(base=BASE, refused=refused)
