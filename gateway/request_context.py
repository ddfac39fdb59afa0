"""Per-request plumbing: the request id (X-Request-ID accepted or generated, returned, logged, and sent to
services as the correlation id), HTTP metrics by route template, and one access-log line per request."""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

from services.servicekit.caller import PRINCIPAL_CONTEXT_KEY, REQUEST_ID_CONTEXT_KEY
from services.servicekit.observability import HTTP_DURATION, HTTP_REQUESTS, set_correlation_id

log = logging.getLogger("gateway.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def install_request_context(app: Flask) -> None:
    @app.before_request
    def _start():
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _REQUEST_ID.match(offered) else str(uuid.uuid4())
        g.started = time.perf_counter()
        g.principal = None
        set_correlation_id(g.request_id)

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        outcome = "ok" if response.status_code < 400 else ("client_error" if response.status_code < 500 else "error")
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        HTTP_REQUESTS.labels("gateway", request.method, route, outcome).inc()
        HTTP_DURATION.labels("gateway", request.method, route, outcome).observe(elapsed)
        if route not in ("/healthz", "/readyz", "/metrics"):
            log.info("%s %s -> %s", request.method, route, response.status_code,
                     extra={"route": route, "method": request.method, "status": response.status_code,
                            "duration_ms": round(elapsed * 1000, 1)})
        return response

    @app.teardown_request
    def _clear(_exc):
        set_correlation_id(None)


def rpc_context() -> dict:
    principal = g.get("principal")
    context = {REQUEST_ID_CONTEXT_KEY: g.get("request_id")}
    if principal is not None:
        context[PRINCIPAL_CONTEXT_KEY] = principal.to_context()
    return context
