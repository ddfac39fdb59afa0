"""Outbox relay: publishes a service's committed integration events to RabbitMQ. A plain process, no eventlet.

Loop: take up to `batch` unpublished rows `FOR UPDATE SKIP LOCKED`, publish each persistently with publisher
confirms to `<service>.events` (nameko's event exchange, routing key = event type, so ordinary nameko
`@event_handler`s receive them), mark them published, commit. It sleeps on LISTEN/NOTIFY with a polling
fallback. If the broker is down nothing is marked, and the rows are sent when it is back (at-least-once; a
crash after publishing and before marking re-sends, which idempotent consumers absorb).

Route checks: an event that no queue is bound for is dropped by the broker, and the relay says so. It learns it
from one `mandatory` publish per event type every `route_check_seconds` (the broker returns an unroutable one),
not from every event: with `mandatory` on each, every event of a type nobody subscribes to yet (referral events
today) came back whole from the broker, which cost the relay 0.08 ms and the broker 0.03 ms per event (measured
on POST /v1/referrals). The gauge `tsunagu_outbox_unroutable_event_type` says which types had no queue at
their last check; a type's warning is logged when it becomes unroutable.

Run: python -m services.servicekit.outbox_relay members
"""
from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from datetime import datetime, timezone

import kombu
import psycopg
from nameko.constants import HEADER_PREFIX
from nameko.events import get_event_exchange
from psycopg.rows import dict_row

from . import failpoints, settings
from .observability import (OUTBOX_BACKLOG, OUTBOX_PUBLISH_LATENCY, OUTBOX_PUBLISHED, OUTBOX_UNROUTABLE,
                            OUTBOX_UNROUTABLE_TYPE, configure_logging)

log = logging.getLogger("outbox_relay")
NOTIFY_CHANNEL = "tsunagu_outbox"


class OutboxRelay:
    def __init__(self, producer: str, dsn: str, amqp_uri: str, batch: int = 200, poll_interval: float = 1.0,
                 retention_days: int = 7, route_check_seconds: float = 10.0):
        self.producer = producer
        self.dsn = dsn
        self.amqp_uri = amqp_uri
        self.batch = batch
        self.poll_interval = poll_interval
        self.retention_days = retention_days
        self.stopping = threading.Event()
        self.exchange = get_event_exchange(producer, {})
        self._broker = None
        self._kombu_producer = None
        self._db = None
        self._listener = None
        self._last_prune = 0.0
        self._last_backlog = 0.0
        self.route_check_seconds = route_check_seconds
        self._route_checked_at: dict[str, float] = {}
        self._returned: set[str] = set()  # event types the broker returned since the last confirms
        self._unroutable_types: set[str] = set()
        self.ready = False

    # -- connections -------------------------------------------------------------------------------
    def _connect_db(self):
        if self._db is None or self._db.closed:
            self._db = psycopg.connect(self.dsn, row_factory=dict_row)
        if self._listener is None or self._listener.closed:
            self._listener = psycopg.connect(self.dsn, autocommit=True)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def _connect_broker(self):
        if self._kombu_producer is not None:
            return
        broker = kombu.Connection(self.amqp_uri, heartbeat=60, connect_timeout=5)
        broker.ensure_connection(max_retries=1)
        channel = broker.channel()
        self.exchange(channel).declare()
        # Publisher confirms, pipelined: a whole batch is published, then the broker's acks are awaited once
        # (waiting for each message's confirm in turn costs a quorum-queue fsync round trip per event).
        channel.confirm_select()
        self._next_tag = 0
        self._unconfirmed: set[int] = set()
        self._nacked = False
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._broker = broker
        self._kombu_producer = kombu.Producer(channel, exchange=self.exchange, serializer="json",
                                              on_return=self._on_return)

    def _drop_broker(self):
        try:
            if self._broker is not None:
                self._broker.release()
        except Exception:  # noqa: BLE001 - the connection is already broken; nothing to save
            pass
        self._broker = None
        self._kombu_producer = None

    def _settle(self, delivery_tag, multiple):
        if multiple:
            self._unconfirmed = {t for t in self._unconfirmed if t > delivery_tag}
        else:
            self._unconfirmed.discard(delivery_tag)

    def _on_ack(self, delivery_tag, multiple):
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag, multiple):
        self._nacked = True
        self._settle(delivery_tag, multiple)

    def _await_confirms(self, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise kombu.exceptions.OperationalError("publisher confirms timed out")
            self._broker.drain_events(timeout=remaining)
        if self._nacked:
            self._nacked = False
            raise kombu.exceptions.OperationalError("the broker refused (nacked) a message")

    def _on_return(self, exception, exchange, routing_key, message):
        self._returned.add(routing_key)

    def _is_route_check(self, event_type: str, now: float) -> bool:
        """Whether this event of this type goes `mandatory`: the first of each type, then one per interval."""
        last = self._route_checked_at.get(event_type)
        if last is not None and now - last < self.route_check_seconds:
            return False
        self._route_checked_at[event_type] = now
        return True

    def _record_route_checks(self, checked: set[str]) -> None:
        """After the confirms of a batch (the broker returns an unroutable message before confirming it): the
        checked types that came back have no queue, the others have one."""
        for event_type in checked:
            unroutable = event_type in self._returned
            OUTBOX_UNROUTABLE_TYPE.labels(self.producer, event_type).set(1 if unroutable else 0)
            if unroutable:
                OUTBOX_UNROUTABLE.labels(self.producer, event_type).inc()
                if event_type not in self._unroutable_types:
                    self._unroutable_types.add(event_type)
                    log.warning("no queue is bound for this event type: the broker drops its events",
                                extra={"event_type": event_type})
            elif event_type in self._unroutable_types:
                self._unroutable_types.discard(event_type)
                log.info("a queue is bound for this event type again", extra={"event_type": event_type})
        self._returned.clear()

    # -- work --------------------------------------------------------------------------------------
    def relay_once(self) -> int:
        """Publish one batch. Returns how many events were published and marked."""
        self._connect_db()
        self._connect_broker()
        with self._db.transaction():
            # Mark and fetch in one statement; the mark only commits after the broker confirmed every message
            # (a failure or crash before the commit leaves the rows unpublished, to be sent again).
            rows = sorted(self._db.execute(
                "UPDATE outbox SET published_at = now() WHERE id IN (SELECT id FROM outbox WHERE published_at IS NULL "
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id, event_id, event_type, envelope, created_at",
                (self.batch,)).fetchall(), key=lambda r: r["id"])
            now, checked = time.monotonic(), set()
            self._returned.clear()
            for row in rows:
                envelope = row["envelope"]
                headers = {f"{HEADER_PREFIX}.correlation_id": envelope.get("correlation_id") or "",
                           "event_version": envelope["version"]}
                route_check = self._is_route_check(row["event_type"], now)
                if route_check:
                    checked.add(row["event_type"])
                self._kombu_producer.publish(
                    envelope, routing_key=row["event_type"], delivery_mode=2, mandatory=route_check,
                    message_id=str(row["event_id"]), headers=headers, retry=False)
                self._next_tag += 1
                self._unconfirmed.add(self._next_tag)
            self._await_confirms()
            self._record_route_checks(checked)
            failpoints.hit("relay.after_publish")
        now = datetime.now(timezone.utc)
        for row in rows:
            OUTBOX_PUBLISH_LATENCY.labels(self.producer).observe((now - row["created_at"]).total_seconds())
        OUTBOX_PUBLISHED.labels(self.producer).inc(len(rows))
        return len(rows)

    def _refresh_backlog_and_prune(self):
        if time.monotonic() - self._last_backlog < 1.0:  # a gauge, not worth a query per wake-up
            return
        self._last_backlog = time.monotonic()
        backlog = self._db.execute("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL").fetchone()["n"]
        self._db.commit()
        OUTBOX_BACKLOG.labels(self.producer).set(backlog)
        if time.monotonic() - self._last_prune > 600:
            self._db.execute("DELETE FROM outbox WHERE published_at < now() - make_interval(days => %s)",
                             (self.retention_days,))
            self._db.commit()
            self._last_prune = time.monotonic()

    def _wait_for_notify(self, timeout: float):
        try:
            for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.OperationalError:
            self._listener = None
            self.stopping.wait(timeout)

    def run(self):
        backoff = 0.2
        log.info("relay started", extra={"handler": self.producer})
        while not self.stopping.is_set():
            try:
                published = self.relay_once()
                self._refresh_backlog_and_prune()
                self.ready = True
                backoff = 0.2
                if published < self.batch:
                    self._wait_for_notify(self.poll_interval)
            except (OSError, kombu.exceptions.OperationalError, kombu.exceptions.ConnectionError,
                    psycopg.OperationalError) as exc:
                # Broker or database unavailable: nothing was marked, so nothing is lost. Retry with back-off.
                self.ready = False
                log.warning("relay cannot reach %s; retrying in %.1fs", _which(exc), backoff)
                self._drop_broker()
                if isinstance(exc, psycopg.OperationalError):
                    self._db = None
                    self._listener = None
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception as exc:  # amqp channel errors and the like: reconnect and carry on
                self.ready = False
                log.exception("relay error (%s); reconnecting", type(exc).__name__)
                self._drop_broker()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self._drop_broker()

    def readiness(self) -> bool:
        return self.ready


def _which(exc) -> str:
    return "the database" if isinstance(exc, psycopg.OperationalError) else "the broker"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Relay a service's outbox to RabbitMQ")
    parser.add_argument("service", choices=settings.SERVICES + ("probe",))
    parser.add_argument("--ops-port", type=int, default=None, help="port for /healthz, /readyz, /metrics")
    parser.add_argument("--poll-interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    configure_logging(f"{args.service}-relay")
    relay = OutboxRelay(args.service, settings.database_url(args.service), settings.amqp_uri(),
                        poll_interval=args.poll_interval)
    if args.ops_port:
        from .ops_http import serve_ops
        serve_ops(args.ops_port, relay.readiness)
    signal.signal(signal.SIGTERM, lambda *_: relay.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: relay.stopping.set())
    relay.run()


if __name__ == "__main__":
    main()
