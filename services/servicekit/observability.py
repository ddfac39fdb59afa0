"""Metrics and JSON logs for every process (services, relays, gateway).

Metric names follow Prometheus conventions (`tsunagu_` prefix, base units, `_total` counters) and carry an
`outcome` label; labels never hold ids or personal data. Log records are JSON lines that carry the request /
correlation id of the work they belong to.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import datetime, timezone

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import Counter, Gauge, Histogram

from .caller import REQUEST_ID_CONTEXT_KEY

HTTP_REQUESTS = Counter("tsunagu_http_requests_total", "HTTP requests", ["component", "method", "route", "outcome"])
HTTP_DURATION = Histogram("tsunagu_http_request_duration_seconds", "HTTP request duration",
                          ["component", "method", "route", "outcome"])
RPC_REQUESTS = Counter("tsunagu_rpc_requests_total", "RPC requests handled", ["service", "method", "outcome"])
RPC_DURATION = Histogram("tsunagu_rpc_duration_seconds", "RPC handling duration", ["service", "method", "outcome"])
COALESCED_BATCH_REQUESTS = Histogram("tsunagu_coalesced_batch_requests",
                                     "Requests per coalesced batch call (servicekit/coalesced_calls.py)",
                                     ["service", "method"], buckets=(1, 2, 4, 8, 16, 32, 64))
EVENTS_HANDLED = Counter("tsunagu_events_handled_total", "Integration events handled",
                         ["service", "handler", "outcome"])  # outcome: processed | failed
EVENTS_DEAD_LETTERED = Counter("tsunagu_events_dead_lettered_total",
                               "Events whose last allowed delivery failed (sent to the dead-letter queue)",
                               ["service", "handler"])
EVENTS_DUPLICATE = Counter("tsunagu_events_duplicates_total", "Redelivered events skipped by idempotency",
                           ["consumer"])
EVENT_HANDLING_DURATION = Histogram("tsunagu_event_handling_duration_seconds", "Event handling duration",
                                    ["service", "handler", "outcome"])
OUTBOX_BACKLOG = Gauge("tsunagu_outbox_backlog", "Outbox rows not yet published", ["producer"])
OUTBOX_PUBLISHED = Counter("tsunagu_outbox_published_total", "Events published by the relay", ["producer"])
OUTBOX_UNROUTABLE = Counter("tsunagu_outbox_unroutable_total",
                            "Route checks (one mandatory publish per event type and interval) that found no queue",
                            ["producer", "event_type"])
OUTBOX_UNROUTABLE_TYPE = Gauge("tsunagu_outbox_unroutable_event_type",
                               "1 if no queue was bound for the event type at the relay's last route check",
                               ["producer", "event_type"])
OUTBOX_PUBLISH_LATENCY = Histogram(
    "tsunagu_outbox_publish_latency_seconds", "From outbox insert to broker confirm", ["producer"],
    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))

_log_context = threading.local()  # green-local under eventlet's monkey patching


def set_correlation_id(value: str | None) -> None:
    _log_context.correlation_id = value


def current_correlation_id() -> str | None:
    return getattr(_log_context, "correlation_id", None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Call sites log ids and counts, never request bodies or personal data."""

    def __init__(self, component: str):
        super().__init__()
        self.component = component

    def format(self, record):
        doc = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "component": self.component,
            "logger": record.name,
            "message": record.getMessage(),
        }
        correlation_id = getattr(record, "correlation_id", None) or current_correlation_id()
        if correlation_id:
            doc["correlation_id"] = correlation_id
        for key in ("event_id", "event_type", "status", "route", "duration_ms", "method", "handler"):
            if hasattr(record, key):
                doc[key] = getattr(record, key)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def configure_logging(component: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(component))
    handler.addFilter(ExpectedErrorFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("amqp", "kombu", "psycopg.pool", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class ServiceObservability(DependencyProvider):
    """Times every worker: RPC and event-handler counts and durations with an outcome label."""

    def worker_setup(self, worker_ctx):
        set_correlation_id(worker_ctx.data.get(REQUEST_ID_CONTEXT_KEY))
        worker_ctx.__dict__["_tsunagu_started"] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = worker_ctx.__dict__.get("_tsunagu_started")
        if started is None:
            return
        elapsed = time.perf_counter() - started
        service = self.container.service_name
        method = worker_ctx.entrypoint.method_name
        expected = getattr(worker_ctx.entrypoint, "expected_exceptions", ())
        if not exc_info:
            outcome = "ok"
        else:
            outcome = "client_error" if expected and isinstance(exc_info[1], expected) else "error"
        if isinstance(worker_ctx.entrypoint, Rpc):
            RPC_REQUESTS.labels(service, method, outcome).inc()
            RPC_DURATION.labels(service, method, outcome).observe(elapsed)
        elif isinstance(worker_ctx.entrypoint, EventHandler):
            handled = "failed" if exc_info else "processed"
            EVENTS_HANDLED.labels(service, method, handled).inc()
            EVENT_HANDLING_DURATION.labels(service, method, handled).observe(elapsed)

    def worker_teardown(self, worker_ctx):
        set_correlation_id(None)


class ExpectedErrorFilter(logging.Filter):
    """nameko logs an entrypoint's expected exceptions (our 4xx answers) as warnings with a traceback; keep the
    one-line message, drop the traceback."""

    def filter(self, record):
        if record.levelno == logging.WARNING and record.getMessage().startswith("(expected) error handling worker"):
            record.exc_info = None
            record.exc_text = None
        return True
