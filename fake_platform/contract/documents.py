"""The two contract documents, loaded once per process.

``openapi.yaml`` (OpenAPI 3.1: every REST route of both front doors, the OAuth token endpoint and
the control plane) and ``asyncapi.yaml`` (AsyncAPI 3.0: both notification channels, every frame
both ways) ship inside the package: the platform serves them (``/_platform/openapi.json``,
``/_platform/asyncapi.json``) and validates its traffic against them when ``contract=True``.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
OPENAPI_FILE = HERE / "openapi.yaml"
ASYNCAPI_FILE = HERE / "asyncapi.yaml"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_Loader)  # a safe loader
    return document


def openapi() -> dict[str, Any]:
    """The OpenAPI document (shared: do not modify it; :func:`openapi_for` gives a copy)."""
    return _load(OPENAPI_FILE)


def asyncapi() -> dict[str, Any]:
    return _load(ASYNCAPI_FILE)


@functools.cache
def _json(name: str) -> bytes:
    return json.dumps(openapi() if name == "openapi" else asyncapi(), indent=1).encode()


def document_json(name: str, server_url: str | None = None) -> bytes:
    """``name`` ("openapi" or "asyncapi") as JSON, its server set to ``server_url`` when given."""
    if server_url is None:
        return _json(name)
    document = copy.deepcopy(openapi() if name == "openapi" else asyncapi())
    if name == "openapi":
        document["servers"] = [{"url": server_url, "description": "this platform"}]
    else:
        scheme, _, host = server_url.partition("://")
        document["servers"] = {"this": {"host": host, "protocol": "wss" if scheme == "https" else "ws",
                                        "description": "this platform"}}
        for channel in document["channels"].values():
            channel["servers"] = [{"$ref": "#/servers/this"}]
    return json.dumps(document, indent=1).encode()
