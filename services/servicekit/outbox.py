"""Writing to the outbox: the only way a service publishes an integration event. Envelopes come from
`IntegrationEvent.envelope`, valid by construction (see envelope.py)."""
from psycopg.types.json import Jsonb


def append(conn, envelope: dict) -> None:
    append_all(conn, [envelope])


def append_all(conn, envelopes: list[dict]) -> None:
    """Several envelopes in one INSERT (one round trip), in order."""
    if envelopes:
        conn.execute(*insert_statement(envelopes))


def insert_statement(envelopes: list[dict]) -> tuple[str, tuple]:
    """(sql, params) of the INSERT that appends these envelopes, for a unit of work that sends it later."""
    # One jsonb parameter whatever the number: one statement text, parsed and prepared once.
    return ("INSERT INTO outbox (event_id, event_type, envelope) "
            "SELECT (e->>'event_id')::uuid, e->>'type', e FROM jsonb_array_elements(%s::jsonb) e",
            (Jsonb(envelopes),))
