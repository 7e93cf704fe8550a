"""What a scenario remembers between its steps, typed: per actor (:class:`ActorState`) and for the
whole scenario (:class:`ScenarioState`). A step that needs something new adds a field here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sdk.logger import LogEntry

from .waiting import Changes


class PushSystem(StrEnum):
    """The push systems of the push steps, as they are named in scenarios."""

    APPLE = "Apple"
    ANDROID = "Android"

    @property
    def provider(self) -> str:
        """The emulated push provider (the outbox's ``provider``)."""
        return "apns" if self is PushSystem.APPLE else "fcm"

    @property
    def path_segment(self) -> str:
        """The segment of the registration paths (``/push/apple/devices/``)."""
        return "apple" if self is PushSystem.APPLE else "google"


@dataclass
class ActorState:
    """What the steps remember about one actor."""

    call_id: str | None = None  # the call the call steps act on
    calls: dict[str, str] = field(default_factory=dict)  # remembered calls, by the other party's name
    muted_tracks: list[str] = field(default_factory=list)
    push_registrations: dict[PushSystem, Any] = field(default_factory=dict)  # what registering returned
    offline_fault: str | None = None  # the fault rule keeping the actor offline
    notifications_sent: int | None = None  # to the actor's channels, when the actor unsubscribed
    heard: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by an app listener, per event


@dataclass
class Listeners:
    """What the scenario's own listeners received, by kind of listener."""

    sync: list[tuple[str, Any]] = field(default_factory=list)
    async_: list[tuple[str, Any]] = field(default_factory=list)
    global_: list[tuple[str, Any]] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    removable: tuple[str, Callable[..., Any]] | None = None  # the sync listener, to remove with off
    global_listener: Callable[..., Any] | None = None  # to remove with unsubscribe
    heard_before_removal: dict[str, int] = field(default_factory=dict)  # kind -> count when removed
    checked_event: str | None = None  # the event a "listener received" check waited for

    def add(self, kind: str, event: str, params: Any) -> None:
        getattr(self, kind).append((event, params))
        self.changes.changed()


@dataclass
class Search:
    """The latest directory search, to ask for its next page."""

    filters: dict[str, Any]
    options: dict[str, Any]
    next_page: str | None = None


@dataclass
class Drop:
    """When the platform dropped a socket: journal position and loop time."""

    seq: int
    at: float


@dataclass
class ScenarioState:
    """What the steps remember about the whole scenario."""

    current: str = "I"  # the actor that steps without a name ("the client ...") act on
    groups: dict[str, str] = field(default_factory=dict)  # group ids by the name in the scenario
    chat_group: str | None = None  # the group of a GROUP conversation
    draft: Any = None  # sdk.cpaas.messages.MessageSender being built
    files: dict[str, bytes] = field(default_factory=dict)  # content of the files sent, by name
    search: Search | None = None
    subscriber_calls: list[dict[str, Any]] = field(default_factory=list)  # a conversation subscriber's calls
    unsubscribe: Callable[[], Any] | None = None
    listeners: Listeners = field(default_factory=Listeners)
    codecs: list[dict[str, Any]] | None = None  # getAvailableCodecs' answer
    incoming_event: str | None = None  # the eventId of the incoming-call notification
    drop: Drop | None = None
    actions: list[LogEntry] = field(default_factory=list)  # the action log handler's entries
    capture: logging.Handler | None = None  # a handler on the "sdk" Python logger
