"""The control plane answers its own origin only, refuses rebound host names and text/plain JSON,
and beyond loopback wants its token (fake_platform/control/guard.py)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import pytest

from fake_platform import Platform
from load.control import TOKEN_ENV, AsyncControlPlane, ControlPlane, ControlPlaneError
from tests.test_platform import _read_json_block

EVIL = "http://evil.example"


async def _request(platform: Platform, method: str, path: str, *, headers: dict[str, str] | None = None,
                   body: Any = None, raw: bytes | None = None,
                   url: str | None = None) -> tuple[int, Any, dict[str, str]]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    json_type = {"Content-Type": "application/json"} if body is not None else {}
    sent = {**json_type, **(headers or {})}
    async with aiohttp.ClientSession() as session:
        async with session.request(method, (url or platform.url) + path, data=data, headers=sent) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text and resp.content_type == "application/json" else text, \
                dict(resp.headers)


async def test_a_page_of_another_origin_cannot_read_or_act(platform: Platform) -> None:
    status, body, headers = await _request(platform, "GET", "/_platform/users", headers={"Origin": EVIL})
    assert status == 403 and body["error"]["kind"] == "forbidden"
    assert "Access-Control-Allow-Origin" not in headers
    status, _, headers = await _request(platform, "OPTIONS", "/_platform/users",
                                        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    before = len(platform.state.users.all())
    status, _, _ = await _request(platform, "POST", "/_platform/users", headers={"Origin": EVIL}, body={"count": 1})
    assert status == 403 and len(platform.state.users.all()) == before


async def test_the_platforms_own_origin_is_answered(platform: Platform) -> None:
    for origin in (platform.url, platform.url.replace("127.0.0.1", "localhost")):
        status, _, headers = await _request(platform, "OPTIONS", "/_platform/users",
                                            headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "content-type"})
        assert status == 204 and headers["Access-Control-Allow-Origin"] == origin
        status, body, headers = await _request(platform, "GET", "/_platform/health", headers={"Origin": origin})
        assert status == 200 and body["status"] == "ok" and headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.platform(control_origins=["http://dashboard.test:3000"])
async def test_a_configured_origin_is_answered(platform: Platform) -> None:
    status, _, headers = await _request(platform, "GET", "/_platform/health",
                                        headers={"Origin": "http://dashboard.test:3000"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "http://dashboard.test:3000"


async def test_json_only_as_application_json(platform: Platform) -> None:
    """A cross-origin page may POST text/plain without a preflight: such a body is refused before it acts."""
    before = len(platform.state.users.all())
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        status, body, _ = await _request(platform, "POST", "/_platform/users", raw=b'{"count": 1}',
                                         headers={"Content-Type": content_type})
        assert status == 415 and body["error"]["kind"] == "unsupported_media_type", content_type
    assert len(platform.state.users.all()) == before
    status, _, _ = await _request(platform, "POST", "/_platform/users", body={"count": 1})
    assert status == 201


async def test_a_rebound_host_name_is_refused(platform: Platform) -> None:
    """DNS rebinding: evil.example resolves to 127.0.0.1, the browser sends Host: evil.example:<port>."""
    for host in (f"evil.example:{platform.port}", "evil.example", f"127.0.0.1:{platform.port + 1}"):
        status, body, _ = await _request(platform, "GET", "/_platform/users", headers={"Host": host})
        assert status == 403 and "Host" in body["error"]["message"], host
    for host in (f"127.0.0.1:{platform.port}", f"localhost:{platform.port}"):
        status, _, _ = await _request(platform, "GET", "/_platform/health", headers={"Host": host})
        assert status == 200, host


async def test_the_public_doors_still_serve_any_origin(platform: Platform) -> None:
    """The official SDKs run in pages of any origin: the CPaaS and Link doors keep their CORS."""
    status, _, headers = await _request(platform, "OPTIONS", "/cpaas/auth/v1/token",
                                        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"


async def test_beyond_loopback_the_token_is_required() -> None:
    async with Platform(host="0.0.0.0") as platform:
        token = platform.control_token
        assert token and len(token) >= 32
        url = f"http://127.0.0.1:{platform.port}"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"}):
            status, body, _ = await _request(platform, "GET", "/_platform/users", headers=headers, url=url)
            assert status == 401 and body["error"]["kind"] == "unauthorized"
        status, body, _ = await _request(platform, "GET", "/_platform/users", url=url,
                                         headers={"Authorization": f"Bearer {token}"})
        assert status == 200 and "users" in body
        # the public doors need no control token
        status, _, _ = await _request(platform, "GET", "/cpaas/notificationchannel/v1/x/channels", url=url)
        assert status == 401


async def test_the_load_tools_pass_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Platform(host="0.0.0.0") as platform:
        url = f"http://127.0.0.1:{platform.port}"
        with pytest.raises(ControlPlaneError, match="401"):
            await asyncio.to_thread(ControlPlane(url).health)
        assert (await asyncio.to_thread(ControlPlane(url, token=platform.control_token).health))["status"] == "ok"
        monkeypatch.setenv(TOKEN_ENV, platform.control_token or "")
        control = AsyncControlPlane(url)
        try:
            assert (await control.create_user())["password"]
        finally:
            await control.close()


async def test_on_loopback_no_token_unless_one_is_configured() -> None:
    async with Platform() as platform:
        assert platform.control_token is None
    async with Platform(control_token="sesame-sesame-sesame") as platform:
        status, _, _ = await _request(platform, "GET", "/_platform/health")
        assert status == 401
        status, _, _ = await _request(platform, "GET", "/_platform/health",
                                      headers={"Authorization": "Bearer sesame-sesame-sesame"})
        assert status == 200


def test_the_cli_prints_the_token_beyond_loopback() -> None:
    process = subprocess.Popen([sys.executable, "-m", "fake_platform", "serve", "--port", "0", "--host", "0.0.0.0"],
                               stdout=subprocess.PIPE, text=True)
    try:
        info = _read_json_block(process)
        token = info["controlToken"]
        port = info["url"].rsplit(":", 1)[1]
        health = f"http://127.0.0.1:{port}/_platform/health"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(health, timeout=5)
        assert refused.value.code == 401
        request = urllib.request.Request(health, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert json.load(resp)["status"] == "ok"
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0
