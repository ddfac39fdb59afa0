"""SQL for webhook endpoints, secrets, deliveries and attempts (psycopg 3, dict rows, inside a unit of work)."""
from __future__ import annotations

import uuid

ENDPOINT_COLUMNS = ("id, organization_id, url, description, event_types, active, created_by, created_at, "
                    "updated_at, disabled_at")
DELIVERY_COLUMNS = ("id, endpoint_id, organization_id, event_id, event_type, referral_id, occurred_at, status, "
                    "scheduled_attempts, attempt_count, manual_pending, next_attempt_at, last_attempt_at, "
                    "last_status_code, last_outcome, completed_at, created_at")


# --- endpoints and secrets ---------------------------------------------------------------------------

def insert_endpoint(conn, *, organization_id, url, description, event_types, created_by) -> dict:
    return conn.execute(
        f"INSERT INTO webhook_endpoints (id, organization_id, url, description, event_types, created_by) "
        f"VALUES (%s, %s, %s, %s, %s, %s) RETURNING {ENDPOINT_COLUMNS}",
        (str(uuid.uuid4()), organization_id, url, description, event_types, created_by)).fetchone()


def lock_and_count_endpoints(conn, organization_id: str) -> int:
    """Serialises registrations of one organisation (transaction-scoped lock) and counts its endpoints."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('webhook_endpoints:' || %s))", (organization_id,))
    return conn.execute("SELECT count(*) AS n FROM webhook_endpoints WHERE organization_id = %s",
                        (organization_id,)).fetchone()["n"]


def insert_secret(conn, endpoint_id: str, secret: str) -> dict:
    return conn.execute(
        "INSERT INTO webhook_secrets (id, endpoint_id, secret) VALUES (%s, %s, %s) "
        "RETURNING id, created_at, expires_at", (str(uuid.uuid4()), endpoint_id, secret)).fetchone()


def retire_secrets(conn, endpoint_id: str, overlap_seconds: int) -> None:
    """The current secret stays valid for the overlap; any older one still in its overlap ends now, so at most
    two secrets ever sign at once."""
    conn.execute("UPDATE webhook_secrets SET expires_at = now() WHERE endpoint_id = %s AND expires_at > now()",
                 (endpoint_id,))
    conn.execute("UPDATE webhook_secrets SET expires_at = now() + make_interval(secs => %s) "
                 "WHERE endpoint_id = %s AND expires_at IS NULL", (overlap_seconds, endpoint_id))


def secret_summaries(conn, endpoint_ids: list[str]) -> dict[str, list[dict]]:
    rows = conn.execute(
        "SELECT id, endpoint_id, created_at, expires_at FROM webhook_secrets WHERE endpoint_id = ANY(%s) "
        "AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at DESC",
        ([str(i) for i in endpoint_ids],)).fetchall()
    out: dict[str, list[dict]] = {str(i): [] for i in endpoint_ids}
    for row in rows:
        out[str(row["endpoint_id"])].append({"id": row["id"], "created_at": row["created_at"],
                                             "expires_at": row["expires_at"]})
    return out


def valid_secrets(conn, endpoint_id: str) -> list[str]:
    """Secrets that sign a request now, newest first."""
    rows = conn.execute(
        "SELECT secret FROM webhook_secrets WHERE endpoint_id = %s AND (expires_at IS NULL OR expires_at > now()) "
        "ORDER BY created_at DESC", (endpoint_id,)).fetchall()
    return [row["secret"] for row in rows]


def get_endpoint(conn, endpoint_id: str, for_update: bool = False) -> dict | None:
    return conn.execute(f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = %s"
                        + (" FOR UPDATE" if for_update else ""), (endpoint_id,)).fetchone()


def list_endpoints(conn, organization_id: str | None, limit: int, after_id: str | None = None) -> list[dict]:
    clauses, params = [], []
    if organization_id:
        clauses.append("organization_id = %s")
        params.append(organization_id)
    if after_id:
        clauses.append("(created_at, id) > (SELECT created_at, id FROM webhook_endpoints WHERE id = %s)")
        params.append(after_id)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return conn.execute(f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints {where} ORDER BY created_at, id "
                        f"LIMIT %s", (*params, limit)).fetchall()


def update_endpoint(conn, endpoint_id: str, changes: dict) -> dict:
    assignments, params = ["updated_at = now()"], []
    for column in ("description", "event_types"):
        if column in changes:
            assignments.append(f"{column} = %s")
            params.append(changes[column])
    if "active" in changes:
        assignments.append("active = %s")
        assignments.append("disabled_at = CASE WHEN %s THEN NULL ELSE COALESCE(disabled_at, now()) END")
        params += [changes["active"], changes["active"]]
    return conn.execute(f"UPDATE webhook_endpoints SET {', '.join(assignments)} WHERE id = %s "
                        f"RETURNING {ENDPOINT_COLUMNS}", (*params, endpoint_id)).fetchone()


def stop_pending_deliveries(conn, endpoint_id: str) -> None:
    """A disabled endpoint gets nothing more: its pending deliveries end as failed."""
    conn.execute("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, manual_pending = false, "
                 "completed_at = now(), last_outcome = COALESCE(last_outcome, 'endpoint_disabled') "
                 "WHERE endpoint_id = %s AND status = 'pending'", (endpoint_id,))


def disable_organization_endpoints(conn, organization_id: str) -> int:
    """Disable every active endpoint of an organisation and end their pending deliveries."""
    ids = [r["id"] for r in conn.execute(
        "UPDATE webhook_endpoints SET active = false, disabled_at = now(), updated_at = now() "
        "WHERE organization_id = %s AND active RETURNING id", (organization_id,)).fetchall()]
    for endpoint_id in ids:
        stop_pending_deliveries(conn, str(endpoint_id))
    return len(ids)


def delete_endpoint(conn, endpoint_id: str) -> bool:
    return conn.execute("DELETE FROM webhook_endpoints WHERE id = %s", (endpoint_id,)).rowcount == 1


# --- deliveries and attempts -------------------------------------------------------------------------

def claim_due(conn, limit: int, lease_seconds: float) -> list[dict]:
    """Take due deliveries (skipping rows another dispatcher holds) and hide them for the lease, so a crash
    mid-POST makes them due again instead of losing them."""
    return conn.execute(
        "WITH due AS (SELECT d.id FROM webhook_deliveries d WHERE d.status = 'pending' "
        "             AND d.next_attempt_at <= now() ORDER BY d.next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) "
        "UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => %s) FROM due "
        "WHERE d.id = due.id "
        "RETURNING d.id, d.endpoint_id, d.event_type, d.body, d.scheduled_attempts, d.attempt_count, "
        "d.manual_pending",
        (limit, lease_seconds)).fetchall()


def delivery_targets(conn, endpoint_ids: list[str]) -> dict[str, dict]:
    """{endpoint id: {url, active, secrets: [sealed, newest first]}} for a claimed batch, in one query."""
    if not endpoint_ids:
        return {}
    rows = conn.execute(
        "SELECT e.id, e.url, e.active, COALESCE(array_agg(s.secret ORDER BY s.created_at DESC) "
        "FILTER (WHERE s.id IS NOT NULL), '{}') AS secrets FROM webhook_endpoints e "
        "LEFT JOIN webhook_secrets s ON s.endpoint_id = e.id AND (s.expires_at IS NULL OR s.expires_at > now()) "
        "WHERE e.id = ANY(%s::uuid[]) GROUP BY e.id", (endpoint_ids,)).fetchall()
    return {str(r["id"]): r for r in rows}


def lock_delivery(conn, delivery_id: str) -> dict | None:
    return conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = %s FOR UPDATE",
                        (delivery_id,)).fetchone()


def record_attempt(conn, *, delivery_id, number, trigger, attempted_at, duration_ms, status_code, outcome,
                   error_class) -> None:
    conn.execute(
        "INSERT INTO webhook_attempts (delivery_id, number, trigger, attempted_at, duration_ms, status_code, "
        "outcome, error_class) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (delivery_id, number, trigger, attempted_at, duration_ms, status_code, outcome, error_class))


def finish_attempt(conn, delivery_id: str, *, status: str, scheduled_attempts: int, attempt_count: int,
                   next_attempt_in: float | None, attempted_at, status_code, outcome) -> None:
    conn.execute(
        "UPDATE webhook_deliveries SET status = %s, scheduled_attempts = %s, attempt_count = %s, "
        "manual_pending = false, last_attempt_at = %s, last_status_code = %s, last_outcome = %s, "
        "next_attempt_at = CASE WHEN %s::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => %s) END, "
        "completed_at = CASE WHEN %s = 'pending' THEN NULL ELSE now() END WHERE id = %s",
        (status, scheduled_attempts, attempt_count, attempted_at, status_code, outcome, next_attempt_in,
         next_attempt_in, status, delivery_id))


def get_delivery(conn, delivery_id: str) -> dict | None:
    return conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = %s",
                        (delivery_id,)).fetchone()


def list_deliveries(conn, endpoint_id: str, status: str | None, limit: int, before: str | None = None) -> list[dict]:
    clauses, params = "", []
    if status:
        clauses += " AND status = %s"
        params.append(status)
    if before:
        clauses += (" AND (created_at, id) < (SELECT created_at, id FROM webhook_deliveries "
                    "WHERE id = %s AND endpoint_id = %s)")
        params += [before, endpoint_id]
    return conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = %s{clauses} "
                        f"ORDER BY created_at DESC, id DESC LIMIT %s", (endpoint_id, *params, limit)).fetchall()


def pending_count(conn) -> int:
    return conn.execute("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'").fetchone()["n"]


def attempts_for(conn, delivery_ids: list[str]) -> dict[str, list[dict]]:
    rows = conn.execute(
        "SELECT delivery_id, number, trigger, attempted_at, duration_ms, status_code, outcome, error_class "
        "FROM webhook_attempts WHERE delivery_id = ANY(%s::uuid[]) ORDER BY delivery_id, number",
        ([str(i) for i in delivery_ids],)).fetchall()
    out: dict[str, list[dict]] = {str(i): [] for i in delivery_ids}
    for row in rows:
        out[str(row.pop("delivery_id"))].append(row)
    return out


def request_redelivery(conn, delivery_id: str) -> None:
    conn.execute("UPDATE webhook_deliveries SET status = 'pending', manual_pending = true, next_attempt_at = now(), "
                 "completed_at = NULL WHERE id = %s", (delivery_id,))


def purge_finished(conn, older_than_days: int, limit: int) -> int:
    """Delete finished deliveries (their attempts cascade) completed more than `older_than_days` ago."""
    return conn.execute(
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status <> 'pending' "
        "AND completed_at < now() - make_interval(days => %s) LIMIT %s)", (older_than_days, limit)).rowcount
