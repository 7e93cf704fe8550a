"""``client.connection``: websocket state and connectivity checking (both products)."""

from __future__ import annotations

from typing import Any

from .namespace import Namespace, api


class Connection(Namespace):
    """The documented ``connection`` namespace."""

    api_path = "connection"

    @api
    def getSocketState(self, platform: str | None = None) -> dict[str, Any]:
        """Get the state of the websocket.

        Each client has one notification channel, so ``platform`` only names it: the CPaaS
        document's default of ``'link'`` (ambiguity CPAAS-13) returns the CPaaS channel's state
        too. Before any channel was opened the state says ``connected: False``.
        """
        if platform not in (None, self._client.product):
            self._log.debug(f"getSocketState('{platform}') answered with the {self._client.product} channel")
        channel = self._client.channel
        if channel is None:
            return {"connected": False, "state": "disconnected", "platform": self._client.product,
                    "pinging": False, "checkConnectivity": self._client.connectivity_checking}
        return channel.socket_state()

    @api
    def enableConnectivityChecking(self, enable: bool) -> None:
        """Enables or disables connectivity checking (keepalive / connCheck pings)."""
        self._client.connectivity_checking = bool(enable)
        if self._client.channel is not None:
            self._client.channel.enable_connectivity_checking(bool(enable))

    def snapshot(self) -> Any:
        channel = self._client.channel
        return None if channel is None else {"state": channel.state, "url": channel.url}
