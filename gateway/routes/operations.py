"""Liveness, readiness and metrics of the gateway process."""
import os

import kombu
from flask import Blueprint, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

bp = Blueprint("operations", __name__)


@bp.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/readyz")
def readyz():
    state = current_app.extensions["tsunagu"]
    problems = []
    try:
        with state.db_pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means not ready
        problems.append("database")
    try:
        with kombu.Connection(state.settings.amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception:  # noqa: BLE001
        problems.append("broker")
    if problems:
        return "not ready: " + ", ".join(problems), 503, {"Content-Type": "text/plain"}
    return "ready", 200, {"Content-Type": "text/plain"}


@bp.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}
    return generate_latest(), 200, {"Content-Type": CONTENT_TYPE_LATEST}
