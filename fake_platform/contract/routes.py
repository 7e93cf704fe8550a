"""Control-plane routes of the contract: the documents, and what this platform validated."""

from __future__ import annotations

from aiohttp import web

from ..http import json_response, state_of
from ..routing import control
from .documents import document_json


def _base_url(request: web.Request) -> str:
    return state_of(request).base_url or f"{request.scheme}://{request.host}"


async def openapi_document(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of every REST route (servers: this platform)."""
    return web.Response(body=document_json("openapi", _base_url(request)), content_type="application/json")


async def asyncapi_document(request: web.Request) -> web.Response:
    """The AsyncAPI 3 document of both notification channels (servers: this platform)."""
    return web.Response(body=document_json("asyncapi", _base_url(request)), content_type="application/json")


async def contract_report(request: web.Request) -> web.Response:
    """What this platform validated against the contract, and every violation by side."""
    monitor = state_of(request).contract
    if monitor is None:
        return json_response({"enabled": False})
    return json_response({"enabled": True, **monitor.report()})


async def docs(request: web.Request) -> web.Response:
    """A page listing every operation and notification frame of the two documents."""
    from . import docs_page

    return web.Response(text=docs_page.render(), content_type="text/html")


ROUTES = [
    control.get("/_platform/openapi.json", openapi_document),
    control.get("/_platform/asyncapi.json", asyncapi_document),
    control.get("/_platform/contract", contract_report),
    control.get("/_platform/docs", docs),
]
