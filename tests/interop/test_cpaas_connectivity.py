"""The official CPaaS SDK's notification channel against the platform's keepalive and faults.

The SDK pings (`connCheck`) and the platform acks; when the platform drops the socket, or stops
acking for a while (a keepalive blackout), the SDK notices, reconnects to its channel, and
notifications reach it again, here a chat message from our Python SDK.
"""

from __future__ import annotations

from typing import Any

from fake_platform import Platform
from sdk.cpaas.conversation import chatTypes

from .browser import Browser, BrowserApp
from .official_cpaas import assert_no_sdk_trouble, open_cpaas

PING_MS = 1000
CONNECTIVITY = {"connectivity": {"pingInterval": PING_MS, "maxMissedPings": 2, "reconnectDelay": 300}}


def _socket_opens(platform: Platform, user: str) -> list[dict[str, Any]]:
    return [e for e in platform.journal(kind="ws-open", user=user) if "/notificationchannel/" in e["path"]]


async def _reconnected(app: BrowserApp, platform: Platform, user: str, opens_before: int, since: int) -> None:
    """The SDK reported the loss and the reconnection, and the platform saw the socket again."""
    await app.wait_until("n => harness.events.slice(n).filter(e => e.type === 'ws:change').length >= 2", since,
                         timeout=15)
    await app.wait_until("() => client.connection.getSocketState('cpaas').connected === true", timeout=15)
    opens = _socket_opens(platform, user)
    assert len(opens) > opens_before and opens[-1]["channel"] == opens[0]["channel"], opens


async def _message_arrives(app: BrowserApp, sender: Any, text: str) -> None:
    """A message from our SDK reaches the official app: its conversations:change (the first one of
    a conversation) or messages:change event, and then its conversation's messages."""
    since = await app.mark()
    to = (await app.js("client.getUserInfo()"))["username"]
    conversation = sender.conversation.get(to) or sender.conversation.create(to)
    await conversation.createMessage({"type": "text", "text": text}).send()
    await app.wait_until("n => harness.events.slice(n).some(e => ['conversations:change', 'messages:change']"
                         ".includes(e.type) && e.payload.messageId)", since, timeout=15)
    messages = await app.js("([id, type]) => harness.plain(client.conversation.get(id, {type}).getMessages())",
                            [sender.account.user_id, chatTypes.ONETOONE])
    assert text in [p["text"] for m in messages for p in m["parts"] if p["type"] == "text"]


async def test_the_official_sdk_keeps_its_channel_through_drops_and_keepalive_blackouts(
        platform: Platform, browser: Browser, make_cpaas: Any) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=["chat"])
    app = await open_cpaas(browser, platform, alice, ["chat"], CONNECTIVITY)

    # Its first ping (sent on open) carries the configured interval in seconds, and is acked.
    pings = [e for e in platform.journal(kind="ws-in", user=alice.user_id) if "connCheck" in (e.get("body") or {})]
    assert pings and pings[0]["body"]["connCheck"]["interval"] == PING_MS // 1000, pings
    acks = [e for e in platform.journal(kind="ws-out", user=alice.user_id) if "connAck" in (e.get("body") or {})]
    assert acks, "the platform did not ack the official SDK's ping"
    await _message_arrives(app, bob, "before any fault")

    # The platform drops the socket: the SDK notices at its next ping and reconnects.
    opens, since = len(_socket_opens(platform, alice.user_id)), await app.mark()
    assert await platform.drop_sockets(user=alice.user_id, code=1006) == 1
    await _reconnected(app, platform, alice.user_id, opens, since)
    await _message_arrives(app, bob, "after a dropped socket")

    # The platform stops acking: after pingInterval x maxMissedPings the SDK gives the socket up.
    opens, since = len(_socket_opens(platform, alice.user_id)), await app.mark()
    platform.faults.add("keepalive_blackout", duration=3.0, match={"user": alice.user_id})
    await _reconnected(app, platform, alice.user_id, opens, since)
    await _message_arrives(app, bob, "after a keepalive blackout")
    assert_no_sdk_trouble(browser, platform)
