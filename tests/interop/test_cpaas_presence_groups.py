"""Scenario 4: presence and group invitations both ways between the official CPaaS SDK (in
Chromium) and our Python SDK.

Presence: the watcher subscribes to the ``presence`` service and to the other user
(``presence.subscribe``), as the document requires before ``presence:change`` can arrive; an update
on one side then gives ``presence:change`` ``{userId, status, activity, note}`` on the other, and
``presence.fetch`` makes the same information available through ``presence.get``.

Groups: an administrator on one side invites the other (``groups.create`` with participants, or
``groups.addParticipant``); the invitee gets ``group:invitation_received``, accepts, and the
administrator gets ``group:change`` with the participant now connected.
"""

from __future__ import annotations

from typing import Any

from fake_platform import Platform
from kandy_testing.plugin import ClientFactory
from sdk.cpaas.presence import activities, statuses

from .browser import Browser
from .official_cpaas import assert_no_sdk_trouble, open_cpaas

PRESENCE = ["presence"]
CHAT = ["chat"]


def _presence(user: str, status: str, activity: str, note: str | None = None) -> dict[str, Any]:
    return {"userId": user, "status": status, "activity": activity, "note": note}


def _official(payload: dict[str, Any]) -> dict[str, Any]:
    """An official ``presence:change`` payload; an undefined ``note`` does not cross into Python."""
    return {"note": None, **payload}


async def test_presence_updates_in_the_official_sdk_reach_python(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=PRESENCE)
    app = await open_cpaas(browser, platform, alice, PRESENCE)
    await bob.presence.subscribe(alice.user_id)
    assert not bob.recorder.of("presence:error")

    await app.js("([s, a]) => client.presence.update(s, a)", [statuses.OPEN, activities.AVAILABLE])
    await app.wait_event("presence:selfChange")
    assert await app.js("client.presence.getSelf()") == {
        "loading": False, "error": False, "status": statuses.OPEN, "activity": activities.AVAILABLE}
    change = await bob.recorder.wait("presence:change", lambda p: p.get("status") == statuses.OPEN)
    assert change == _presence(alice.user_id, statuses.OPEN, activities.AVAILABLE)

    note = "in a meeting — back at 3 ✓"
    mark, since = bob.recorder.mark, await app.mark()
    await app.js("([s, a, n]) => client.presence.update(s, a, n)",
                 [statuses.CLOSED, activities.ACTIVITIES_OTHER, note])
    change = await bob.recorder.wait("presence:change", lambda p: p.get("note") is not None, since=mark)
    assert change == _presence(alice.user_id, statuses.CLOSED, activities.ACTIVITIES_OTHER, note)
    assert bob.presence.get(alice.user_id) == change

    # The official SDK's own view after the update (taken from the platform's answer), and ours
    # through fetch.
    await app.wait_event("presence:selfChange", since=since)
    self_view = await app.js("client.presence.getSelf()")
    assert (self_view["status"], self_view["activity"], self_view["note"]) == (
        statuses.CLOSED, activities.ACTIVITIES_OTHER, note)
    other = await make_cpaas()
    await other.presence.fetch(alice.user_id)
    assert other.presence.get(alice.user_id) == change
    assert_no_sdk_trouble(browser, platform)


async def test_presence_updates_in_python_reach_the_official_sdk(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=PRESENCE)
    bob_id = bob.account.user_id
    app = await open_cpaas(browser, platform, alice, PRESENCE)

    await bob.presence.update(statuses.OPEN, activities.BUSY)
    await bob.recorder.wait("presence:selfChange")
    # fetch: what the platform holds now, without a subscription.
    await app.js("id => client.presence.fetch(id)", bob_id)
    fetched = await app.wait_until("id => client.presence.get([id]).find(p => p.loading === false)", bob_id)
    assert (fetched["userId"], fetched["status"], fetched["activity"]) == (bob_id, statuses.OPEN, activities.BUSY)

    since = await app.mark()
    await app.js("id => client.presence.subscribe(id)", bob_id)
    # No event confirms presence.subscribe itself; the platform tells a new watcher the current
    # presence at once (docs/decisions.md), which shows the subscription is in place.
    current = await app.wait_event("presence:change", lambda p: p.get("userId") == bob_id, since=since)
    assert _official(current["payload"]) == _presence(bob_id, statuses.OPEN, activities.BUSY)
    since = await app.mark()
    note = "à la plage ☀"
    await bob.presence.update(statuses.OPEN, activities.ACTIVITIES_OTHER, note)
    change = await app.wait_event("presence:change", lambda p: p.get("note") == note, since=since)
    assert _official(change["payload"]) == _presence(bob_id, statuses.OPEN, activities.ACTIVITIES_OTHER, note)
    assert not await app.events("presence:error")
    current = await app.js("id => client.presence.get([id])[0]", bob_id)
    assert (current["status"], current["activity"], current["note"]) == (
        statuses.OPEN, activities.ACTIVITIES_OTHER, note)

    since = await app.mark()
    await bob.presence.update(statuses.CLOSED, activities.VACATION)
    change = await app.wait_event("presence:change", lambda p: p.get("status") == statuses.CLOSED, since=since)
    assert change["payload"]["activity"] == activities.VACATION and change["payload"]["userId"] == bob_id
    assert_no_sdk_trouble(browser, platform)


async def test_a_group_invitation_from_the_official_sdk_is_accepted_in_python(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=CHAT)
    bob_id = bob.account.user_id
    app = await open_cpaas(browser, platform, alice, CHAT)

    await app.js("to => client.groups.create({name: 'Équipe', subject: 'interop', type: 'closed', "
                 "participants: [{address: to}]})", bob_id)
    group_id = (await app.wait_event("group:new"))["payload"]["id"]
    group = await app.js("id => client.groups.get(id)", group_id)
    assert group["name"] == "Équipe" and group["subject"] == "interop"
    assert {(p["address"], p["status"], p["isAdmin"]) for p in group["participants"]} == {
        (alice.user_id, "Connected", True), (bob_id, "Invited", False)}

    received = await bob.recorder.wait("group:invitation_received")
    invitation = received["invitation"]
    assert invitation["id"] == group_id and invitation["name"] == "Équipe"
    assert {p["address"] for p in invitation["participants"]} == {alice.user_id, bob_id}
    assert [i["id"] for i in bob.groups.getInvitations()] == [group_id]

    since = await app.mark()
    await bob.groups.acceptInvitation(group_id)
    await bob.recorder.wait("group:change", lambda p: p.get("id") == group_id and "error" not in p)
    assert bob.groups.getInvitations() == []
    assert set(bob.groups.getParticipants(group_id)) == {alice.user_id, bob_id}

    change = await app.wait_event("group:change", lambda p: p.get("id") == group_id, since=since)
    assert "error" not in change["payload"]
    group = await app.js("id => client.groups.get(id)", group_id)
    assert {(p["address"], p["status"]) for p in group["participants"]} == {
        (alice.user_id, "Connected"), (bob_id, "Connected")}
    assert_no_sdk_trouble(browser, platform)


async def test_a_group_invitation_from_python_is_accepted_in_the_official_sdk(
        platform: Platform, browser: Browser, make_cpaas: ClientFactory) -> None:
    alice = await platform.users.create()
    bob = await make_cpaas(services=CHAT)
    bob_id = bob.account.user_id
    app = await open_cpaas(browser, platform, alice, CHAT)

    await bob.groups.create({"name": "Crew ✓", "subject": "interop", "type": "closed"})
    group_id = (await bob.recorder.wait("group:new"))["id"]
    await bob.groups.addParticipant(group_id, alice.user_id)
    await bob.recorder.wait("group:change", lambda p: p.get("id") == group_id and "error" not in p)

    received = (await app.wait_event("group:invitation_received"))["payload"]
    invitation = received["invitation"]
    assert invitation["id"] == group_id and invitation["name"] == "Crew ✓"
    assert {p["address"] for p in invitation["participants"]} >= {alice.user_id, bob_id}
    invitations = await app.js("client.groups.getInvitations()")
    assert [i["id"] for i in invitations] == [group_id]

    mark = bob.recorder.mark
    since = await app.mark()
    await app.js("id => client.groups.acceptInvitation(id)", group_id)
    local = await app.wait_event("group:change", lambda p: p.get("id") == group_id, since=since)
    assert "error" not in local["payload"]
    group = await app.js("id => client.groups.get(id)", group_id)
    assert group["name"] == "Crew ✓"
    assert {(p["address"], p["status"]) for p in group["participants"]} == {
        (alice.user_id, "Connected"), (bob_id, "Connected")}
    assert await app.js("client.groups.getInvitations()") == []

    change = await bob.recorder.wait("group:change", lambda p: p.get("id") == group_id, since=mark)
    assert "error" not in change
    participants = {p["address"]: p["status"] for p in bob.groups.get(group_id)["participants"]}
    assert participants == {bob_id: "Connected", alice.user_id: "Connected"}

    # A fresh read of the official app's groups from the platform gives the same picture.
    since = await app.mark()
    await app.js("() => client.groups.fetch()")
    refresh = await app.wait_event("group:refresh", since=since)
    assert "error" not in refresh["payload"]
    [fetched] = await app.js("client.groups.getAll()")
    assert fetched["id"] == group_id and fetched["name"] == "Crew ✓"
    # 4.9.0 gives participant objects here, where the document says User ID strings.
    participants = await app.js("id => client.groups.getParticipants(id)", group_id)
    assert {(p["address"], p["status"], p["isAdmin"]) for p in participants} == {
        (bob_id, "Connected", True), (alice.user_id, "Connected", False)}
    assert_no_sdk_trouble(browser, platform)
