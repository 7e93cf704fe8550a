"""Raw CPaaS requests with a user's real token: for platform tests that bypass the SDK."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from fake_platform import Platform
from fake_platform.auth.models import User


async def request(platform: Platform, user: User, method: str, path: str, body: Any = None, *,
                  data: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    """``(status, parsed body)``; JSON bodies are parsed, anything else is returned as bytes."""
    tokens = await platform.tokens_for(user)
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    if body is not None:
        raw = json.dumps(body).encode()
    if raw is not None:
        headers["Content-Type"] = "application/json"
    async with aiohttp.ClientSession() as session:
        async with session.request(method, f"{platform.url}{path}", data=data if data is not None else raw,
                                   headers=headers) as resp:
            content = await resp.read()
            if resp.content_type == "application/json":
                return resp.status, json.loads(content)
            return resp.status, content


def error_id(body: Any) -> str:
    """The messageId of a CPaaS requestError body (service or policy exception)."""
    inner = body["requestError"]
    exception = inner.get("serviceException") or inner.get("policyException")
    assert isinstance(exception["text"], str) and isinstance(exception["variables"], list), body
    return exception["messageId"]
