"""Scenario 1: the official CPaaS SDK authenticates and subscribes, then unsubscribes."""

from __future__ import annotations

from fake_platform import Platform

from .browser import Browser
from .official_cpaas import ALL_SERVICES, open_cpaas


async def test_official_cpaas_subscribes_and_unsubscribes_down_to_channel_deletion(
        platform: Platform, browser: Browser) -> None:
    alice = await platform.users.create()
    app = await open_cpaas(browser, platform, alice, ALL_SERVICES)

    info = await app.js("client.getUserInfo()")
    assert info["username"] == alice.user_id and info["identity"] == alice.user_id
    subscriptions = await app.js("client.services.getSubscriptions()")
    assert sorted(subscriptions["subscribed"]) == sorted(ALL_SERVICES)
    assert subscriptions["isPending"] is False
    assert await app.js("client.connection.getSocketState('cpaas')") is not None
    change = await app.wait_event("subscription:change")
    assert change is not None

    channels = platform.journal(kind="http", method="POST")
    paths = [e["path"] for e in channels]
    assert any(p.endswith("/channels") and "/notificationchannel/v1/" in p for p in paths)
    assert any("/webrtcsignaling/v1/" in p and p.endswith("/subscriptions") for p in paths)
    assert any("/smsmessaging/v1/" in p and p.endswith("/inbound/subscriptions") for p in paths)
    assert any("/chat/v1/" in p and p.endswith("/subscriptions") for p in paths)
    assert any("/presenceListSubscriptions/" in p for p in paths)

    since = await app.mark()
    # The channel's DELETE is the SDK's last step: wait for its response in the browser.
    async with app.page.expect_response(lambda r: r.request.method == "DELETE" and "/notificationchannel/v1/" in r.url
                                        and "/channels/" in r.url, timeout=20_000) as deleted:
        await app.js("services => client.services.unsubscribe(services, 'websocket')", ALL_SERVICES)
    assert (await deleted.value).status == 204
    await app.wait_until("() => client.services.getSubscriptions().subscribed.length === 0")
    await app.wait_event("subscription:change", since=since)
    deletions = [e["path"] for e in platform.journal(kind="http", method="DELETE") if e["status"] == 204]
    for service in ("/webrtcsignaling/v1/", "/chat/v1/", "/smsmessaging/v1/", "/presenceListSubscriptions/"):
        assert any(service in p for p in deletions), (service, deletions)
    assert not [e for e in platform.journal(kind="http") if e["status"] >= 500]
