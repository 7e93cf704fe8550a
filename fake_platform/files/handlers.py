"""HTTP side of the file store: multipart upload and payload download (cpaas-wire §4.5)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from ..core.errors import InvalidInput, PayloadTooLarge
from ..http import cpaas_user, json_response, state_of
from .models import MAX_OBJECT_BYTES

CHUNK = 64 * 1024


async def upload(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput("Invalid input value for message part %1", "Content-Type")
    try:
        reader = await request.multipart()
        return await _upload(request, user, reader)
    except ValueError as exc:  # no boundary, a missing or broken one
        raise InvalidInput("Invalid input value for message part %1", f"multipart ({str(exc)[:100]})") from None


async def _upload(request: web.Request, user: str, reader: MultipartReader) -> web.Response:
    root: dict[str, Any] = {}
    raw: tuple[str | None, str | None, bytes] | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise InvalidInput("Invalid input value for message part %1", "multipart")
        if part.name == "root-fields":
            root = _root_fields(await part.read(decode=True))
        elif part.name == "raw":
            raw = (part.filename, part.headers.get("Content-Type"), await _read_bounded(part))
    if raw is None:
        raise InvalidInput("Invalid input value for message part %1", "raw")
    filename, content_type, data = raw
    attributes = _attribute_list(root)
    store = state_of(request).files
    obj = store.upload(user, filename, content_type, data, attributes)
    return json_response({"object": {"attributes": {"attribute": store.attribute_list(obj, user)},
                                     "flags": {"flag": []}}}, status=201)


async def download(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    obj = state_of(request).files.readable(user, request.match_info["object"])
    return web.Response(body=obj.data, content_type=obj.content_type,
                        headers={"Content-Disposition": f'attachment; filename="{obj.name}"'})


async def _read_bounded(part: BodyPartReader) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > MAX_OBJECT_BYTES:
            raise PayloadTooLarge("Object exceeds the limit of %1 bytes", MAX_OBJECT_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _root_fields(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("Invalid input value for message part %1", "root-fields") from None
    if not isinstance(value, dict) or not isinstance(value.get("object", {}), dict):
        raise InvalidInput("Invalid input value for message part %1", "root-fields")
    return value


def _attribute_list(root: dict[str, Any]) -> Any:
    """``object.attributes.attribute`` of the root fields (None when absent); 400 when a level is
    there but not an object."""
    node: Any = root
    for key in ("object", "attributes"):
        node = node.get(key)
        if node is None:
            return None
        if not isinstance(node, dict):
            raise InvalidInput("Invalid input value for message part %1", f"root-fields {key}")
    return node.get("attribute")
