"""kandy_media.compat: the aiortc / aioice adaptations install once and refuse unknown releases."""

from __future__ import annotations

import aioice.ice
import pytest

from kandy_media import compat


def test_install_is_idempotent() -> None:
    compat.install()
    wrapped = (aioice.ice.get_host_addresses, aioice.ice.Connection.get_component_candidates)
    compat.install()
    assert (aioice.ice.get_host_addresses, aioice.ice.Connection.get_component_candidates) == wrapped


def test_host_addresses_apply_only_inside_their_context() -> None:
    compat.install()
    with compat.host_addresses(["127.0.0.1", "::1"]):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(use_ipv4=False, use_ipv6=True) == ["::1"]
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)


def test_an_unknown_release_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "version", lambda name: "9.1.0" if name == "aiortc" else "0.13.0")
    with pytest.raises(compat.UnsupportedLibrary, match=r"aiortc 9\.1\.0 is not a version"):
        compat.check_versions()


def test_the_installed_releases_are_supported() -> None:
    assert set(compat.check_versions()) == {"aiortc", "aioice"}


async def test_a_closed_ice_connection_runs_no_consent_checks() -> None:
    """A call ended as it connected: aioice's connect() starts the consent task after close()
    looked for it; closed, that task returns at once instead of outliving the call (load/soak.py)."""
    import asyncio

    import aioice.ice

    from kandy_media import compat

    compat.install()
    connection = aioice.ice.Connection(ice_controlling=True)
    await connection.close()
    await asyncio.wait_for(connection.query_consent(), 1.0)
