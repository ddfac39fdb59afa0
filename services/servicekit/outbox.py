"""Writing to the outbox: the only way a service publishes an integration event. Envelopes come from
`IntegrationEvent.envelope`, valid by construction (see envelope.py)."""
from psycopg.types.json import Jsonb


def append(conn, envelope: dict) -> None:
    conn.execute(
        "INSERT INTO outbox (event_id, event_type, envelope) VALUES (%s, %s, %s)",
        (envelope["event_id"], envelope["type"], Jsonb(envelope)))
