"""Imported first by every nameko service module.

psycopg 3 auto-detects gevent but not eventlet: its default C wait function blocks the whole eventlet hub,
so N concurrent queries in one service run one after another (measured: 5 x 1 s queries took 5 s), and a
query longer than the AMQP heartbeat makes RabbitMQ drop the connection and redeliver work.
Forcing the select-based wait function (which eventlet greens) fixes both. See engineering.md §2.3-2.4.
"""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import psycopg.waiting  # noqa: E402  (must run after the environment default above)

psycopg.waiting.wait = psycopg.waiting.wait_select


def wait_function_is_green() -> bool:
    """True when psycopg will wait through select(), which eventlet can switch away from."""
    return psycopg.waiting.wait is psycopg.waiting.wait_select
