"""Streaming every matching record as ndjson (one JSON document per line), fetched from a service in keyset pages.
The service method takes (*args, after, page_size) and returns {"items": [...], "next_after": cursor | None}."""
from __future__ import annotations

import json

from flask import Response, stream_with_context

from . import services_client

NDJSON = "application/x-ndjson"


def ndjson_pages(service: str, method: str, *args, page_size: int = 500) -> Response:
    def generate():
        after = None
        while True:
            batch = services_client.call(service, method, *args, after, page_size)
            for item in batch["items"]:
                yield json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"
            after = batch["next_after"]
            if after is None:
                return
    return Response(stream_with_context(generate()), mimetype=NDJSON)
