"""A Link / CallMe subscription and its notification websocket, kept alive until stopped.

Used two ways: per anonymous call (CallMe: subscribe inside ``makeAnonymous``, unsubscribe after
the call ends) and for a Link user between ``connect`` and ``disconnect``. While active it
refreshes the subscription before expiry (first after ``max(expires / 2, 30 s)``, then halving the
wait after each failure, never below 30 s) and keeps the websocket up with ``{"message_type":"ping"}``
keepalives and reconnects.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BasicError, Codes
from ..notifications import WEBSOCKET
from ..transport.channel import ChannelEvent, ChannelSettings, NotificationChannel
from .protocol.subscription import LinkSubscriptionInfo, LinkSubscriptionProtocol

if TYPE_CHECKING:
    from . import LinkClient

MIN_REFRESH_WAIT = 30.0


class LinkSession:
    def __init__(self, client: LinkClient) -> None:
        self._client = client
        self._protocol = LinkSubscriptionProtocol(client.rest)
        self.info: LinkSubscriptionInfo | None = None
        self.credentials: dict[str, Any] = {}
        self._refresh_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    @property
    def active(self) -> bool:
        return self.info is not None

    @property
    def _log(self) -> Any:
        return self._client.log_for("Subscription")

    # -- starting ------------------------------------------------------------------------------
    async def start_anonymous(self, account: str, *, realm: str | None = None) -> LinkSubscriptionInfo:
        """Subscribe as an anonymous CallMe caller (token mode when ``realm`` is given)."""
        async with self._lock:
            if self.info is not None:
                return self.info
            self._client.rest.token_realm = realm
            self._client.rest.auth_headers = {}
            info = await self._protocol.subscribe_anonymous(account)
            await self._activate(info)
            return info

    async def start_user(self, credentials: Mapping[str, Any]) -> LinkSubscriptionInfo:
        """Subscribe a Link user with Basic or Bearer credentials."""
        username = credentials.get("username")
        if not isinstance(username, str) or not username:
            raise BasicError(Codes.AUTH_INVALID_CREDENTIALS, "connect() needs a username")
        async with self._lock:
            if self.info is not None:
                return self.info
            self._client.rest.token_realm = None
            self._client.rest.auth_headers = auth_headers(credentials)
            self.credentials = dict(credentials)
            services = list(self._client.config["authentication"]["subscription"].get("service") or ["call"])
            info = await self._protocol.subscribe_user(username, services)
            await self._activate(info)
            return info

    async def _activate(self, info: LinkSubscriptionInfo) -> None:
        client = self._client
        if info.turn_credentials and client.config["call"].get("serverTurnCredentials"):
            client.turn_credentials = dict(info.turn_credentials)
        settings = ChannelSettings.from_config(
            "link", client.config["connectivity"], method="keepAlive",
            check_connectivity=client.connectivity_checking)
        bearer = self.credentials.get("bearerAccessToken")
        channel = NotificationChannel(
            # webSocketOAuthMode is read at each (re)connect, so updateConfig applies to the next one.
            lambda reconnect: self._protocol.websocket_url(
                info, reconnect=reconnect, bearer=bearer,
                oauth_mode=client.config["connectivity"].get("webSocketOAuthMode", "query")),
            settings,
            session=lambda: client.http.session,
            on_message=lambda frame: client.notifications.receive(frame, WEBSOCKET),
            log=client.log_for("Connectivity"),
            clock=client.clock,
            ssl=client.http.ssl,
        )
        channel.observe(self._on_channel_event)
        client.channel = channel
        try:
            await channel.open()
        except BasicError:
            client.channel = None
            with contextlib.suppress(BasicError):
                await self._protocol.unsubscribe(info)
            raise
        self.info = info
        self._refresh_task = client.spawn(self._refresh_loop(), "link-subscription-refresh")
        client.emit("subscription:change", {"subscribed": list(info.services), "mode": info.mode})

    # -- stopping ------------------------------------------------------------------------------
    async def stop(self, *, reason: str | None = None) -> None:
        """Unsubscribe (DELETE), close the websocket, forget the subscription."""
        async with self._lock:
            info, self.info = self.info, None
            if info is None:
                return
            if self._refresh_task is not None:
                self._refresh_task.cancel()
                self._refresh_task = None
            channel, self._client.channel = self._client.channel, None
            if channel is not None:
                await channel.close()
            self._client.notifications.websocket_closed()
            try:
                await self._protocol.unsubscribe(info)
            except BasicError as error:
                self._log.warn(f"unsubscribe failed: {error.message}")
                self._client.emit("subscription:error", {"error": error})
            self._client.emit("subscription:change", {"subscribed": [], "reason": reason})

    # -- refresh -------------------------------------------------------------------------------
    async def _refresh_loop(self) -> None:
        attempt = 1
        while self.info is not None:
            info = self.info
            wait = max(info.expires / (2 ** attempt), MIN_REFRESH_WAIT) if info.expires else MIN_REFRESH_WAIT
            await self._client.clock.sleep(wait)
            if self.info is not info:
                return
            try:
                await self._protocol.refresh(info)
            except BasicError as error:
                attempt += 1
                self._log.warn(f"subscription refresh failed (attempt {attempt - 1}): {error.message}")
                self._client.emit("auth:resub", {"attemptNum": attempt - 1, "isFailure": True, "error": error})
                continue
            attempt = 1
            self.refresh_count += 1
            self._client.emit("auth:resub", {"attemptNum": self.refresh_count, "isFailure": False})

    # -- channel events ------------------------------------------------------------------------
    def _on_channel_event(self, event: ChannelEvent) -> None:
        client = self._client
        if event.kind in ("connecting", "connected", "lost", "reconnecting", "closed"):
            if event.kind == "connected":
                client.notifications.websocket_opened()
                client.on_websocket_connected(event)
            client.emit("ws:change", {"platform": "link", "state": event.kind,
                                      **{k: v for k, v in event.detail.items() if k in ("reason", "reconnect")}})
        elif event.kind == "reconnect_failed":
            client.notifications.websocket_closed()
            client.emit("ws:change", {"platform": "link", "state": "disconnected"})
            client.emit("subscription:change", {"reason": "LOST_CONNECTION", "subscribed": []})
            client.emit("auth:change", {"reason": "LOST_CONNECTION", "forced": True})
        client.record_connection_event(event)


def auth_headers(credentials: Mapping[str, Any]) -> dict[str, str]:
    """Authorization headers for a Link user: Bearer token, or Basic username/password."""
    bearer = credentials.get("bearerAccessToken")
    if isinstance(bearer, str) and bearer:
        return {"Authorization": f"Bearer {bearer}"}
    user = credentials.get("authname") or credentials.get("username")
    password = credentials.get("password")
    if not isinstance(password, str):
        raise BasicError(Codes.AUTH_INVALID_CREDENTIALS, "connect() needs a password or a bearerAccessToken")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
