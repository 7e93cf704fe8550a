"""Clocks: wall time (token expiry) follows the frozen clock; loop timers follow virtual time."""

from __future__ import annotations

import asyncio
import datetime

import pytest

import sdk.cpaas
from sdk.errors import BasicError


async def test_an_expired_token_is_refused_once_the_wall_clock_passes_its_expiry(platform, make_user,
                                                                                 wall_clock) -> None:
    user = await make_user()
    client = sdk.cpaas.create(platform.sdk_config(user, logs={"logLevel": "silent"}))
    client.setTokens(await platform.tokens_for(user, sdk_form=True))
    errors: list[BasicError] = []
    client.on("subscription:error", lambda params: errors.append(params["error"]))
    wall_clock.tick(datetime.timedelta(hours=2))  # the platform's tokens live one hour
    await client.services.subscribe(["chat"])
    assert errors and errors[0].code == "POL0001" and "expired" in errors[0].message
    await client.aclose()


@pytest.mark.looptime
async def test_virtual_loop_time_runs_timers_without_waiting(make_cpaas) -> None:
    client = await make_cpaas(services=["chat"], connectivity={"checkConnectivity": True, "pingInterval": 60000})
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.sleep(600)
    assert loop.time() - start == pytest.approx(600)
    pings = [e for e in client.connection_events if e.kind == "keepalive" and e.detail["ok"]]
    assert len(pings) >= 10
