"""HTTP side of the file store: multipart upload and payload download (cpaas-wire §4.5)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, web

from ..core.errors import InvalidInput
from ..http import cpaas_user, json_response, state_of
from .models import MAX_OBJECT_BYTES

CHUNK = 64 * 1024


async def upload(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput("Invalid input value for message part %1", "Content-Type")
    root: dict[str, Any] = {}
    raw: tuple[str | None, str | None, bytes] | None = None
    reader = await request.multipart()
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
    attributes = ((root.get("object") or {}).get("attributes") or {}).get("attribute")
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
            raise InvalidInput("Object exceeds the limit of %1 bytes", MAX_OBJECT_BYTES)
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
