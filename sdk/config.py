"""Configuration: documented defaults, deep merge, validation.

A product describes its configuration as a *schema*: nested dicts whose leaves are :class:`Option`
(default + check). :func:`merge` lays user values over a base; a value that fails its check is not
taken: the SDK logs a WARN naming the key and keeps the previous (default) value, as the documents
describe. Keys the schema does not know are kept as given (the platforms' own tutorials rely on
undocumented keys such as ``messaging.smsFrom``) and logged at debug.
"""

from __future__ import annotations

import copy
import numbers
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .logger import Logger

Check = Callable[[Any], bool]


@dataclass(frozen=True)
class Option:
    """One documented configuration key."""

    default: Any = None
    check: Check = field(default=lambda value: True)
    expects: str = "any value"
    # For keys documented as "Object | boolean" (logs.logActions): a mapping value is merged over
    # these sub-defaults; True means "enabled with the sub-defaults".
    section: Mapping[str, Option] | None = None


Schema = Mapping[str, Any]  # values: Option or nested Schema


# -- checks ---------------------------------------------------------------------------------------
def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_str(value: Any) -> bool:
    return isinstance(value, str)


def is_non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def is_number(minimum: float | None = None) -> Check:
    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        return minimum is None or float(value) >= minimum

    return check


def is_port(value: Any) -> bool:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def one_of(*choices: Any) -> Check:
    return lambda value: value in choices


def is_callable(value: Any) -> bool:
    return callable(value)


def is_list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list | tuple) and all(check(item) for item in value)


def is_ice_server(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    urls = value.get("urls")
    urls_ok = isinstance(urls, str) or (isinstance(urls, list | tuple) and all(isinstance(u, str) for u in urls))
    return urls_ok and all(isinstance(value.get(k, ""), str) for k in ("credential", "username"))


def is_ssl_setting(value: Any) -> bool:
    return value is None or isinstance(value, bool | str | ssl.SSLContext)


def is_dense_media(value: Any) -> bool:
    if not isinstance(value, Mapping) or set(value) - {"verifyEvery"}:
        return False
    every = value.get("verifyEvery", 1)
    return isinstance(every, int) and not isinstance(every, bool) and every >= 1


def is_optional(check: Check) -> Check:
    return lambda value: value is None or check(value)


# -- merging --------------------------------------------------------------------------------------
def defaults(schema: Schema) -> dict[str, Any]:
    """The documented defaults of a schema, as a fresh nested dict."""
    result: dict[str, Any] = {}
    for key, spec in schema.items():
        if isinstance(spec, Option):
            result[key] = copy.copy(spec.default)
        else:
            result[key] = defaults(spec)
    return result


def merge(
    schema: Schema,
    base: Mapping[str, Any],
    given: Mapping[str, Any],
    log: Logger | None = None,
    path: str = "",
) -> dict[str, Any]:
    """Deep-merge ``given`` over ``base``, validating every documented key in ``given``."""
    result = dict(base)
    for key, value in given.items():
        key_path = f"{path}.{key}" if path else key
        spec = schema.get(key)
        if spec is None:
            if log:
                log.debug(f"Config key '{key_path}' is not a documented option; kept as given.")
            if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
                result[key] = _plain_merge(result[key], value)
            else:
                result[key] = value
        elif isinstance(spec, Option):
            result[key] = _merge_option(spec, result.get(key), value, log, key_path)
        elif isinstance(value, Mapping):
            result[key] = merge(spec, result.get(key) or {}, value, log, key_path)
        elif log:
            log.warn(f"Invalid config value for '{key_path}': expected an object, got {value!r}. "
                     "Keeping the previous value.")
    return result


def _merge_option(spec: Option, current: Any, value: Any, log: Logger | None, key_path: str) -> Any:
    if spec.section is not None:
        if value is False or value is None:
            return False
        if value is True:
            return defaults(spec.section)
        if isinstance(value, Mapping):
            start = current if isinstance(current, Mapping) else defaults(spec.section)
            return merge(spec.section, start, value, log, key_path)
    elif spec.check(value):
        return copy.copy(value) if isinstance(value, list | dict) else value
    if log:
        log.warn(f"Invalid config value for '{key_path}': expected {spec.expects}, got {value!r}. "
                 "Keeping the previous value.")
    return current


def _plain_merge(base: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in given.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = _plain_merge(result[key], value)
        else:
            result[key] = value
    return result


def options(schema: Schema, path: str = "") -> dict[str, Option]:
    """Every documented key of a schema by its dotted path (``call.removeH264Codecs``)."""
    found: dict[str, Option] = {}
    for key, spec in schema.items():
        key_path = f"{path}.{key}" if path else key
        if isinstance(spec, Option):
            found[key_path] = spec
            found.update(options(spec.section or {}, key_path))  # logs.logActions.diff, ...
        else:
            found.update(options(spec, key_path))
    return found


def changed_keys(schema: Schema, config: Mapping[str, Any]) -> list[str]:
    """The documented keys whose value in ``config`` is not their default."""
    missing = object()
    return [path for path, spec in options(schema).items()
            if lookup(config, path, missing) not in (missing, spec.default)
            and not (spec.section is not None and lookup(config, path) == defaults(spec.section))]


def reset(config: dict[str, Any], dotted: str, schema: Schema) -> None:
    """Put one documented key of ``config`` back to its default (in place)."""
    spec = options(schema).get(dotted)
    parent = lookup(config, dotted.rpartition(".")[0]) if "." in dotted else config
    if spec is not None and isinstance(parent, dict):
        parent[dotted.rpartition(".")[2]] = copy.copy(spec.default)


def lookup(config: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """``lookup(cfg, 'connectivity.pingInterval')``."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


# -- the Python runtime section shared by both products ------------------------------------------
# Not in the Kandy documents: options that only make sense for a Python SDK talking to an emulated
# platform (TLS trust, which host addresses ICE may offer, emulated devices, request timeout).
RUNTIME_SCHEMA: Schema = {
    "ssl": Option(None, is_ssl_setting, "None, a bool, a CA file path or an ssl.SSLContext"),
    "hostAddresses": Option(None, is_optional(is_list_of(is_str)), "a list of IP address strings"),
    "requestTimeout": Option(30, is_number(0.001), "a positive number of seconds"),
    "devices": Option(None, is_optional(lambda v: isinstance(v, Mapping)), "a devices description"),
    "grantMediaPermissions": Option(True, is_bool, "a boolean"),
    "codecs": Option(None, is_optional(is_list_of(is_str)), "a list of codec names to prefer"),
    "callAuditInterval": Option(None, is_optional(is_number(0.01)), "seconds between call audits"),
    # Load tests: microphones send a tone encoded once per process; 1 call in verifyEvery is
    # decoded and checked, the others' audio packets are only counted (kandy_media.dense).
    "denseMedia": Option(None, is_optional(is_dense_media), "{verifyEvery: an integer >= 1}"),
}

