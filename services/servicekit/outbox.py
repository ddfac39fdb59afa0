"""Writing to the outbox: the only way a service publishes an integration event. Envelopes come from
`IntegrationEvent.envelope`, valid by construction (see envelope.py)."""
from psycopg.types.json import Jsonb

# The outbox row as a data-modifying CTE, for a statement that writes its event with its own rows (one round
# trip fewer than `append`); its parameters come from `cte_params`. The NOTIFY trigger fires all the same.
INSERT_CTE = ("outbox_row AS (INSERT INTO outbox (event_id, event_type, envelope) "
              "VALUES (%(outbox_event_id)s, %(outbox_event_type)s, %(outbox_envelope)s))")


def append(conn, envelope: dict) -> None:
    conn.execute(
        "INSERT INTO outbox (event_id, event_type, envelope) VALUES (%s, %s, %s)",
        (envelope["event_id"], envelope["type"], Jsonb(envelope)))


def cte_params(envelope: dict) -> dict:
    return {"outbox_event_id": envelope["event_id"], "outbox_event_type": envelope["type"],
            "outbox_envelope": Jsonb(envelope)}
