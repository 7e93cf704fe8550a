"""``client.services``: subscriptions to platform notifications (CPaaS "Subscription" section).

``subscribe`` creates the notification channel when there is none (POST channel, open the
websocket), then subscribes each service in parallel within ``subscription.timeout`` seconds and
fetches TURN credentials after a ``call`` subscription. ``unsubscribe`` deletes per-service
subscriptions and, when none is left, closes the socket and deletes the channel.

Events: ``subscription:change`` when a flow starts (``isPending`` true) and when it ends;
``subscription:error`` with a BasicError for a flow that cannot run (no valid services, no tokens,
channel or websocket failure) and, unlike the 4.9.0 SDK which stays silent, for each service whose
subscription failed (docs/decisions.md). After the reconnect attempts are exhausted the SDK forgets
the channel and its subscriptions and emits ``subscription:change`` with
``reason: 'LOST_CONNECTION'``; a later ``subscribe`` starts afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..namespace import Namespace, api
from ..notifications import WEBSOCKET
from ..transport.channel import ChannelEvent, ChannelSettings, NotificationChannel
from .protocol.subscriptions import SERVICES, ChannelInfo, SubscriptionProtocol

if TYPE_CHECKING:
    from . import CpaasClient

LOST_CONNECTION = "LOST_CONNECTION"


class Services(Namespace):
    """The documented ``services`` namespace."""

    api_path = "services"
    _client: CpaasClient

    def __init__(self, client: CpaasClient) -> None:
        super().__init__(client)
        self._protocol = SubscriptionProtocol(client.rest)
        self._lock = asyncio.Lock()
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.channel_info: ChannelInfo | None = None
        self.is_pending = False

    # -- documented API ------------------------------------------------------------------------
    @api
    def subscribe(self, services: list[str], type: str = "websocket") -> asyncio.Task[None]:
        """Subscribes to platform notifications for SDK services (returns the flow's task)."""
        return self._client.spawn(self._subscribe(services, type), "services-subscribe")

    @api
    def unsubscribe(self, services: list[str], type: str = "websocket") -> asyncio.Task[None]:
        """Cancels existing subscriptions (returns the flow's task)."""
        return self._client.spawn(self._unsubscribe(services, type), "services-unsubscribe")

    @api
    def getSubscriptions(self) -> dict[str, list[str]]:
        """``{subscribed: [...], available: [...]}``."""
        return {"subscribed": list(self.subscriptions), "available": list(SERVICES)}

    # -- flows ---------------------------------------------------------------------------------
    async def _subscribe(self, services: Any, channel_type: str) -> None:
        async with self._lock:
            wanted = self._valid_services(services)
            if channel_type != "websocket":
                self._error(BasicError(Codes.SUB_NO_SERVICES, f"Unsupported channel type '{channel_type}'"))
                return
            if not wanted:
                self._error(BasicError(Codes.SUB_NO_SERVICES, f"No valid services to subscribe to in {services!r}; "
                                       f"available: {list(SERVICES)}"))
                return
            if not self._client.auth.access_token:
                self._error(BasicError(Codes.SUB_NO_TOKENS, "Cannot subscribe before setTokens()"))
                return
            self._set_pending(True)
            try:
                try:
                    await self._ensure_channel()
                except BasicError as error:
                    self._error(error)
                    return
                todo = [s for s in wanted if s not in self.subscriptions]
                results = await self._run_timed({s: self._subscribe_one(s) for s in todo})
                for service, outcome in results.items():
                    if isinstance(outcome, BaseException):
                        self._error(_as_error(outcome, Codes.SUB_SERVICE_FAILED, f"subscribe to '{service}'"),
                                    service=service)
                    else:
                        self.subscriptions[service] = outcome
            finally:
                self._set_pending(False)

    async def _unsubscribe(self, services: Any, channel_type: str) -> None:
        async with self._lock:
            names = [s for s in self._valid_services(services) if s in self.subscriptions]
            if not names:
                self._log.info(f"unsubscribe: none of {services!r} is subscribed")
                self._client.emit("subscription:change", {"isPending": False, "subscribed": list(self.subscriptions)})
                return
            self._set_pending(True)
            try:
                jobs = {s: self._protocol.unsubscribe(s, self.subscriptions[s]) for s in names}
                results = await self._run_timed(jobs)
                for service, outcome in results.items():
                    if isinstance(outcome, BaseException):
                        self._error(_as_error(outcome, Codes.SUB_UNSUBSCRIBE_FAILED, f"unsubscribe from '{service}'"),
                                    service=service)
                    else:
                        self.subscriptions.pop(service, None)
                if not self.subscriptions:
                    await self._close_channel()
            finally:
                self._set_pending(False)

    async def _subscribe_one(self, service: str) -> dict[str, Any]:
        assert self.channel_info is not None
        subscription = await self._protocol.subscribe(service, self.channel_info.callback_url)
        # Subscribed as soon as the platform says so, and TURN credentials asked for as soon as calls
        # are subscribed: getSubscriptions() lists each service while the others are still pending,
        # as the 4.9.0 build does (tests/contract/test_sdk_replay.py).
        self.subscriptions[service] = subscription
        if service == "call":
            await self._fetch_turn()
        return subscription

    async def _fetch_turn(self) -> None:
        call_config = self._client.config["call"]
        if not call_config.get("serverTurnCredentials"):
            return
        try:
            self._client.turn_credentials = await self._protocol.turn_credentials()
        except BasicError as error:
            self._log.warn(f"TURN credentials could not be fetched: {error.message}")

    async def _run_timed(self, jobs: dict[str, Any]) -> dict[str, Any]:
        timeout = float(self._client.config["subscription"]["timeout"])
        tasks = {name: asyncio.ensure_future(coro) for name, coro in jobs.items()}
        if not tasks:
            return {}
        _done, pending = await asyncio.wait(tasks.values(), timeout=timeout)
        for task in pending:
            task.cancel()
        results: dict[str, Any] = {}
        for name, task in tasks.items():
            if task in pending:
                results[name] = BasicError(Codes.SUB_TIMEOUT, f"'{name}' did not complete within {timeout} s")
            else:
                results[name] = task.exception() or task.result()
        return results

    # -- the channel ---------------------------------------------------------------------------
    async def _ensure_channel(self) -> None:
        if self.channel_info is not None and self._client.channel is not None:
            return
        config = self._client.config
        self.channel_info = await self._protocol.create_channel(
            lifetime=int(config["subscription"]["channelLifetime"]),
            conn_check_role=config["connectivity"]["method"]["responsibleParty"],
        )
        info = self.channel_info
        settings = ChannelSettings.from_config("cpaas", config["connectivity"],
                                               check_connectivity=self._client.connectivity_checking)
        channel = NotificationChannel(
            lambda _reconnect: self._protocol.websocket_url(info),
            settings,
            session=lambda: self._client.http.session,
            # Straight to the router (every notification of a fan-out): the socket's frames need none
            # of process()'s checks of app-supplied input.
            on_message=functools.partial(self._client.notifications.receive, channel=WEBSOCKET),
            log=self._client.log_for("Connectivity"),
            clock=self._client.clock,
            ssl=self._client.http.ssl,
        )
        channel.observe(self._on_channel_event)
        self._client.channel = channel
        try:
            await channel.open()
        except BasicError:
            self._client.channel = None
            self.channel_info = None
            with contextlib.suppress(BasicError):
                await self._protocol.delete_channel(info)
            raise

    async def _close_channel(self) -> None:
        channel, info = self._client.channel, self.channel_info
        self._client.channel, self.channel_info = None, None
        if channel is not None:
            await channel.close()
        if info is not None:
            try:
                await self._protocol.delete_channel(info)
            except BasicError as error:
                self._log.warn(f"Notification channel could not be deleted: {error.message}")

    def _on_channel_event(self, event: ChannelEvent) -> None:
        client = self._client
        if event.kind in ("connecting", "connected", "lost", "reconnecting", "closed"):
            if event.kind == "connected":
                client.notifications.enabled[WEBSOCKET] = True
            client.emit("ws:change", {"platform": "cpaas", "state": event.kind, **_public(event.detail)})
        elif event.kind == "reconnect_failed":
            client.notifications.enabled[WEBSOCKET] = False
            self.subscriptions.clear()
            self.channel_info = None
            client.channel = None
            client.emit("ws:change", {"platform": "cpaas", "state": "disconnected"})
            client.emit("subscription:change", {"reason": LOST_CONNECTION, "isPending": False, "subscribed": []})
        client.record_connection_event(event)

    # -- helpers -------------------------------------------------------------------------------
    def _valid_services(self, services: Any) -> list[str]:
        if isinstance(services, str):
            services = [services]
        if not isinstance(services, list | tuple):
            return []
        wanted: list[str] = []
        for service in services:
            name = service.lower() if isinstance(service, str) else None
            if name in SERVICES:
                if name not in wanted:
                    wanted.append(name)
            else:
                self._log.warn(f"Ignoring unknown service {service!r}; available: {list(SERVICES)}")
        return wanted

    def _set_pending(self, pending: bool) -> None:
        self.is_pending = pending
        self._client.emit("subscription:change", {"isPending": pending, "subscribed": list(self.subscriptions)})

    def _error(self, error: BasicError, **extra: Any) -> None:
        self._log.warn(f"subscription error: {error.message}")
        self._client.emit("subscription:error", {"error": error, **extra})

    def snapshot(self) -> Any:
        return {"subscribed": list(self.subscriptions), "isPending": self.is_pending,
                "channel": None if self.channel_info is None else self.channel_info.channel_id}

    async def aclose(self) -> None:
        channel, self._client.channel = self._client.channel, None
        if channel is not None:
            await channel.close()


def _as_error(exc: BaseException, code: str, what: str) -> BasicError:
    if isinstance(exc, BasicError):
        return exc
    return BasicError(code, f"Could not {what}: {type(exc).__name__}: {exc}")


def _public(detail: dict[str, Any]) -> dict[str, Any]:
    # The URL carries the access token: never put it in an event.
    return {k: v for k, v in detail.items() if k in ("reason", "reconnect", "downtime")}
