"""A seed reproduces people, never secrets or capabilities (docs/decisions.md, "Seeds and secrets")."""

from __future__ import annotations

import re

import aiohttp

from fake_platform import Platform
from tests.platform_world import build

CAPABILITY = re.compile(r"^[a-z]+-[0-9a-f]{32}$")


async def _seeded_world(seed: int) -> dict[str, object]:
    async with Platform(seed=seed, progression="manual") as platform:
        world = await build(platform)
        await world.session.close()
        state = platform.state
        return {
            "users": [(u.user_id, u.first_name, u.phone_number) for u in state.users.all()],
            "passwords": [u.password for u in state.users.all()],
            "token": world.b.token,
            "turn": state.turn.secret,
            "realm": state.link.realms.get(state.config.realm).key,
            "client secret": state.projects.projects[state.config.client_id].client_secret,
            "channels": sorted(state.hub.channels),
            "link subscriptions": sorted(state.link.subscriptions),
            "sessions": sorted(state.calls.router.legs),
            "push registrations": sorted(state.push.registrations),
            "anonymous principals": sorted(s.owner for s in state.link.subscriptions.values() if s.mode == "anonymous"),
        }


async def test_two_platforms_with_one_seed_share_people_but_no_secret_or_capability() -> None:
    first, second = await _seeded_world(42), await _seeded_world(42)
    assert first.pop("users") == second.pop("users")
    for name, value in first.items():
        other = second[name]
        if isinstance(value, list):
            assert value and not set(value) & set(other), name
        else:
            assert value != other, name


async def test_capabilities_are_128_random_bits() -> None:
    async with Platform(progression="manual") as platform:
        world = await build(platform)
        await world.session.close()
        state = platform.state
        link_channels = [c for c in state.hub.channels.values() if c.product == "link"]
        for value in ([c.id for c in link_channels] + list(state.link.subscriptions) + list(state.calls.router.legs)
                      + list(state.push.registrations)):
            assert CAPABILITY.match(value), value
        cpaas_channels = [c.id for c in state.hub.channels.values() if c.product == "cpaas"]
        assert cpaas_channels and all(re.match(r"^ws-[0-9a-f-]{36}$", c) for c in cpaas_channels)


async def test_a_token_of_one_platform_opens_nothing_on_another_with_the_same_seed() -> None:
    async with Platform(seed=7) as first, Platform(seed=7) as second:
        alice = await first.users.create()
        twin = await second.users.create()
        assert alice.user_id == twin.user_id and alice.password != twin.password
        token = (await first.tokens_for(alice))["access_token"]
        async with aiohttp.ClientSession() as session:
            url = f"{second.url}/cpaas/notificationchannel/v1/{twin.user_id}/channels"
            async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
                assert resp.status == 401
