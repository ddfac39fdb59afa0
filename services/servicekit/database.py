"""PostgreSQL access for nameko services: one connection pool per service, one transaction per unit of work.

The unit of work is where state changes and the integration events they cause are written together
(the outbox), and where an event handler records the event id it processed (idempotent consumer).

A staged unit of work (`unit_of_work(staged=True)`) is the same transaction in two round trips, for a hot path
whose reads all come before its writes: BEGIN travels with its first reads (`read_together`), and its writes
(`write`) and outbox rows are held, then sent with COMMIT in one message. For POST /v1/referrals that is two
round trips instead of five (BEGIN, reads, INSERT, outbox, COMMIT): 15 % less service CPU and 0.5-0.7 ms less
latency per referral on an idle machine (bench/referrals_post.py --connections 1). psycopg's pipeline mode does
the same but cost the service more CPU under eventlet than it saved (measured).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from . import bootstrap  # noqa: F401  (wait_select before any connection exists)
import psycopg
from psycopg.pq import TransactionStatus
from nameko.extensions import DependencyProvider
from psycopg_pool import ConnectionPool

from . import failpoints, outbox, settings
from .caller import REQUEST_ID_CONTEXT_KEY
from .envelope import IntegrationEvent
from .pg_pool import open_pool

log = logging.getLogger(__name__)


class UnitOfWork:
    """One database transaction. `emit` writes integration events into the outbox in that transaction."""

    def __init__(self, conn, producer: str, correlation_id: str | None, consumer: str | None):
        self.conn = conn
        self.producer = producer
        self.correlation_id = correlation_id
        self.consumer = consumer
        self.emitted: list[dict] = []

    def emit(self, event: IntegrationEvent, payload: dict, area: str | None) -> dict:
        return self.emit_all([(event, payload, area)])[0]

    def emit_all(self, events: list[tuple[IntegrationEvent, dict, str | None]],
                 correlation_ids: list[str | None] | None = None) -> list[dict]:
        """Several (event, payload, area) into the outbox with one INSERT; `correlation_ids`, one per event,
        when they belong to different requests (a coalesced batch), else the unit of work's own."""
        envelopes = [event.envelope(payload, producer=self.producer, area=area,
                                    correlation_id=correlation_ids[i] if correlation_ids else self.correlation_id)
                     for i, (event, payload, area) in enumerate(events)]
        self._append_to_outbox(envelopes)
        self.emitted.extend(envelopes)
        return envelopes

    def read_together(self, *statements: tuple[str, tuple]) -> list[list[dict]]:
        """run_together in this transaction."""
        return run_together(self.conn, *statements)

    def write(self, sql: str, params) -> None:
        """A statement that changes data and returns nothing: sent now (a staged unit of work holds it until
        commit)."""
        self.conn.execute(sql, params)

    def _append_to_outbox(self, envelopes: list[dict]) -> None:
        outbox.append_all(self.conn, envelopes)

    def already_processed(self, envelope: dict) -> bool:
        """Record that this consumer handled this event; True if it had already (then do nothing)."""
        cur = self.conn.execute(
            "INSERT INTO processed_messages (consumer, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (self.consumer, envelope["event_id"]))
        duplicate = cur.rowcount == 0
        if duplicate:
            from .observability import EVENTS_DUPLICATE
            EVENTS_DUPLICATE.labels(consumer=self.consumer).inc()
        return duplicate


class StagedUnitOfWork(UnitOfWork):
    """One transaction in two round trips (see the module's docstring). Writes are held until commit, so a
    statement cannot read what this unit of work wrote before it: use it where the reads all come first. Go
    through `read_together`, `write` and `emit_all` only: the connection is in autocommit mode, so a statement
    sent on `conn` before the first read would run outside the transaction (after it, reads are fine).

    Its values travel inside the statement text (client-side binding, as with run_together), and PostgreSQL logs
    a failing statement whole (log_min_error_statement): stage nothing that must not reach the server's log.
    The referral create stages only sealed persons, keyed hashes and non-personal fields."""

    def __init__(self, conn, producer: str, correlation_id: str | None, consumer: str | None):
        super().__init__(conn, producer, correlation_id, consumer)
        self._begun = False
        self._staged: list[tuple[str, tuple]] = []

    def read_together(self, *statements: tuple[str, tuple]) -> list[list[dict]]:
        if self._begun:
            return run_together(self.conn, *statements)
        self._begun = True
        return run_together(self.conn, ("BEGIN", ()), *statements)[1:]

    def write(self, sql: str, params) -> None:
        self._staged.append((sql, tuple(params)))

    def _append_to_outbox(self, envelopes: list[dict]) -> None:
        if envelopes:
            self._staged.append(outbox.insert_statement(envelopes))

    def commit(self) -> None:
        if not self._begun and not self._staged:
            return  # nothing was read or written
        statements = ([] if self._begun else [("BEGIN", ())]) + self._staged + [("COMMIT", ())]
        self._begun = True
        run_together(self.conn, *statements)

    def already_processed(self, envelope: dict) -> bool:
        raise TypeError("an event handler records what it processed in an ordinary unit of work")

    def roll_back(self) -> None:
        """After a failure: end the transaction the server may still hold open (a statement that failed in the
        commit message left it aborted; an exception before commit left it open)."""
        if self.conn.closed or self.conn.info.transaction_status == TransactionStatus.IDLE:
            return
        self.conn.execute("ROLLBACK")


def run_together(conn, *statements: tuple[str, tuple]) -> list[list[dict]]:
    """Several (sql, params) statements, in one round trip, in order; the rows of each (none for a statement
    that returns no rows). Client-side binding lets them travel together (simple query protocol), and each
    still takes its own snapshot when it runs (tests/integration/test_run_together.py); the first that fails
    stops the rest. For short statements on a hot path: every round trip costs the service ~0.1 ms of CPU under
    eventlet."""
    cursor = psycopg.ClientCursor(conn)
    cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
    results = [_rows(cursor)]
    while cursor.nextset():
        results.append(_rows(cursor))
    return results


def _rows(cursor) -> list[dict]:
    return cursor.fetchall() if cursor.description is not None else []


class Database(DependencyProvider):
    """nameko DependencyProvider: `self.db.unit_of_work()` opens a transaction for the current worker."""

    def __init__(self, component: str, max_size: int = 10):
        self.component = component
        self.max_size = max_size
        self.pool: ConnectionPool | None = None

    def setup(self):
        dsn = self.container.config.get("DATABASE_URL") or settings.database_url(self.component)
        max_size = settings.database_pool_size(self.max_size)
        self.pool = open_pool(dsn, min_size=min(2, max_size), max_size=max_size, name=self.component)

    def stop(self):
        if self.pool is not None:
            self.pool.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return DatabaseSession(
            self.pool, producer=self.container.service_name,
            correlation_id=worker_ctx.data.get(REQUEST_ID_CONTEXT_KEY),
            consumer=f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}")


def _staged(conn, uow: StagedUnitOfWork):
    # The transaction is ours to begin and end in SQL: psycopg would send BEGIN and COMMIT on their own.
    conn.autocommit = True
    try:
        yield uow
        failpoints.hit("unit_of_work.before_commit")
        uow.commit()
    except BaseException:
        try:
            uow.roll_back()
        except Exception:  # noqa: BLE001 - the connection is broken: the pool discards it; keep the first error
            log.warning("rolling back a staged unit of work failed", exc_info=True)
        raise
    finally:
        if not conn.closed:
            if conn.info.transaction_status == TransactionStatus.IDLE:
                conn.autocommit = False  # as the pool lends it to everyone else
            else:
                conn.close()  # the pool replaces a closed connection


class DatabaseSession:
    def __init__(self, pool, producer, correlation_id, consumer):
        self.pool = pool
        self.producer = producer
        self.correlation_id = correlation_id
        self.consumer = consumer

    @contextmanager
    def unit_of_work(self, staged: bool = False):
        with self.pool.connection() as conn:
            if staged:
                yield from _staged(conn, StagedUnitOfWork(conn, self.producer, self.correlation_id, self.consumer))
                return
            with conn.transaction():
                uow = UnitOfWork(conn, self.producer, self.correlation_id, self.consumer)
                yield uow
                failpoints.hit("unit_of_work.before_commit")

    def ping(self) -> bool:
        with self.pool.connection(timeout=2) as conn:
            return conn.execute("SELECT 1 AS ok").fetchone()["ok"] == 1
