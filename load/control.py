"""The platform's control plane (``/_platform/``), as the load machinery uses it.

``ControlPlane`` is synchronous (urllib): the fault driver runs it in a gevent greenlet (urllib's
sockets are cooperative once gevent has patched them) or in a plain thread (benchmarks).
``AsyncControlPlane`` runs on the SDK's loop thread, for per-user set-up and reconnect probes.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import aiohttp

PREFIX = "/_platform"


class ControlPlaneError(RuntimeError):
    pass


class ControlPlane:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}{PREFIX}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise ControlPlaneError(f"{method} {path} -> {exc.code}: {exc.read()[:300]!r}") from None
        except OSError as exc:
            raise ControlPlaneError(f"{method} {path} failed: {exc}") from None
        return json.loads(raw) if raw else None

    # -- the operations the scenarios use ------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.request("GET", "/health")

    def drop_sockets(self, code: int = 1006, **match: Any) -> int:
        body = {"code": code, **{k: v for k, v in match.items() if v is not None}}
        return int(self.request("POST", "/sockets/drop", body)["dropped"])

    def add_fault(self, kind: str, *, duration: float | None = None, count: int | None = None,
                  match: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, **params}
        if duration is not None:
            body["duration"] = duration
        if count is not None:
            body["count"] = count
        if match:
            body["match"] = match
        return self.request("POST", "/faults", body)

    def clear_faults(self) -> None:
        self.request("DELETE", "/faults")

    def sockets(self) -> list[dict[str, Any]]:
        return self.request("GET", "/sockets")["channels"]


class AsyncControlPlane:
    """Control-plane calls from the SDK's loop (one session per process, shared by all users)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout),
                                                  connector=aiohttp.TCPConnector(limit=100))
        return self._session

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.session.request(method, f"{self.base_url}{PREFIX}{path}", json=body) as resp:
            raw = await resp.read()
            if resp.status >= 300:
                raise ControlPlaneError(f"{method} {path} -> {resp.status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None

    async def create_user(self) -> dict[str, Any]:
        return (await self.request("POST", "/users", {"count": 1}))["users"][0]

    async def tokens(self, user_id: str) -> dict[str, Any]:
        return await self.request("POST", "/tokens", {"userId": user_id})

    async def notify(self, user_id: str, product: str, frame: dict[str, Any], service: str = "chat") -> int:
        body = {"user": user_id, "product": product, "service": service, "frame": frame}
        return int((await self.request("POST", "/notify", body))["delivered"])

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
