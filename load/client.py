"""One load user's SDK client: sign in, subscribe, hold the notification channel, measure it.

Everything here runs on the SDK's asyncio loop (the process's shared :mod:`sdk.bridge` thread);
measurements leave only as :class:`~load.metrics.Sample` objects appended to a sink.

What is measured, from the channel's own :class:`~sdk.transport.channel.ChannelEvent` reports
(``client.observe_connection``):

* ``WS connect``: ``connecting`` → ``connected`` of the first socket;
* ``WS keepalive``: ping → ack round trip (``ok=False`` = a missed ack);
* ``WS missed-ping detection``: last answered ping sent → ``lost`` declared for lack of answers
  (should be ``pingInterval x maxMissedPings``);
* ``WS reconnect``: ``lost`` → socket up again *and* the subscriptions usable: with the default
  ``notify`` probe, a notification pushed through the platform after the reconnect has arrived;
  a failure when the SDK gives up (``reconnect_failed``) or the probe never arrives;
* ``REST <operation>``: every SDK REST request, timed around the product's ``rest.request``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sdk.cpaas
import sdk.link
from sdk.client import Client
from sdk.transport.channel import ChannelEvent

from . import metrics
from .control import AsyncControlPlane
from .metrics import Sample, SampleSink

PRODUCTS = ("cpaas", "link")
PROBES = ("notify", "keepalive")
PROBE_KIND = "loadProbe"
_seq = itertools.count(1)


@dataclass(frozen=True)
class ClientSettings:
    ping_interval_ms: int = 1000
    max_missed_pings: int = 3
    reconnect_delay_ms: int = 500
    reconnect_limit: int = 20
    probe: str = "notify"  # how "subscriptions usable again" is proven after a reconnect
    probe_timeout: float = 15.0
    services: tuple[str, ...] = ("call", "chat", "presence")
    log_level: str = "error"
    start_timeout: float = 60.0
    dense_media: int = 0  # 0: calls carry media as usual; N: dense media, 1 call in N decoded (kandy_media.dense)
    relay: bool = False  # calls relay their media through the platform's TURN relay (so it can be impaired)

    @property
    def detection_s(self) -> float:
        return self.ping_interval_ms * self.max_missed_pings / 1000.0


def sdk_config(product: str, base_url: str, settings: ClientSettings) -> dict[str, Any]:
    """A documented SDK configuration pointing at the platform at ``base_url`` (http, loopback)."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    connectivity: dict[str, Any] = {
        "checkConnectivity": True,
        "pingInterval": settings.ping_interval_ms,
        "maxMissedPings": settings.max_missed_pings,
        "reconnectDelay": settings.reconnect_delay_ms,
        "reconnectLimit": settings.reconnect_limit,
        "reconnectTimeMultiplier": 1,
    }
    runtime: dict[str, Any] = {"hostAddresses": ["127.0.0.1"], "codecs": ["PCMU"]}
    if settings.dense_media:
        runtime["denseMedia"] = {"verifyEvery": settings.dense_media}
    common = {"logs": {"logLevel": settings.log_level}, "call": {"iceServers": []}, "runtime": runtime}
    if product == "cpaas":
        # pingPong + client: the CPaaS connCheck/connAck protocol, answered by the platform.
        connectivity["method"] = {"type": "pingPong", "responsibleParty": "client"}
        return {**common, "connectivity": connectivity,
                "authentication": {"server": {"base": host, "protocol": "http", "port": port},
                                   "clientCorrelator": f"load-{next(_seq)}"},
                "subscription": {"timeout": 20}}
    if product == "link":
        return {**common, "connectivity": connectivity,
                "authentication": {"subscription": {"server": host, "protocol": "http", "port": port},
                                   "websocket": {"server": host, "protocol": "ws", "port": port}}}
    raise ValueError(f"unknown product {product!r}; expected one of {PRODUCTS}")


@dataclass
class Outage:
    """One loss of the channel, from detection until the subscriptions are usable again."""

    lost_at: float
    reason: str
    losses: int = 1
    failed_attempts: int = 0
    socket_up_at: float | None = None
    probe_seq: int | None = None


@dataclass
class Counters:
    connects: int = 0
    reconnects: int = 0
    keepalives_ok: int = 0
    keepalives_missed: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)


class LoadClient:
    """A signed-in, subscribed SDK client of one product, measured while it holds its channel."""

    def __init__(self, product: str, base_url: str, settings: ClientSettings, sink: SampleSink,
                 control: AsyncControlPlane) -> None:
        if product not in PRODUCTS:
            raise ValueError(f"unknown product {product!r}")
        self.product = product
        self.base_url = base_url
        self.settings = settings
        self._sink = sink
        self._control = control
        self.user_id = f"(unstarted {product} user)"
        self.client: Client | None = None
        self.counters = Counters()
        self._connecting_at: float | None = None
        self._last_ok_sent: float | None = None
        self._outage: Outage | None = None
        self._probe_timer: asyncio.TimerHandle | None = None
        self._probe_tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    # -- lifecycle (run these on the SDK loop) --------------------------------------------------
    async def start(self) -> None:
        async with asyncio.timeout(self.settings.start_timeout):
            user = await self._control.create_user()
            self.user_id = user["user_id"]
            create = sdk.cpaas.create if self.product == "cpaas" else sdk.link.create
            client = create(sdk_config(self.product, self.base_url, self.settings))
            self.client = client
            instrument_rest(client, self._rest_sample)
            client.observe_connection(self._on_channel_event)
            client.on("notification:received", self._on_notification)
            if self.product == "cpaas":
                await self._subscribe_cpaas(client)
            else:
                await client.connect({"username": self.user_id, "password": user["password"]})
            if self.settings.relay:
                self._relay_calls(client)
        if not self.connected:
            raise RuntimeError(f"{self.user_id}: subscribed but the notification channel is not connected")

    def _relay_calls(self, client: Any) -> None:
        """Relay-only ICE through the TURN relay the platform's credentials name."""
        urls = [u for u in (client.turn_credentials or {}).get("urls", []) if u.endswith("transport=udp")]
        if not urls:
            raise RuntimeError(f"{self.user_id}: the platform's TURN credentials name no relay")
        client.updateConfig({"call": {"iceServers": [{"urls": urls[0]}], "iceTransportPolicy": "relay"}})

    async def _subscribe_cpaas(self, client: Any) -> None:
        errors: list[str] = []
        client.on("subscription:error", lambda p: errors.append(str(p.get("error"))))
        tokens = await self._control.tokens(self.user_id)
        client.setTokens({"accessToken": tokens["access_token"], "idToken": tokens["id_token"]})
        await client.services.subscribe(list(self.settings.services))
        missing = set(self.settings.services) - set(client.services.getSubscriptions()["subscribed"])
        if missing:
            raise RuntimeError(f"{self.user_id}: not subscribed to {sorted(missing)}: {errors}")

    async def stop(self) -> None:
        """Record the final state (for the checks), then destroy the client."""
        self._stopping = True
        self._cancel_probe_timer()
        for task in list(self._probe_tasks):
            task.cancel()
        self.emit(metrics.FINAL, metrics.FINAL, 0.0, self.connected and not self.counters.gave_up,
                   detail={"product": self.product, "outage_open": self._outage is not None,
                           "gave_up": self.counters.gave_up, "reconnects": self.counters.reconnects,
                           "keepalives_missed": self.counters.keepalives_missed})
        if self.client is not None:
            await asyncio.wait_for(self.client.aclose(), 10)

    @property
    def connected(self) -> bool:
        channel = self.client.channel if self.client is not None else None
        return bool(channel is not None and channel.connected)

    # -- channel events -> samples -----------------------------------------------------------------
    def _on_channel_event(self, event: ChannelEvent) -> None:
        if self._stopping:
            return
        kind, detail = event.kind, event.detail
        if kind == "connecting":
            self._connecting_at = event.at
        elif kind == "connected":
            # Each socket's pinger counts missed pings from its own start (channel._ping_loop).
            self._last_ok_sent = event.at
            if detail.get("reconnect"):
                self._socket_up(event.at)
            elif self._connecting_at is not None:
                self.counters.connects += 1
                self.emit(metrics.WS, metrics.CONNECT, (event.at - self._connecting_at) * 1000, True)
        elif kind == "keepalive":
            self._keepalive(event)
        elif kind == "lost":
            self._lost(event)
        elif kind == "attempt_failed" and detail.get("reconnect") and self._outage is not None:
            self._outage.failed_attempts += 1
        elif kind == "reconnect_failed":
            self.counters.gave_up += 1
            outage, self._outage = self._outage, None
            self._cancel_probe_timer()
            ms = 0.0 if outage is None else (event.at - outage.lost_at) * 1000
            self.emit(metrics.WS, metrics.RECONNECT, ms, False,
                       error=f"gave up after {detail.get('attempts')} attempts", detail=self._outage_detail(outage))

    def _keepalive(self, event: ChannelEvent) -> None:
        sent_at = event.detail.get("sent_at", event.at)
        if event.detail.get("ok"):
            self.counters.keepalives_ok += 1
            self._last_ok_sent = sent_at
            self.emit(metrics.WS, metrics.KEEPALIVE, float(event.detail.get("rtt", 0.0)) * 1000, True)
            outage = self._outage
            if self.settings.probe == "keepalive" and outage is not None and outage.socket_up_at is not None:
                self._usable(event.at)
        else:
            self.counters.keepalives_missed += 1
            self.emit(metrics.WS, metrics.KEEPALIVE, (event.at - sent_at) * 1000, False, error="missed ack")

    def _lost(self, event: ChannelEvent) -> None:
        reason = str(event.detail.get("reason", ""))
        self._cancel_probe_timer()
        if self._outage is None:
            self._outage = Outage(lost_at=event.at, reason=reason)
        else:  # lost again before the subscriptions were usable: the same outage goes on
            self._outage.losses += 1
            self._outage.socket_up_at = None
        if reason.startswith("no keepalive answer") and self._last_ok_sent is not None:
            self.emit(metrics.WS, metrics.DETECTION, (event.at - self._last_ok_sent) * 1000, True,
                       detail={"expected_ms": self.settings.detection_s * 1000})

    def _socket_up(self, at: float) -> None:
        outage = self._outage
        if outage is None:  # a reconnect we did not see the loss of: nothing to measure
            return
        outage.socket_up_at = at
        if self.settings.probe == "notify":
            seq = next(_seq)
            outage.probe_seq = seq
            task = asyncio.get_running_loop().create_task(self._send_probe(seq))
            self._probe_tasks.add(task)
            task.add_done_callback(self._probe_tasks.discard)
            self._probe_timer = asyncio.get_running_loop().call_later(
                self.settings.probe_timeout, self._probe_timed_out, seq)

    async def _send_probe(self, seq: int) -> None:
        """Ask the platform to notify this user; its arrival proves the subscriptions work again."""
        if self.product == "cpaas":
            frame = {PROBE_KIND: {"seq": seq}}
        else:
            frame = {"notificationMessage": {"eventType": PROBE_KIND, "seq": seq}}
        try:
            await self._control.notify(self.user_id, self.product, frame)
        except Exception as exc:  # the timer reports the failure; note why
            self.counters.errors.append(f"probe {seq}: {type(exc).__name__}: {exc}")

    def _on_notification(self, params: dict[str, Any]) -> None:
        payload = params.get("payload") or {}
        body = payload.get(PROBE_KIND) or payload.get("notificationMessage") or {}
        if not isinstance(body, dict) or "seq" not in body:
            return
        if self.client is not None and self._outage is not None and self._outage.socket_up_at is not None:
            self._usable(self.client.clock.monotonic())

    def _usable(self, at: float) -> None:
        outage, self._outage = self._outage, None
        self._cancel_probe_timer()
        if outage is None or self._stopping:
            return
        self.counters.reconnects += 1
        self.emit(metrics.WS, metrics.RECONNECT, (at - outage.lost_at) * 1000, True,
                   detail=self._outage_detail(outage))

    def _probe_timed_out(self, seq: int) -> None:
        self._probe_timer = None
        outage = self._outage
        if outage is None or outage.probe_seq != seq or self._stopping:
            return
        self._outage = None
        now = self.client.clock.monotonic() if self.client is not None else outage.lost_at
        self.emit(metrics.WS, metrics.RECONNECT, (now - outage.lost_at) * 1000, False,
                   error=f"no probe notification within {self.settings.probe_timeout} s of the reconnect",
                   detail=self._outage_detail(outage))

    def _cancel_probe_timer(self) -> None:
        if self._probe_timer is not None:
            self._probe_timer.cancel()
            self._probe_timer = None

    def _outage_detail(self, outage: Outage | None) -> dict[str, Any]:
        if outage is None:
            return {}
        detail: dict[str, Any] = {"lost_t": self._wall(outage.lost_at), "reason": outage.reason,
                                  "losses": outage.losses, "failed_attempts": outage.failed_attempts,
                                  "product": self.product}
        if outage.socket_up_at is not None:
            detail["socket_ms"] = round((outage.socket_up_at - outage.lost_at) * 1000, 3)
        return detail

    # -- REST ------------------------------------------------------------------------------------
    def _rest_sample(self, operation: str, ms: float, error: BaseException | None) -> None:
        if not self._stopping:
            self.emit(metrics.REST, operation, ms, error is None,
                       error=None if error is None else f"{type(error).__name__}: {error}")

    # -- helpers ---------------------------------------------------------------------------------
    def _wall(self, at: float) -> float:
        """Wall-clock time of a loop-clock instant (samples are compared across processes)."""
        loop_now = self.client.clock.monotonic() if self.client is not None else at
        return time.time() - (loop_now - at)

    def emit(self, type_: str, name: str, ms: float, ok: bool, *, error: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
        self._sink.add(Sample(type_, name, round(ms, 3), ok, self.user_id, time.time(), error, detail or {}))


RestReporter = Callable[[str, float, BaseException | None], None]


def instrument_rest(client: Any, report: RestReporter) -> None:
    """Time every REST request of ``client`` by its protocol operation name.

    Both products funnel their requests through ``client.rest.request(method, url, body, *,
    operation=...)``; wrapping that bound method on this one instance measures them without
    touching the SDK.
    """
    original = client.rest.request

    async def timed(method: str, url: str, body: Any = None, *, operation: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            result = await original(method, url, body, operation=operation, **kwargs)
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                report(operation, (time.perf_counter() - started) * 1000, exc)
            raise
        report(operation, (time.perf_counter() - started) * 1000, None)
        return result

    client.rest.request = timed
