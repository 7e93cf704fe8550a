"""The contract documents are valid by their specifications' own validators, and served."""

from __future__ import annotations

import copy

import aiohttp
import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from fake_platform import Platform
from fake_platform.contract import documents

from . import asyncapi_schema


def test_openapi_document_is_valid_openapi_3_1() -> None:
    document = documents.openapi()
    assert document["openapi"].startswith("3.1")
    validate_openapi(document)
    broken = copy.deepcopy(document)
    broken["paths"]["/cpaas/auth/v1/token"]["post"]["responses"]["200"] = {"content": {}}  # no description
    with pytest.raises(OpenAPIValidationError):
        validate_openapi(broken)


@pytest.fixture(scope="module")
def asyncapi_validator() -> jsonschema.Draft7Validator:
    try:
        return jsonschema.Draft7Validator(asyncapi_schema.schema())
    except asyncapi_schema.Unavailable as exc:
        pytest.skip(f"the AsyncAPI JSON schema cannot be had: {exc}")


def test_asyncapi_document_is_valid_asyncapi_3(asyncapi_validator: jsonschema.Draft7Validator) -> None:
    document = documents.asyncapi()
    assert document["asyncapi"] == "3.0.0"
    errors = [e.message[:200] for e in asyncapi_validator.iter_errors(document)]
    assert errors == []
    broken = copy.deepcopy(document)
    broken["operations"]["linkNotify"]["action"] = "publish"  # AsyncAPI 2 wording: not allowed in 3
    assert list(asyncapi_validator.iter_errors(broken))


def test_every_channel_message_is_in_an_operation() -> None:
    """A message a channel lists but no operation sends or receives would never be validated."""
    document = documents.asyncapi()
    in_operations = {ref["$ref"].rsplit("/", 1)[1] + "@" + ref["$ref"].split("/")[2]
                     for op in document["operations"].values() for ref in op["messages"]}
    listed = {f"{key}@{name}" for name, channel in document["channels"].items() for key in channel["messages"]}
    assert listed - in_operations == set()


async def test_the_platform_serves_both_documents_and_a_page() -> None:
    async with Platform() as platform, aiohttp.ClientSession() as http:
        async with http.get(f"{platform.url}/_platform/openapi.json") as resp:
            openapi = await resp.json()
        async with http.get(f"{platform.url}/_platform/asyncapi.json") as resp:
            asyncapi = await resp.json()
        async with http.get(f"{platform.url}/_platform/docs") as resp:
            page = await resp.text()
    assert openapi["servers"] == [{"url": platform.url, "description": "this platform"}]
    assert openapi["paths"].keys() == documents.openapi()["paths"].keys()
    assert asyncapi["servers"]["this"]["host"] == f"127.0.0.1:{platform.port}"
    assert "/cpaas/webrtcsignaling/{ver}/{user}/sessions" in page and "wrtcsEventNotification" in page


# Keywords that mean the same in JSON Schema draft 7 and 2020-12: the fast path compiles the
# OpenAPI 3.1 (2020-12) schemas as draft 7 (fake_platform/contract/validator.py).
PORTABLE_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "enum", "const", "items", "oneOf", "anyOf",
    "allOf", "not", "pattern", "minItems", "maxItems", "minLength", "maxLength", "minProperties",
    "maxProperties", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "description", "$ref",
    "contentMediaType", "title", "examples",
}


def _keywords(schema: object, found: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    found.update(schema)
    for sub in schema.get("properties", {}).values():
        _keywords(sub, found)
    for key in ("items", "additionalProperties", "not"):
        _keywords(schema.get(key), found)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key, []):
            _keywords(sub, found)


def _schemas(node: object) -> list[object]:
    """Every schema root in a document: ``schema`` and ``payload`` values and ``components.schemas``."""
    found: list[object] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "examples":  # instances, not schemas
                continue
            if key in ("schema", "payload"):
                found.append(value)
            elif key == "schemas" and isinstance(value, dict):
                found.extend(value.values())
            else:
                found.extend(_schemas(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_schemas(item))
    return found


@pytest.mark.parametrize("name", ["openapi", "asyncapi"])
def test_schemas_use_only_keywords_draft_7_and_2020_12_agree_on(name: str) -> None:
    document = documents.openapi() if name == "openapi" else documents.asyncapi()
    used: set[str] = set()
    for schema in _schemas(document):
        _keywords(schema, used)
    assert used - PORTABLE_KEYWORDS == set()
