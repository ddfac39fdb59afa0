"""The relay's route checks against the real broker: an event type with no queue bound is reported (gauge and
warning) from its check, and a queue bound later is noticed at the next check and receives the events."""
import uuid

import kombu
import psycopg
import pytest

from services.servicekit import migrations, outbox, settings
from services.servicekit.observability import OUTBOX_UNROUTABLE_TYPE
from services.servicekit.outbox_relay import OutboxRelay
from tests.support.fixtures import scratch_database

pytestmark = pytest.mark.integration

PRODUCER = "route_probe"
EVENT_TYPE = "route_probe.unheard"


def envelopes(n: int) -> list[dict]:
    return [{"event_id": str(uuid.uuid4()), "type": EVENT_TYPE, "version": 1, "correlation_id": None,
             "payload": {"n": i}} for i in range(n)]


def unroutable() -> float:
    return OUTBOX_UNROUTABLE_TYPE.labels(PRODUCER, EVENT_TYPE)._value.get()


def test_an_event_type_without_a_queue_is_reported_and_a_queue_bound_later_is_noticed(namespace, caplog):
    kit = [(f"servicekit/{p.name}", p) for p in migrations.migration_files(migrations.KIT_SQL)]
    with scratch_database("relay_route_checks") as dsn:
        migrations.apply_migrations(dsn, "relay_route_checks", plan=kit)
        relay = OutboxRelay(PRODUCER, dsn, settings.amqp_uri(), route_check_seconds=0)  # check every batch
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                outbox.append_all(conn, envelopes(3))
            with caplog.at_level("WARNING", logger="outbox_relay"):
                assert relay.relay_once() == 3
            assert unroutable() == 1
            assert [r.event_type for r in caplog.records if r.name == "outbox_relay"] == [EVENT_TYPE]

            with kombu.Connection(settings.amqp_uri()) as broker:
                queue = kombu.Queue(f"route-probe-{uuid.uuid4().hex[:8]}", exchange=relay.exchange,
                                    routing_key=EVENT_TYPE, durable=False)(broker.channel())
                queue.declare()
                try:
                    with psycopg.connect(dsn, autocommit=True) as conn:
                        outbox.append_all(conn, envelopes(2))
                    assert relay.relay_once() == 2
                    assert unroutable() == 0
                    received = [queue.get(no_ack=True) for _ in range(3)]
                    assert [m.payload["payload"]["n"] for m in received if m is not None] == [0, 1]
                finally:
                    queue.delete()
        finally:
            relay._drop_broker()
            for conn in (relay._db, relay._listener):
                if conn is not None:
                    conn.close()
