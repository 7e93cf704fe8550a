"""Configuration: defaults, deep merge, validation (WARN + keep), unknown keys."""

from __future__ import annotations

import pytest

import sdk.cpaas
import sdk.link
from kandy_testing.inventory import documented_defaults
from sdk.config import lookup
from sdk.logger import LogEntry


def make(product: str, config: dict) -> tuple[object, list[LogEntry]]:
    logs: list[LogEntry] = []
    module = sdk.cpaas if product == "cpaas" else sdk.link
    merged = {**config, "logs": {**config.get("logs", {}), "handler": logs.append}}
    return module.create(merged), logs


@pytest.mark.parametrize("product", ["cpaas", "link"])
def test_every_documented_default_is_applied(product: str) -> None:
    client, _ = make(product, {})
    config = client.getConfig()
    for key, default in documented_defaults(product).items():
        parent = key.rsplit(".", 1)[0]
        if lookup(config, parent) is False:
            continue
        assert lookup(config, key) == default, key


def test_link_log_actions_object_gets_the_documented_sub_defaults() -> None:
    client, _ = make("link", {"logs": {"logActions": {"collapsed": True}}})
    assert client.getConfig()["logs"]["logActions"] == {
        "handler": None, "actionOnly": False, "collapsed": True, "diff": False, "level": "debug",
        "exposePayloads": True}


def test_cpaas_log_actions_false_disables_action_logs() -> None:
    client, _ = make("cpaas", {"logs": {"logActions": False}})
    assert client.getConfig()["logs"]["logActions"] is False


def test_invalid_value_warns_and_keeps_the_default() -> None:
    client, logs = make("cpaas", {"connectivity": {"pingInterval": "soon", "reconnectLimit": 2}})
    config = client.getConfig()
    assert config["connectivity"]["pingInterval"] == 30000
    assert config["connectivity"]["reconnectLimit"] == 2
    warnings = [e for e in logs if e.level == "warn"]
    assert any("connectivity.pingInterval" in e.messages[0] for e in warnings)


def test_a_section_given_as_a_scalar_is_refused() -> None:
    client, logs = make("link", {"call": "yes please"})
    assert client.getConfig()["call"]["earlyMedia"] is False
    assert any("'call'" in e.messages[0] for e in logs if e.level == "warn")


def test_unknown_keys_are_kept_for_undocumented_options() -> None:
    client, _ = make("cpaas", {"messaging": {"smsFrom": "+16135550000"}})
    assert client.getConfig()["messaging"] == {"smsFrom": "+16135550000"}


def test_update_config_validates_like_create() -> None:
    client, logs = make("link", {})
    client.updateConfig({"connectivity": {"webSocketOAuthMode": "none", "pingInterval": -1}})
    config = client.getConfig()
    assert config["connectivity"]["webSocketOAuthMode"] == "none"
    assert config["connectivity"]["pingInterval"] == 30000
    assert any("pingInterval" in e.messages[0] for e in logs if e.level == "warn")


def test_get_config_returns_a_copy() -> None:
    client, _ = make("link", {})
    copy = client.getConfig()
    copy["call"]["earlyMedia"] = True
    assert client.getConfig()["call"]["earlyMedia"] is False


def test_update_config_resizes_the_id_cache() -> None:
    client, _ = make("cpaas", {})
    client.updateConfig({"notifications": {"idCacheLength": 3}})
    assert client.notifications.ids.capacity == 3


def test_create_refuses_a_non_mapping() -> None:
    with pytest.raises(sdk.BasicError):
        sdk.cpaas.create(["not", "a", "config"])  # type: ignore[arg-type]
