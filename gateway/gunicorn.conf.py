"""gunicorn settings for the gateway: threads (gthread), never eventlet (gunicorn 27 has no eventlet worker,
and the RPC proxy pool is built for threads)."""
import os

bind = os.environ.get("GATEWAY_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "1"))
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
timeout = 60
graceful_timeout = 10
accesslog = None  # the app writes one JSON line per request itself


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
