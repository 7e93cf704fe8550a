"""Compiled validators of the two contract documents (schema libraries; nothing hand-written).

The OpenAPI operations and the AsyncAPI messages become validators compiled on first use and kept
for the process (``openapi_contract()``, ``asyncapi_contract()``). Each check runs twice as fast
as it can: fastjsonschema (schemas compiled to Python code, about 8 us a frame) says whether the
instance is valid; only when it is not does jsonschema (about 50 times slower, with the documents'
``$ref``s resolved through a ``referencing`` registry) say why, in words.

OpenAPI 3.1 schemas are JSON Schema 2020-12 and AsyncAPI 3 payloads a superset of draft 7. The
documents use only keywords that mean the same in draft 7 and 2020-12 (tests/contract checks the
list), so the fast path compiles them as draft 7 with their ``$ref``s inlined.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator as SlowValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

from . import documents

DRAFT_7 = "http://json-schema.org/draft-07/schema#"
OPENAPI_URN = "urn:kandy-emulator:openapi"
ASYNCAPI_URN = "urn:kandy-emulator:asyncapi"
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
_ALTERNATION = re.compile(r"\(\?P<(\w+)>(\w+(?:\|\w+)*)\)")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def describe(error: ValidationError) -> str:
    """``where: what`` for one validation error (the most relevant one of a oneOf)."""
    error = best_match([error]) or error
    where = ".".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message[:300]}"


def _first_error(validator: SlowValidator, instance: Any) -> str | None:
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    return describe(best_match(errors) or errors[0])


def resolve(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (``/paths/~1cpaas~1.../parameters/0``)."""
    node = document
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def inline_refs(node: Any, document: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by its target (the documents have no cycles)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            return inline_refs(resolve(document, ref[1:]), document)
        return {key: inline_refs(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_refs(item, document) for item in node]
    return node


class Validator:
    """One schema: a fast yes/no (fastjsonschema), and jsonschema's words when the answer is no."""

    def __init__(self, schema: dict[str, Any], document: dict[str, Any], slow: Callable[[], SlowValidator]) -> None:
        self._schema, self._document = schema, document
        self._fast: Callable[[Any], Any] | None = None  # compiled on first use: most are never needed
        self._slow = slow  # made when an instance fails

    def error(self, instance: Any) -> str | None:
        if self._fast is None:
            inlined = {"$schema": DRAFT_7, **inline_refs(self._schema, self._document)}
            self._fast = fastjsonschema.compile(inlined, use_default=False, use_formats=False)
        try:
            self._fast(instance)
        except fastjsonschema.JsonSchemaException as exc:
            return _first_error(self._slow(), instance) or str(exc)
        return None


# -- OpenAPI ---------------------------------------------------------------------------------
@dataclass
class Operation:
    """One documented ``METHOD path``: its query, request bodies and responses."""

    method: str
    path: str
    query: Validator | None
    required_query: frozenset[str]
    bodies: dict[str, Validator | None]  # media type -> schema validator (None: no schema)
    responses: dict[str, dict[str, Validator | None]]  # status or "default" -> media type -> validator

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def check_query(self, query: dict[str, str]) -> str | None:
        missing = self.required_query - set(query)
        if missing:
            return f"query: missing {', '.join(sorted(missing))}"
        if self.query is None:
            return None
        return self.query.error(query)

    def check_body(self, media_type: str, body: Any) -> str | None:
        if not self.bodies:
            return None
        if media_type not in self.bodies:
            return f"body: content type {media_type or '(none)'} is not one of {', '.join(self.bodies)}"
        validator = self.bodies[media_type]
        return None if validator is None else validator.error(body)

    def response_media(self, status: int) -> dict[str, Validator | None] | None:
        """The documented media types of ``status`` (its own entry, else ``default``); None: undocumented."""
        found = self.responses.get(str(status))
        if found is None:
            found = self.responses.get(f"{str(status)[0]}XX")
        if found is None and status >= 400:
            found = self.responses.get("default")
        return found

    def check_response(self, status: int, media_type: str | None, body: Any) -> str | None:
        media = self.response_media(status)
        if media is None:
            return f"status {status} is not documented"
        if not media:
            return None if body is None else f"status {status} documents no body, got {media_type}"
        if media_type not in media and "*/*" not in media:
            return f"status {status}: content type {media_type or '(none)'} is not one of {', '.join(media)}"
        validator = media.get(media_type or "") if media_type in media else None
        if validator is None:
            return None
        return validator.error(body)


class OpenApiContract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(OPENAPI_URN, resource)
        self._operations: dict[tuple[str, str], Operation | None] = {}

    def paths(self) -> dict[str, Any]:
        paths: dict[str, Any] = self.document["paths"]
        return paths

    def documented(self) -> set[tuple[str, str]]:
        """Every ``(METHOD, path)`` the document describes."""
        found = set()
        for path in self.paths():
            item, _ = self._deref(self.paths()[path], f"/paths/{_escape(path)}")
            for method in METHODS:
                if method in item:
                    found.add((method.upper(), path))
        return found

    def operation(self, method: str, path: str) -> Operation | None:
        key = (method.upper(), path)
        if key not in self._operations:
            self._operations[key] = self._compile(method.lower(), path)
        return self._operations[key]

    # -- compiling -----------------------------------------------------------------------------
    def _deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow local ``$ref``s of non-schema objects (path items, parameters, responses)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            pointer = node["$ref"][1:]
            node = resolve(self.document, pointer)
        return node, pointer

    def _validator(self, pointer: str) -> Validator:
        def slow() -> SlowValidator:
            return Draft202012Validator({"$ref": f"{OPENAPI_URN}#{pointer}"}, registry=self._registry)

        return Validator(resolve(self.document, pointer), self.document, slow)

    def _compile(self, method: str, path: str) -> Operation | None:
        raw = self.paths().get(path)
        if raw is None:
            return None
        item, item_ptr = self._deref(raw, f"/paths/{_escape(path)}")
        if method not in item:
            return None
        op, op_ptr = item[method], f"{item_ptr}/{method}"
        params: dict[str, tuple[dict[str, Any], str]] = {}
        for source, base in ((item.get("parameters", []), f"{item_ptr}/parameters"),
                             (op.get("parameters", []), f"{op_ptr}/parameters")):
            for index, raw_param in enumerate(source):
                param, ptr = self._deref(raw_param, f"{base}/{index}")
                if param.get("in") == "query":
                    params[param["name"]] = (param, ptr)
        query = None
        if params:
            with_schema = {name: ptr for name, (p, ptr) in params.items() if "schema" in p}
            query = Validator(
                {"type": "object", "properties": {n: {"$ref": f"#{ptr}/schema"} for n, ptr in with_schema.items()}},
                self.document,
                lambda: Draft202012Validator({"type": "object", "properties": {
                    name: {"$ref": f"{OPENAPI_URN}#{ptr}/schema"} for name, ptr in with_schema.items()}},
                    registry=self._registry))
        required = frozenset(name for name, (p, _ptr) in params.items() if p.get("required"))
        bodies: dict[str, Validator | None] = {}
        if "requestBody" in op:
            body, body_ptr = self._deref(op["requestBody"], f"{op_ptr}/requestBody")
            for media, spec in body.get("content", {}).items():
                bodies[media] = self._validator(f"{body_ptr}/content/{_escape(media)}/schema") \
                    if "schema" in spec else None
        responses: dict[str, dict[str, Validator | None]] = {}
        for status, raw_response in op.get("responses", {}).items():
            response, resp_ptr = self._deref(raw_response, f"{op_ptr}/responses/{status}")
            responses[str(status)] = {
                media: self._validator(f"{resp_ptr}/content/{_escape(media)}/schema") if "schema" in spec else None
                for media, spec in response.get("content", {}).items()
            }
        return Operation(method, path, query, required, bodies, responses)


def route_paths(formatter: str, pattern: re.Pattern[str] | None) -> list[tuple[str, dict[str, str]]]:
    """The OpenAPI paths an aiohttp resource serves: ``{name:a|b}`` segments become one path per value.

    Returns ``(path, {param: value})`` pairs; plain ``{name}`` segments stay templates.
    """
    alternations = {name: values.split("|") for name, values in _ALTERNATION.findall(pattern.pattern)} \
        if pattern is not None else {}
    results: list[tuple[str, dict[str, str]]] = [(formatter, {})]
    for name, values in alternations.items():
        results = [(path.replace("{" + name + "}", value), {**chosen, name: value})
                   for path, chosen in results for value in values]
    return results


# -- AsyncAPI --------------------------------------------------------------------------------
@dataclass
class ChannelMessages:
    """The messages of one channel, by direction and by frame name."""

    name: str
    sent: dict[str, Validator] = field(default_factory=dict)  # platform -> client
    received: dict[str, Validator] = field(default_factory=dict)  # client -> platform


def frame_name(frame: Any) -> str | None:
    """How a frame names its message: a Link envelope's ``eventType``, ``keepAlive`` for
    ``{"message_type": ...}``, otherwise the frame's one top-level key."""
    if not isinstance(frame, dict) or not frame:
        return None
    envelope = frame.get("notificationMessage")
    if isinstance(envelope, dict) and len(frame) == 1:
        event = envelope.get("eventType")
        return event if isinstance(event, str) else None
    if "message_type" in frame:
        return "keepAlive"
    return next(iter(frame)) if len(frame) == 1 else None


class AsyncApiContract:
    CHANNELS = {"cpaas": "cpaasNotifications", "link": "linkNotifications"}

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT7)
        self._registry: Registry[Any] = Registry().with_resource(ASYNCAPI_URN, resource)
        self.channels = {product: self._channel(name) for product, name in self.CHANNELS.items()}

    def _resolve(self, ref: str) -> tuple[Any, str]:
        return resolve(self.document, ref[1:]), ref[1:]

    def _channel(self, channel_name: str) -> ChannelMessages:
        result = ChannelMessages(channel_name)
        for operation in self.document["operations"].values():
            channel, _ = self._resolve(operation["channel"]["$ref"])
            if channel is not self.document["channels"][channel_name]:
                continue
            target = result.sent if operation["action"] == "send" else result.received
            for ref in operation.get("messages", []):
                message, pointer = self._resolve(ref["$ref"])
                if "$ref" in message:
                    message, pointer = self._resolve(message["$ref"])
                ref = {"$ref": f"{ASYNCAPI_URN}#{pointer}/payload"}
                target[message["name"]] = Validator(
                    message["payload"], self.document,
                    lambda ref=ref: Draft7Validator(ref, registry=self._registry))  # type: ignore[misc]
        return result

    def check_frame(self, product: str, direction: str, frame: Any) -> tuple[str | None, str | None]:
        """``(message name, error)`` for a frame ``direction`` ("sent" by the platform or "received")."""
        channel = self.channels[product]
        table = channel.sent if direction == "sent" else channel.received
        name = frame_name(frame)
        validator = table.get(name) if name is not None else None
        if validator is None:
            return name, f"{channel.name}: no {direction} message named {name!r}"
        return name, validator.error(frame)


# -- one per process --------------------------------------------------------------------------
@functools.cache
def openapi_contract() -> OpenApiContract:
    return OpenApiContract(documents.openapi())


@functools.cache
def asyncapi_contract() -> AsyncApiContract:
    return AsyncApiContract(documents.asyncapi())


def iter_operations() -> Iterator[Operation]:
    contract = openapi_contract()
    for method, path in sorted(contract.documented()):
        op = contract.operation(method, path)
        if op is not None:
            yield op
