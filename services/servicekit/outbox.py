"""Writing to the outbox: the only way a service publishes an integration event. Envelopes come from
`IntegrationEvent.envelope`, valid by construction (see envelope.py)."""
from psycopg.types.json import Jsonb


def append(conn, envelope: dict) -> None:
    append_all(conn, [envelope])


def append_all(conn, envelopes: list[dict]) -> None:
    """Several envelopes in one INSERT (one round trip), in order."""
    if not envelopes:
        return
    rows = ", ".join(["(%s, %s, %s)"] * len(envelopes))
    conn.execute(f"INSERT INTO outbox (event_id, event_type, envelope) VALUES {rows}",
                 [value for e in envelopes for value in (e["event_id"], e["type"], Jsonb(e))])
