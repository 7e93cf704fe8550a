"""The notification channel: one websocket, its connectivity checks, and reconnects.

Connectivity methods (``connectivity.method`` / protocol notes cpaas-wire §3, link-callme-wire §4):

* ``pingPong`` + client responsible: the client sends ``{"connCheck":{"interval":s}}`` on open and
  every ``pingInterval``; the server answers ``{"connAck":{}}``. With no answer the client pings
  again at once; when ``now - lastAck >= pingInterval * maxMissedPings`` the connection is lost
  (defaults: pings at 0, 30, 60 s, loss at 90 s).
* ``pingPong`` + server responsible: the server pings, the client answers ``connAck`` and adopts
  the server's interval; no server ping for ``interval * maxMissedPings`` means lost.
* ``keepAlive``: the client sends ``{"message_type":"ping"}`` every ``pingInterval``. The protocol
  defines no JSON reply, so liveness rides on the websocket's own ping/pong control frames sent
  with each keepalive; ``maxMissedPings`` unanswered pings mean lost (see docs/decisions.md).

A close from the server or a transport error is noticed at once. After a loss, with
``autoReconnect``, the channel reopens the same URL: at most ``reconnectLimit`` attempts (0 = no
limit), the first at once, then waiting ``min(reconnectDelay * multiplier**(n-1), reconnectTimeLimit)``
after failed attempt n.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import orjson

from kandy_media.clock import Clock

from ..errors import BasicError, Codes
from ..logger import Logger

ChannelObserver = Callable[["ChannelEvent"], None]
UrlFactory = Callable[[bool], str]  # reconnect? -> URL

KEEPALIVE_FRAME = {"message_type": "ping"}
SERVER_PING_INITIAL_INTERVAL = 120.0  # seconds assumed before the server's first connCheck


@dataclass(frozen=True)
class ChannelSettings:
    platform: str = "cpaas"
    method: str = "keepAlive"
    responsible_party: str = "client"
    ping_interval: float = 30.0
    max_missed_pings: int = 3
    reconnect_limit: int = 5
    reconnect_delay: float = 5.0
    reconnect_multiplier: float = 1.0
    reconnect_time_limit: float = 640.0
    auto_reconnect: bool = True
    check_connectivity: bool = True
    connect_timeout: float = 10.0

    @classmethod
    def from_config(cls, platform: str, connectivity: Mapping[str, Any], **overrides: Any) -> ChannelSettings:
        method = connectivity.get("method") or {}
        return replace(
            cls(
                platform=platform,
                method=method.get("type", "keepAlive") if isinstance(method, Mapping) else "keepAlive",
                responsible_party=(method.get("responsibleParty", "client")
                                   if isinstance(method, Mapping) else "client"),
                ping_interval=connectivity.get("pingInterval", 30000) / 1000.0,
                max_missed_pings=int(connectivity.get("maxMissedPings", 3)),
                reconnect_limit=int(connectivity.get("reconnectLimit", 5)),
                reconnect_delay=connectivity.get("reconnectDelay", 5000) / 1000.0,
                reconnect_multiplier=float(connectivity.get("reconnectTimeMultiplier", 1)),
                reconnect_time_limit=connectivity.get("reconnectTimeLimit", 640000) / 1000.0,
                auto_reconnect=bool(connectivity.get("autoReconnect", True)),
                check_connectivity=bool(connectivity.get("checkConnectivity", True)),
            ),
            **overrides,
        )


def ws_info(url: str | None) -> dict[str, Any]:
    """The websocket address in parts, as ``getSocketState().wsInfo`` reports it."""
    if not url:
        return {"url": url}
    parts = urlsplit(url)
    return {"protocol": parts.scheme, "server": parts.hostname, "port": parts.port, "url": url,
            "params": dict(parse_qsl(parts.query))}


def backoff_delays(settings: ChannelSettings) -> Iterator[float]:
    """Seconds to wait after failed attempt 1, 2, 3, ...: ``min(delay * m**(n-1), limit)``."""
    for n in itertools.count(1):
        yield min(settings.reconnect_delay * settings.reconnect_multiplier ** (n - 1),
                  settings.reconnect_time_limit)


@dataclass
class ChannelEvent:
    """What the channel reports to its observers (SDK events and load-test metrics)."""

    kind: str  # connecting | connected | attempt_failed | lost | reconnecting | reconnect_failed
    #            | closed | keepalive
    at: float
    detail: dict[str, Any] = field(default_factory=dict)


class NotificationChannel:
    """A websocket notification channel with connectivity checking and reconnects."""

    def __init__(
        self,
        url_factory: UrlFactory,
        settings: ChannelSettings,
        *,
        session: Callable[[], aiohttp.ClientSession],
        on_message: Callable[[dict[str, Any]], object],
        log: Logger,
        clock: Clock,
        ssl: Any = True,
    ) -> None:
        self._url_factory = url_factory
        self.settings = settings
        self._session = session
        self._on_message = on_message
        self._log = log
        self._clock = clock
        self._ssl = ssl
        self._observers: list[ChannelObserver] = []
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._generation = 0
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._ack: asyncio.Event = asyncio.Event()
        self._server_ping: asyncio.Event = asyncio.Event()
        self._closing = False
        self.state = "disconnected"  # disconnected | connecting | connected | lost | reconnecting | closed
        self.url: str | None = None
        self.last_contact: float | None = None
        self.connected_since: float | None = None
        self.lost_at: float | None = None
        self.connectivity_checking = settings.check_connectivity
        self.server_interval = SERVER_PING_INITIAL_INTERVAL

    # -- observers -----------------------------------------------------------------------------
    def observe(self, observer: ChannelObserver) -> None:
        self._observers.append(observer)

    def unobserve(self, observer: ChannelObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def _report(self, kind: str, **detail: Any) -> None:
        event = ChannelEvent(kind, self._clock.monotonic(), detail)
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception as exc:
                self._log.error(f"channel observer raised {type(exc).__name__}: {exc}")

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.state == "connected" and self._ws is not None and not self._ws.closed

    async def open(self) -> None:
        """Open the socket (up to ``reconnectLimit`` attempts); raise BasicError on failure."""
        if self.connected:
            return
        self._closing = False
        self.state = "connecting"
        self._report("connecting", reconnect=False)
        if not await self._connect_cycle(reconnect=False):
            self.state = "disconnected"
            raise BasicError(Codes.SUB_WEBSOCKET_FAILED,
                             f"Could not open the notification websocket at {self._url_factory(False)}")

    async def close(self, code: int = 1000) -> None:
        """Close the socket on purpose (no reconnect) and stop every task."""
        self._closing = True
        self._generation += 1
        await self._cancel_tasks(except_current=True)
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=code), 2)
        if self.state != "closed":
            self.state = "closed"
            self._report("closed")

    def enable_connectivity_checking(self, enable: bool) -> None:
        self.connectivity_checking = bool(enable)
        if self.connected:
            self._restart_pinger()

    async def send_json(self, frame: Mapping[str, Any]) -> None:
        if not self.connected:
            raise BasicError(Codes.CONN_NOT_CONNECTED, "The notification websocket is not connected")
        assert self._ws is not None
        await self._ws.send_str(json.dumps(frame))

    def socket_state(self) -> dict[str, Any]:
        s = self.settings
        return {
            "connected": self.connected,
            "state": self.state,
            "pinging": self.connected and self.connectivity_checking,
            "method": {"type": s.method, "responsibleParty": s.responsible_party},
            "platform": s.platform,
            "pingInterval": int((self.server_interval if self._server_driven else s.ping_interval) * 1000),
            "maxMissedPings": s.max_missed_pings,
            "reconnectLimit": s.reconnect_limit,
            "reconnectDelay": int(s.reconnect_delay * 1000),
            "reconnectTimeMultiplier": s.reconnect_multiplier,
            "reconnectTimeLimit": int(s.reconnect_time_limit * 1000),
            "autoReconnect": s.auto_reconnect,
            "checkConnectivity": self.connectivity_checking,
            "wsInfo": ws_info(self.url),
            "lastContact": self.last_contact,
        }

    # -- connecting ----------------------------------------------------------------------------
    async def _connect_cycle(self, *, reconnect: bool) -> bool:
        delays = backoff_delays(self.settings)
        limit = self.settings.reconnect_limit
        for attempt in itertools.count(1):
            if self._closing:
                return False
            url = self._url_factory(reconnect)
            try:
                async with asyncio.timeout(self.settings.connect_timeout):
                    ws = await self._connect(url)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                self._log.info(f"websocket attempt {attempt} failed: {reason}")
                self._report("attempt_failed", attempt=attempt, reason=reason, reconnect=reconnect)
                if limit and attempt >= limit:
                    return False
                await self._clock.sleep(next(delays))
                continue
            if self._closing:
                await ws.close()
                return False
            self._attach(ws, url)
            return True
        return False  # pragma: no cover - itertools.count never ends

    async def _connect(self, url: str) -> aiohttp.ClientWebSocketResponse:
        return await self._session().ws_connect(
            url, autoping=False, autoclose=True, heartbeat=None, ssl=self._ssl,
            timeout=aiohttp.ClientWSTimeout(ws_close=2.0), max_msg_size=16 * 1024 * 1024,
        )

    def _attach(self, ws: aiohttp.ClientWebSocketResponse, url: str) -> None:
        self._generation += 1
        self._ws = ws
        self.url = url
        now = self._clock.monotonic()
        self.last_contact = now
        self.connected_since = now
        self.state = "connected"
        self.server_interval = SERVER_PING_INITIAL_INTERVAL
        generation = self._generation
        self._tasks["reader"] = asyncio.create_task(self._read(ws, generation), name="channel-reader")
        self._restart_pinger()
        downtime = None if self.lost_at is None else now - self.lost_at
        self._report("connected", url=url, reconnect=self.lost_at is not None, downtime=downtime)
        self.lost_at = None

    # -- reading -------------------------------------------------------------------------------
    async def _read(self, ws: aiohttp.ClientWebSocketResponse, generation: int) -> None:
        reason = "closed"
        try:
            while True:
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._handle_text(msg.data)
                elif msg.type == aiohttp.WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type == aiohttp.WSMsgType.PONG:
                    self.last_contact = self._clock.monotonic()
                    if self.settings.method == "keepAlive":
                        self._ack.set()
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    self._log.warn("Ignoring a binary websocket frame")
                else:  # CLOSE, CLOSING, CLOSED, ERROR
                    reason = f"{msg.type.name} code={ws.close_code}"
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # transport failure
            reason = f"{type(exc).__name__}: {exc}"
        self._lost(generation, reason)

    def _handle_text(self, text: str) -> None:
        try:
            frame = _parse(text)
        except ValueError:
            self._log.warn(f"Ignoring a websocket frame that is not JSON: {text[:80]!r}")
            return
        if not isinstance(frame, dict):
            self._log.warn(f"Ignoring a websocket frame that is not a JSON object: {text[:80]!r}")
            return
        self.last_contact = self._clock.monotonic()
        # JS tests these keys for truthiness and `{}` is truthy there: presence is what counts.
        if frame.get("connCheck") is not None and len(frame) == 1:
            if self._server_driven:
                interval = frame["connCheck"].get("interval") if isinstance(frame["connCheck"], dict) else None
                if isinstance(interval, int | float) and interval > 0:
                    self.server_interval = float(interval)
                self._server_ping.set()
                task = asyncio.create_task(self._send_quietly({"connAck": {}}))
                self._tasks[f"ack-{id(task)}"] = task
                task.add_done_callback(lambda t: self._tasks.pop(f"ack-{id(t)}", None))
            return
        if frame.get("connAck") is not None and len(frame) == 1:
            if self.settings.method == "pingPong" and not self._server_driven:
                self._ack.set()
            return
        try:
            self._on_message(frame)
        except Exception as exc:
            self._log.error(f"notification handler raised {type(exc).__name__}: {exc}")

    async def _send_quietly(self, frame: Mapping[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.send_json(frame)

    # -- connectivity checks -------------------------------------------------------------------
    @property
    def _server_driven(self) -> bool:
        return self.settings.method == "pingPong" and self.settings.responsible_party == "server"

    def _restart_pinger(self) -> None:
        old = self._tasks.pop("pinger", None)
        if old is not None and old is not asyncio.current_task():
            old.cancel()
        if not self.connectivity_checking:
            return
        generation = self._generation
        if self._server_driven:
            coro = self._watch_server_pings(generation)
        else:
            coro = self._ping_loop(generation)
        self._tasks["pinger"] = asyncio.create_task(coro, name="channel-pinger")

    def _ping_frame(self) -> dict[str, Any]:
        if self.settings.method == "pingPong":
            return {"connCheck": {"interval": int(self.settings.ping_interval)}}
        return dict(KEEPALIVE_FRAME)

    async def _ping_loop(self, generation: int) -> None:
        interval = self.settings.ping_interval
        limit = interval * self.settings.max_missed_pings
        last_ack = self._clock.monotonic()
        while generation == self._generation:
            ws = self._ws
            if ws is None or ws.closed:
                self._lost(generation, "keepalive could not be sent: socket not open")
                return
            self._ack.clear()
            sent_at = self._clock.monotonic()
            try:
                await ws.send_str(json.dumps(self._ping_frame()))
                if self.settings.method == "keepAlive":
                    await ws.ping()
            except Exception as exc:
                self._lost(generation, f"keepalive could not be sent: {type(exc).__name__}")
                return
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
                # arrives together with the answer, leaving a pinger that can no longer be stopped.
                async with asyncio.timeout(interval):
                    await self._ack.wait()
            except TimeoutError:
                now = self._clock.monotonic()
                self._report("keepalive", ok=False, sent_at=sent_at)
                if now - last_ack >= limit - 1e-9:
                    self._lost(generation, f"no keepalive answer for {now - last_ack:.1f} s")
                    return
                continue  # ping again at once
            now = self._clock.monotonic()
            # The answered ping proves the link was alive when it was sent: count from there, so
            # that the loss is declared exactly pingInterval x maxMissedPings after it.
            last_ack = sent_at
            self._report("keepalive", ok=True, rtt=now - sent_at, sent_at=sent_at)
            await self._clock.sleep(interval - (now - sent_at))

    async def _watch_server_pings(self, generation: int) -> None:
        while generation == self._generation:
            self._server_ping.clear()
            limit = self.server_interval * self.settings.max_missed_pings
            try:
                async with asyncio.timeout(limit):
                    await self._server_ping.wait()
            except TimeoutError:
                self._lost(generation, f"no server connCheck for {limit:.1f} s")
                return
            self._report("keepalive", ok=True, rtt=0.0, sent_at=self._clock.monotonic())

    # -- loss and reconnect --------------------------------------------------------------------
    def _lost(self, generation: int, reason: str) -> None:
        if generation != self._generation or self._closing:
            return
        self._generation += 1
        self.state = "lost"
        self.lost_at = self._clock.monotonic()
        ws, self._ws = self._ws, None
        for name in ("reader", "pinger"):
            task = self._tasks.pop(name, None)
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        if ws is not None and not ws.closed:
            closer = asyncio.create_task(_abort(ws))
            self._tasks[f"abort-{id(closer)}"] = closer
            closer.add_done_callback(lambda t: self._tasks.pop(f"abort-{id(t)}", None))
        self._log.info(f"websocket connection lost: {reason}")
        self._report("lost", reason=reason)
        if self.settings.auto_reconnect:
            self._tasks["reconnect"] = asyncio.create_task(self._reconnect(), name="channel-reconnect")

    async def _reconnect(self) -> None:
        self.state = "reconnecting"
        self._report("reconnecting")
        ok = await self._connect_cycle(reconnect=True)
        self._tasks.pop("reconnect", None)
        if not ok and not self._closing:
            self.state = "disconnected"
            self._report("reconnect_failed", attempts=self.settings.reconnect_limit)

    async def _cancel_tasks(self, *, except_current: bool) -> None:
        current = asyncio.current_task()
        tasks = [t for t in self._tasks.values() if not (except_current and t is current)]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)


def _parse(text: str) -> Any:
    """JSON text -> value: orjson (every frame of a chat fan-out), or the json module for what only it
    accepts (NaN, Infinity), so that both read the same frames; ValueError when neither can."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


async def _abort(ws: aiohttp.ClientWebSocketResponse) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), 1)
