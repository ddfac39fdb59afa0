"""Probe services: `probe` records a row and emits `probe.recorded` through the outbox; `probe_consumer`
handles it idempotently. Exactly the pattern every real service follows."""
import uuid

from services.servicekit import bootstrap  # noqa: F401
from marshmallow import Schema, fields
from services.servicekit.entrypoints import rpc

from services.servicekit.database import Database
from services.servicekit.envelope import IntegrationEvent
from services.servicekit.ops_endpoints import OperationsEndpoints
from services.servicekit.reliable_events import reliable_event_handler


class ProbeRecordedPayload(Schema):
    record_id = fields.UUID(required=True)
    label = fields.String(required=True)


PROBE_RECORDED = IntegrationEvent("probe.recorded", 1, ProbeRecordedPayload)


class ProbeProducer(OperationsEndpoints):
    name = "probe"
    db = Database("probe")

    @rpc
    def record(self, label, count=1):
        with self.db.unit_of_work() as uow:
            ids = []
            for _ in range(count):
                record_id = str(uuid.uuid4())
                uow.conn.execute("INSERT INTO probe_records (id, label) VALUES (%s, %s)", (record_id, label))
                uow.emit(PROBE_RECORDED, {"record_id": record_id, "label": label}, area="012301")
                ids.append(record_id)
        return ids

    @rpc
    def slow_query(self, seconds):
        with self.db.unit_of_work() as uow:
            uow.conn.execute("SELECT pg_sleep(%s)", (seconds,))
        return seconds


class ProbeConsumer(OperationsEndpoints):
    name = "probe_consumer"
    db = Database("probe_consumer")

    @reliable_event_handler("probe", "probe.recorded")
    def on_recorded(self, event):
        if self.config.get("PROBE_LOG_ATTEMPTS", True):  # tests count deliveries; the benchmark does not
            with self.db.unit_of_work() as uow:
                uow.conn.execute("INSERT INTO probe_attempts (event_id) VALUES (%s)", (event["event_id"],))
        with self.db.unit_of_work() as uow:
            if uow.already_processed(event):
                return
            label = event["payload"]["label"]
            uow.conn.execute(
                "INSERT INTO probe_handled (event_id, label, correlation, occurred_at) VALUES (%s, %s, %s, %s)",
                (event["event_id"], label, event["correlation_id"], event["occurred_at"]))
            poisoned = uow.conn.execute("SELECT 1 FROM probe_poison WHERE label = %s", (label,)).fetchone()
            if poisoned:
                raise RuntimeError("probe poison")
