"""The one state object behind every front door (in-process, threaded, standalone).

The core (ids, clock, journal, faults, notification hub, progress) is built here; the services
are built from the registry (:mod:`fake_platform.registry`), each after what it needs, and hang
off :class:`PlatformState` under their names. ``reset()`` rebuilds everything (moto's "reset =
rebuild"), keeping the configuration and the address the platform is served at. Randomness comes
from one seeded source, time from one clock.
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kandy_media.peer import open_peer_connections

from .contract.monitor import ContractMonitor
from .core.clock import PlatformClock
from .core.faults import FaultRegistry
from .core.housekeeping import Housekeeping
from .core.hub import NotificationHub
from .core.ids import SeededRandom
from .core.journal import Journal
from .core.progress import Progress, Progression, Timings
from .registry import Core, Service, all_services

if TYPE_CHECKING:
    from .addressbook.models import AddressBook
    from .auth.models import Projects, TokenIssuer, UserDirectory
    from .calls.service import CallService
    from .channels.models import CpaasChannels
    from .directory.models import Directory
    from .files.models import FileStore
    from .groups.models import GroupService
    from .link.models import LinkSubscriptions
    from .messaging.models import MessagingService
    from .network import NetworkConditions
    from .presence.models import PresenceService
    from .push.models import PushService
    from .sms.models import SmsService
    from .turn.models import TurnService
    from .turn.relay import TurnRelay
    from .ui.service import Dashboard

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
    timings: Timings = field(default_factory=Timings)  # every protocol delay (core/progress.py)
    progression: Progression = Progression.TIMED
    # The control plane (control/guard.py): a token is required when set; Platform sets one when it
    # listens beyond loopback. Origins (scheme://host:port) and Host names allowed besides its own.
    control_token: str | None = None
    control_origins: list[str] = field(default_factory=list)
    control_hosts: list[str] = field(default_factory=list)
    # Input limits (README "Limits"): a bigger JSON body is a 413, a deeper one a 400.
    max_json_bytes: int = 1024 * 1024
    max_json_depth: int = 32
    max_frame_bytes: int = 64 * 1024  # a client's websocket frame (keepalives only); bigger: closed 1009
    # Resource limits (README "Limits"): the journal's copy of a body and its whole size.
    journal_body_bytes: int = 4096
    journal_max_bytes: int = 32 * 1024 * 1024
    # A websocket client that does not read: cut off past this many waiting frames, or when one
    # write waits this long for the transport to drain (close 1011, journaled).
    ws_queue_frames: int = 200
    ws_send_timeout: float = 10.0
    # Frames a channel keeps for its next socket while none is attached (the oldest drop beyond).
    channel_buffer_frames: int = 5000
    channel_buffer_bytes: int = 16 * 1024 * 1024
    # What the platform forgets, swept every sweep_interval seconds (0: never): a CPaaS channel with
    # no socket for its channelLifetime, a Link subscription not refreshed within its expires, a
    # call ended_call_ttl after it ended, a file file_ttl after its upload.
    sweep_interval: float = 30.0
    ended_call_ttl: float = 300.0
    file_ttl: float = 24 * 3600.0
    # Caps: notification channels (CPaaS) and Link subscriptions per user, anonymous (CallMe)
    # subscriptions in all, bytes of files one user keeps, messages kept per conversation, items
    # per list response (the newest).
    max_channels_per_user: int = 100
    max_anonymous_subscriptions: int = 10_000
    max_file_bytes_per_user: int = 100 * 1024 * 1024
    max_history: int = 5000
    max_list_items: int = 1000
    # Validate every request, response and frame against the contract documents
    # (fake_platform/contract): a client's violation is answered with the protocol's 400, the
    # platform's own makes Platform.stop() raise ContractViolation.
    contract: bool = False


class PlatformState:
    # The services (registry.Service names), typed for readers and type checkers.
    users: UserDirectory
    projects: Projects
    tokens: TokenIssuer
    turn: TurnService
    cpaas_channels: CpaasChannels
    presence: PresenceService
    link: LinkSubscriptions
    push: PushService
    calls: CallService
    files: FileStore
    groups: GroupService
    messaging: MessagingService
    sms: SmsService
    addressbook: AddressBook
    directory: Directory
    network: NetworkConditions
    dashboard: Dashboard

    def __init__(self, config: PlatformConfig | None = None) -> None:
        self.config = config or PlatformConfig()
        self.clock = PlatformClock()
        self.base_url = ""
        self.relay: TurnRelay | None = None  # the TURN relay, a front door like the HTTP site (Platform.start)
        self.contract: ContractMonitor | None = None
        self._started = False
        self.services: list[Service] = all_services()
        self._build(self.config.seed)

    def _build(self, seed: int | None) -> None:
        self.ids = SeededRandom(seed)
        self.journal = Journal(self.clock.wall_ms, self.clock.monotonic, self.config.journal_capacity,
                               max_body=self.config.journal_body_bytes, max_bytes=self.config.journal_max_bytes)
        self.journal.enabled = self.config.journal
        self.faults = FaultRegistry(self.clock, self.ids)
        self.hub = NotificationHub(clock=self.clock, ids=self.ids, faults=self.faults, journal=self.journal,
                                   buffer_frames=self.config.channel_buffer_frames,
                                   buffer_bytes=self.config.channel_buffer_bytes)
        if self.config.contract:
            self.contract = self.contract or ContractMonitor(self.journal)
            self.contract.journal = self.journal
            self.hub.contract = self.contract
        self.progress = Progress(self.config.timings, self.config.progression)
        self.housekeeping = Housekeeping(self.clock, self.journal, self.config.sweep_interval)
        core = Core(config=self.config, ids=self.ids, clock=self.clock, journal=self.journal, faults=self.faults,
                    hub=self.hub, progress=self.progress, base_url=lambda: self.base_url,
                    housekeeping=self.housekeeping)
        for service in self.services:
            needs = {name: getattr(self, name) for name in service.needs}
            setattr(self, service.name, service.build(core, **needs))

    def start(self) -> None:
        """Start what runs in the background (the housekeeping sweeps), on the running loop."""
        self._started = True
        self.housekeeping.start()

    async def close(self, code: int = 1001) -> None:
        """Close every socket, pending transition and service (shutdown and reset)."""
        await self.housekeeping.stop()
        self.progress.cancel_all()
        await self.hub.close_all(code)
        for service in reversed(self.services):
            if service.close is not None:
                await service.close(getattr(self, service.name))

    async def reset(self, seed: int | None = None) -> None:
        """Drop every socket and rebuild all services (same config, same address)."""
        await self.close(1012)
        self.config.seed = seed if seed is not None else self.config.seed
        self._build(self.config.seed)
        if self._started:
            self.housekeeping.start()

    def diagnostics(self) -> dict[str, Any]:
        """Counts of what the platform holds (leak checks: load/soak.py). ``peers``: media peer
        connections of this process not closed; ``frozenObjects``: the heap a standalone server has
        frozen (core/heap.py)."""
        return {
            "tasks": len(asyncio.all_tasks()),
            "sockets": sum(c.socket is not None for c in self.hub.channels.values()),
            "channels": len(self.hub.channels),
            "linkSubscriptions": len(self.link.subscriptions),
            "cpaasSubscriptions": len(self.cpaas_channels.subscriptions),
            "legs": len(self.calls.router.legs),
            "sessions": len(self.calls.router.sessions),
            "endpointCalls": len(self.calls.endpoints.calls),
            "conferences": len(self.calls.conferences),
            "peers": open_peer_connections(),
            "files": len(self.files.objects),
            "journal": {"entries": len(self.journal), "bytes": self.journal.bytes},
            "pendingTransitions": len(self.progress.pending()),
            "frozenObjects": gc.get_freeze_count(),
        }

    def dump(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "config": {"domain": self.config.domain, "seed": self.config.seed,
                       "progression": str(self.progress.progression)},
            "channels": [c.to_dict() for c in self.hub.channels.values()],
            "faults": self.faults.list(),
            "pendingTransitions": self.progress.pending(),
            "relay": self.relay.dump() if self.relay is not None else None,
        }
        for service in self.services:
            if service.dump is not None:
                result.update(service.dump(getattr(self, service.name)))
        return result
