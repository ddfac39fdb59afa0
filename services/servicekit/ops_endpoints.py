"""/healthz, /readyz and /metrics for every nameko service, served by nameko's own web server.

A service class inherits `OperationsEndpoints` and names its Database dependency `db`.
"""
from __future__ import annotations

import kombu
from nameko.dependency_providers import Config
from nameko.web.handlers import http
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .observability import ServiceObservability


class OperationsEndpoints:
    observability = ServiceObservability()
    config = Config()

    @http("GET", "/healthz")
    def healthz(self, request):
        return 200, {"Content-Type": "text/plain"}, "ok"

    @http("GET", "/readyz")
    def readyz(self, request):
        problems = []
        try:
            self.db.ping()
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            problems.append("database")
        try:
            with kombu.Connection(self.config["AMQP_URI"], connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
        except Exception:  # noqa: BLE001
            problems.append("broker")
        if problems:
            return 503, {"Content-Type": "text/plain"}, "not ready: " + ", ".join(problems)
        return 200, {"Content-Type": "text/plain"}, "ready"

    @http("GET", "/metrics")
    def metrics(self, request):
        return 200, {"Content-Type": CONTENT_TYPE_LATEST}, generate_latest().decode("utf-8")  # nameko wants str
