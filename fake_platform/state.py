"""The one state object behind every front door (in-process, threaded, standalone).

All services hang off :class:`PlatformState`; ``reset()`` rebuilds them (moto's "reset = rebuild"),
keeping the configuration and the address the platform is served at. Randomness comes from one
seeded source, time from one clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .addressbook.models import AddressBook
from .auth.models import Projects, TokenIssuer, UserDirectory
from .calls.service import CallService
from .channels.models import CpaasChannels
from .core.clock import PlatformClock
from .core.faults import FaultRegistry
from .core.hub import NotificationHub
from .core.ids import SeededRandom
from .core.journal import Journal
from .directory.models import Directory
from .files.models import FileStore
from .groups.models import GroupService
from .link.models import LinkSubscriptions
from .messaging.models import MessagingService
from .presence.models import PresenceService
from .push.models import PushService
from .sms.models import SmsService
from .turn.models import TurnService

DEFAULT_REALM = "realm-test"
DEFAULT_CLIENT_ID = "kandy-test-app"


@dataclass
class PlatformConfig:
    domain: str = "example.com"
    seed: int | None = None
    token_lifetime: int = 3600
    server_ping_interval: float = 30.0
    journal_capacity: int = 20000
    journal: bool = True  # False for load runs: nothing recorded, nothing to pay per frame
    turn_urls: list[str] = field(default_factory=list)
    realm: str = DEFAULT_REALM
    client_id: str = DEFAULT_CLIENT_ID
    # The far end hears of a new call or a re-offer (and an SMS sender of its receipt) this long
    # after the requester got its response. The official SDKs act on their own request's response
    # before they expect the far end's reply (a real platform's relay always takes longer); an
    # automated far end answering within a millisecond would otherwise overtake that response. A
    # browser reads a response through more hops than a websocket message (measured: up to ~90 ms
    # under load), so requests from a browser app (with an Origin header) wait longer.
    relay_delay: float = 0.05
    browser_relay_delay: float = 0.25


class PlatformState:
    def __init__(self, config: PlatformConfig | None = None) -> None:
        self.config = config or PlatformConfig()
        self.clock = PlatformClock()
        self.base_url = ""
        self._build(self.config.seed)

    def _build(self, seed: int | None) -> None:
        self.ids = SeededRandom(seed)
        self.journal = Journal(self.clock.wall_ms, self.clock.monotonic, self.config.journal_capacity)
        self.journal.enabled = self.config.journal
        self.faults = FaultRegistry(self.clock, self.ids)
        self.hub = NotificationHub(clock=self.clock, ids=self.ids, faults=self.faults, journal=self.journal)
        self.users = UserDirectory(self.ids, self.config.domain)
        self.projects = Projects(self.ids, self.users)
        self.default_project = self.projects.create(self.config.client_id)
        self.tokens = TokenIssuer(self.ids.token(32), self.clock, self.config.token_lifetime)
        self.turn = TurnService(self.ids.token(24), self.clock, urls=self.config.turn_urls)
        self.cpaas_channels = CpaasChannels(self.hub, self.ids, self.clock)
        self.presence = PresenceService(self.cpaas_channels, self.ids)
        self.link = LinkSubscriptions(self.hub, self.users, self.turn, self.ids, self.clock)
        self.default_realm = self.link.realms.add(self.config.realm, self.ids.hex(32))
        self.push = PushService(self.ids, self.clock, self.journal)
        self.link.relays.append(self.push.relay)
        self.calls = CallService(self)
        self.presence.use_directory(self.users)
        self.files = FileStore(self.ids, self.clock, lambda: self.base_url)
        self.groups = GroupService(self.cpaas_channels, self.users, self.ids, self.clock)
        self.messaging = MessagingService(self.cpaas_channels, self.users, self.groups, self.files, self.ids,
                                          self.clock)
        self.sms = SmsService(self.cpaas_channels, self.users, self.ids, self.clock)
        self.addressbook = AddressBook()
        self.directory = Directory(self.users, self.addressbook.buddies)

    async def reset(self, seed: int | None = None) -> None:
        """Drop every socket and rebuild all services (same config, same address)."""
        await self.hub.close_all(1012)
        await self.calls.close()
        self.config.seed = seed if seed is not None else self.config.seed
        self._build(self.config.seed)

    def dump(self) -> dict[str, Any]:
        return {
            "config": {"domain": self.config.domain, "seed": self.config.seed},
            "users": [u.public() for u in self.users.all()],
            "projects": [{"clientId": p.client_id, "userId": p.user_id} for p in self.projects.projects.values()],
            "channels": [c.to_dict() for c in self.hub.channels.values()],
            "cpaasSubscriptions": [s.to_dict() for s in self.cpaas_channels.subscriptions.values()],
            "linkSubscriptions": [s.to_dict() for s in self.link.subscriptions.values()],
            "pushRegistrations": [r.to_dict() for r in self.push.registrations.values()],
            "presenceLists": [{"id": p.id, "owner": p.owner, "contacts": p.contacts}
                              for p in self.presence.lists.values()],
            "calls": self.calls.dump(),
            "endpoints": self.calls.endpoints.describe(),
            "faults": self.faults.list(),
            "realms": [r.to_dict() for r in self.link.realms.realms.values()],
            "groups": [{"id": g.id, "name": g.name, "participants": {a: p.status for a, p in g.participants.items()}}
                       for g in self.groups.groups.values()],
            "chatSessions": {u: len(m) for u, m in self.messaging.mailboxes.items()},
            "smsOutbox": len(self.sms.outbox),
        }
