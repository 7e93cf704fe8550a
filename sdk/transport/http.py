"""REST transport: one aiohttp session per client, with the platforms' response rules.

The rules come from the protocol notes (cpaas-wire §1.6, link-callme-wire §2): a non-2xx answer is
an error whose body is parsed only when it is JSON; 204 is success with ``{}``; any other 2xx must
carry JSON when a JSON body is expected. Mapping an :class:`HttpError` to a documented
``BasicError`` is the protocol adapters' job, not this module's.
"""

from __future__ import annotations

import json
import ssl as ssl_module
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..logger import Logger


@dataclass
class HttpResponse:
    status: int
    body: Any
    headers: Mapping[str, str]


class HttpError(Exception):
    """A failed request: ``status`` is None for network failures."""

    def __init__(self, method: str, url: str, status: int | None, body: Any, reason: str = "") -> None:
        self.method = method
        self.url = url
        self.status = status
        self.body = body if body is not None else {}
        self.reason = reason
        super().__init__(f"{method} {url} -> {status if status is not None else 'network error'} {reason}")


def ssl_setting(value: Any) -> Any:
    """Translate ``runtime.ssl`` into what aiohttp expects."""
    if value is None or value is True:
        return True
    if value is False:
        return False
    if isinstance(value, str):
        return ssl_module.create_default_context(cafile=value)
    return value


class RestClient:
    """JSON over HTTP with the platform's conventions."""

    def __init__(self, log: Logger, *, ssl: Any = None, timeout: float = 30.0,
                 default_headers: Mapping[str, str] | None = None) -> None:
        self._log = log
        self._ssl = ssl_setting(ssl)
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self.default_headers = dict(default_headers or {})

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                connector=aiohttp.TCPConnector(ssl=self._ssl, limit=0),
            )
        return self._session

    @property
    def ssl(self) -> Any:
        return self._ssl

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        data: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        response_type: str = "json",
    ) -> HttpResponse:
        all_headers = {"Accept": "application/json", **self.default_headers}
        if json_body is not None:
            all_headers["Content-Type"] = "application/json"
            data = json.dumps(json_body)
        if headers:
            all_headers.update(headers)
        self._log.debug(f"{method} {url}")
        try:
            async with self.session.request(method, url, data=data, params=params, headers=all_headers) as resp:
                raw = await resp.read()
                content_type = resp.headers.get("Content-Type", "")
                if not 200 <= resp.status < 300:
                    body = _parse_json(raw) if "application/json" in content_type else {}
                    if body is _INVALID:
                        body = {}
                    raise HttpError(method, url, resp.status, body, resp.reason or "")
                if resp.status == 204 or response_type == "none":
                    return HttpResponse(resp.status, {}, dict(resp.headers))
                if response_type == "blob":
                    return HttpResponse(resp.status, raw, dict(resp.headers))
                if not raw and not content_type:
                    return HttpResponse(resp.status, {}, dict(resp.headers))
                body = _parse_json(raw)
                if body is _INVALID:
                    raise HttpError(method, url, resp.status, {}, "response body is not JSON")
                return HttpResponse(resp.status, body, dict(resp.headers))
        except HttpError:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise HttpError(method, url, None, None, f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


_INVALID = object()


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else _INVALID
    except (ValueError, UnicodeDecodeError):
        return _INVALID
