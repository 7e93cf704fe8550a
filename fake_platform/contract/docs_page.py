"""``GET /_platform/docs``: the two documents as one plain HTML page (no frontend build).

Swagger UI's Python bundle (4.x) cannot render OpenAPI 3.1, so the page is rendered here: every
operation with its summary and documented statuses, every message of both channels. The JSON
documents stay the reference; the page links to them.
"""

from __future__ import annotations

import functools
import html

from . import documents
from .validator import METHODS


def _e(text: object) -> str:
    return html.escape(str(text or ""))


@functools.cache
def page() -> str:
    openapi, asyncapi = documents.openapi(), documents.asyncapi()
    rows = []
    for path, raw_item in openapi["paths"].items():
        item = raw_item
        if "$ref" in item:
            item = openapi["components"]["pathItems"][item["$ref"].rsplit("/", 1)[1]]
        for method in METHODS:
            if method in item:
                op = item[method]
                statuses = ", ".join(op.get("responses", {}))
                rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{_e(path)}</code></td>"
                            f"<td>{_e(op.get('summary'))}</td><td>{_e(statuses)}</td></tr>")
    messages = []
    for name, channel in asyncapi["channels"].items():
        for key, ref in channel["messages"].items():
            message = asyncapi["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]
            messages.append(f"<tr><td>{_e(name)}</td><td><code>{_e(key)}</code></td>"
                            f"<td>{_e(message.get('summary'))}</td></tr>")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{_e(openapi['info']['title'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}td{{padding:2px 8px;vertical-align:top}}
tr:nth-child(even){{background:#f4f4f4}}code{{font-size:90%}}</style></head><body>
<h1>{_e(openapi['info']['title'])}</h1>
<p>Documents: <a href="openapi.json">openapi.json</a> (OpenAPI {_e(openapi['openapi'])}),
<a href="asyncapi.json">asyncapi.json</a> (AsyncAPI {_e(asyncapi['asyncapi'])}),
<a href="contract">what this platform validated</a>.</p>
<h2>REST operations</h2><table><tr><th>method</th><th>path</th><th>summary</th><th>responses</th></tr>
{''.join(rows)}</table>
<h2>Notification frames</h2><table><tr><th>channel</th><th>message</th><th>summary</th></tr>
{''.join(messages)}</table></body></html>"""


def render() -> str:
    return page()
