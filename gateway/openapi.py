"""The OpenAPI 3 document, generated from the endpoint declarations and their marshmallow schemas, and a
self-contained human docs page (no CDN: staff networks are often closed)."""
from __future__ import annotations

import html
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, request

from .endpoints import OPERATIONS, PUBLIC
from .schemas import ProblemSchema

bp = Blueprint("docs", __name__)
_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def build_spec(server_url: str) -> dict:
    spec = APISpec(title="Tsunagu API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "つなぐ — the backend of the loneliness and isolation public-private "
                                        "platform network. Errors are RFC 9457 problem+json."},
                   servers=[{"url": server_url}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.security_scheme("apiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    spec.components.schema("Problem", schema=ProblemSchema)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        path = _CONVERTER.sub(r"{\1}", op.rule)
        operation = {"summary": op.summary, "tags": list(op.tags), "responses": {}}
        if op.description:
            operation["description"] = op.description
        params = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                  for name in _CONVERTER.findall(op.rule)]
        if op.query is not None:
            params.append({"in": "query", "schema": op.query})
        if params:
            operation["parameters"] = params
        if op.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
        ok: dict = {"description": "OK"}
        if op.response is not None:
            schema = {"type": "object", "properties": {"items": {"type": "array", "items": op.response}}} \
                if op.many else op.response
            ok["content"] = {ct: {"schema": schema} for ct in op.content_types}
        operation["responses"][str(op.status)] = ok
        problem = {"description": "Problem", "content": {"application/problem+json": {"schema": "Problem"}}}
        for status in (["401", "403"] if op.audience != PUBLIC else []) + ["404", "422"]:
            operation["responses"][status] = problem
        operation["responses"].update(op.extra_responses)
        if op.audience != PUBLIC:
            operation["security"] = [{"bearer": []}] + ([{"apiKey": []}] if "partner" in op.audience else [])
        paths.setdefault(path, {})[op.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_json():
    return build_spec(request.host_url.rstrip("/"))


@bp.get("/docs")
def docs():
    spec = build_spec(request.host_url.rstrip("/"))
    rows = []
    for path, operations in sorted(spec["paths"].items()):
        for method, op in operations.items():
            who = "public" if not op.get("security") else " / ".join(next(iter(s)) for s in op["security"])
            rows.append(f"<tr><td class=m>{method.upper()}</td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{html.escape(op.get('summary', ''))}<div class=d>{html.escape(op.get('description', ''))}"
                        f"</div></td><td>{who}</td></tr>")
    page = f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Tsunagu API</title>
<style>body{{font-family:system-ui,"Hiragino Sans","Noto Sans JP",sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.5rem;vertical-align:top;text-align:left}}
.m{{font-weight:bold;font-family:monospace}}.d{{color:#666;font-size:.9em}}</style></head><body>
<h1>Tsunagu API (つなぐ)</h1><p>{html.escape(spec['info']['description'])}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Authenticate with <code>Authorization: Bearer &lt;JWT&gt;</code>
(staff) or <code>X-API-Key</code> (partner systems).</p>
<table><tr><th></th><th>Path</th><th>What</th><th>Auth</th></tr>{''.join(rows)}</table></body></html>"""
    return current_app.response_class(page, mimetype="text/html")
