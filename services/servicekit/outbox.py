"""Writing to the outbox: the only way a service publishes an integration event."""
from psycopg.types.json import Jsonb

from .envelope import ENVELOPE


def append(conn, envelope: dict) -> None:
    errors = ENVELOPE.validate(envelope)
    if errors:
        raise ValueError(f"invalid event envelope: {errors}")
    conn.execute(
        "INSERT INTO outbox (event_id, event_type, envelope) VALUES (%s, %s, %s)",
        (envelope["event_id"], envelope["type"], Jsonb(envelope)))
