"""The platform's control plane (``/_platform/``), as the load machinery uses it.

``ControlPlane`` is synchronous (urllib): the fault driver runs it in a gevent greenlet (urllib's
sockets are cooperative once gevent has patched them) or in a plain thread (benchmarks).
``AsyncControlPlane`` runs on the SDK's loop thread, for per-user set-up and reconnect probes.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from typing import Any

import aiohttp

PREFIX = "/_platform"
MAX_BATCH = 1000  # the platform's limit per /notify/batch request
TOKEN_ENV = "KANDY_CONTROL_TOKEN"  # the platform's control token, when it listens beyond loopback


def control_headers(token: str | None = None) -> dict[str, str]:
    """``Authorization`` for the control plane: ``token``, else ``$KANDY_CONTROL_TOKEN``, else none."""
    token = token or os.environ.get(TOKEN_ENV)
    return {"Authorization": f"Bearer {token}"} if token else {}


class ControlPlaneError(RuntimeError):
    pass


class ControlPlane:
    def __init__(self, base_url: str, timeout: float = 10.0, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = control_headers(token)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}{PREFIX}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **self.headers})
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
    """Control-plane calls from the SDK's loop (one session per process, shared by all users).

    ``notify`` is batched: after a storm every user of the process asks for a probe at about the
    same moment, and one ``/notify/batch`` request per burst costs both sides far less CPU than a
    request per user (bench/load.py part c). Batches go one at a time; the next one fills while
    the current one is in flight.
    """

    def __init__(self, base_url: str, timeout: float = 30.0, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._headers = control_headers(token)
        self._session: aiohttp.ClientSession | None = None
        self._pending: list[tuple[dict[str, Any], asyncio.Future[int]]] = []
        self._pump: asyncio.Task[None] | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout),
                                                  connector=aiohttp.TCPConnector(limit=100))
        return self._session

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.session.request(method, f"{self.base_url}{PREFIX}{path}", json=body,
                                        headers=self._headers) as resp:
            raw = await resp.read()
            if resp.status >= 300:
                raise ControlPlaneError(f"{method} {path} -> {resp.status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None

    async def create_user(self) -> dict[str, Any]:
        return (await self.request("POST", "/users", {"count": 1}))["users"][0]

    async def tokens(self, user_id: str) -> dict[str, Any]:
        return await self.request("POST", "/tokens", {"userId": user_id})

    async def notify(self, user_id: str, product: str, frame: dict[str, Any], service: str = "chat") -> int:
        """Have the platform notify ``user_id``; resolves with the number of channels reached."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append(({"user": user_id, "product": product, "service": service, "frame": frame}, future))
        if self._pump is None:
            self._pump = asyncio.create_task(self._send_batches(), name="notify-batches")
        return await future

    async def _send_batches(self) -> None:
        try:
            while self._pending:
                await asyncio.sleep(0)  # let the notifies of this burst join the batch
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    reply = await self.request("POST", "/notify/batch", {"notifications": [b for b, _ in batch]})
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), delivered in zip(batch, reply["delivered"], strict=True):
                    if not future.done():
                        future.set_result(int(delivered))
        finally:
            self._pump = None

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
