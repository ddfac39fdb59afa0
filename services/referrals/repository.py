"""SQL for referrals, their encrypted person, history, idempotency keys and the personal-data read audit."""
from __future__ import annotations

from psycopg.types.json import Jsonb

from .personal_data import Sealed

REFERRAL_COLUMNS = """r.id, r.revision, r.status, r.category, r.urgency, r.summary, r.area_code,
    r.sender_organization_id, r.target_organization_id, r.pool_area_code, r.pool_category, r.do_not_contact,
    r.consent, r.legal_basis, r.partner_reference, r.forwarded_from_id, r.part_of_id, r.created_by, r.created_at,
    r.requested_at, r.accepted_at, r.closed_at, r.overdue_at, r.modified_at,
    (p.erased_at IS NOT NULL) AS personal_data_erased"""


_REFERRAL_VALUES = ("status", "category", "urgency", "summary", "area_code",
                    "sender_organization_id", "target_organization_id", "pool_area_code", "pool_category", "do_not_contact", "consent",
                    "legal_basis", "partner_reference", "forwarded_from_id", "part_of_id", "created_by", "created_at",
                    "requested_at")


def _values(rows: list[tuple], params: list) -> str:
    """Multi-row VALUES with %s placeholders; appends each row's values to `params` in order."""
    out = []
    for row in rows:
        out.append("(" + ", ".join(["%s"] * len(row)) + ")")
        params.extend(row)
    return ", ".join(out)


def insert_new_referrals(conn, referrals: list[tuple]) -> None:
    """One round trip for any number of new referrals, each given as (row, sealed person, identity hash, actor,
    request id, idempotency key tuple or None): the referrals, their sealed persons, their `created` history
    entries and the idempotency keys with their responses (foreign keys are checked at the end of the statement).
    """
    params: list = []
    referral_rows, person_rows, history_rows, key_rows = [], [], [], []
    for r, sealed, identity_hash, actor, request_id, idempotency in referrals:
        values = {**r, "consent": Jsonb(r["consent"]) if r.get("consent") else None,
                  "legal_basis": Jsonb(r["legal_basis"]) if r.get("legal_basis") else None}
        # (id, revision 1, the values, modified_at = created_at): a new referral.
        referral_rows.append((r["id"], 1, *(values[c] for c in _REFERRAL_VALUES), r["created_at"]))
        person_rows.append((r["id"], sealed.key_id, sealed.nonce, sealed.ciphertext, identity_hash))
        history_rows.append((r["id"], 1, "created", None, r["status"], actor.subject, actor.role,
                             actor.organization_id, request_id, r["created_at"]))
        if idempotency is not None:
            organization_id, key, fingerprint, status, body = idempotency
            key_rows.append((organization_id, key, fingerprint, r["id"], status, Jsonb(body)))
    sql = f"""WITH r AS (
              INSERT INTO referrals (id, revision, status, category, urgency, summary, area_code,
                  sender_organization_id, target_organization_id, pool_area_code, pool_category, do_not_contact,
                  consent, legal_basis, partner_reference, forwarded_from_id, part_of_id, created_by, created_at,
                  requested_at, modified_at)
              VALUES {_values(referral_rows, params)}),
            p AS (INSERT INTO referral_persons (referral_id, key_id, nonce, ciphertext, identity_hash)
                  VALUES {_values(person_rows, params)}),
            h AS (INSERT INTO referral_history (referral_id, revision, action, from_status, to_status, actor_subject,
                      actor_role, actor_organization_id, request_id, occurred_at)
                  VALUES {_values(history_rows, params)})"""
    if key_rows:
        sql += f""",
            k AS (INSERT INTO idempotency_keys (organization_id, idempotency_key, fingerprint, referral_id,
                      response_status, response_body)
                  VALUES {_values(key_rows, params)})"""
    conn.execute(sql + " SELECT 1", params)


def load_person(conn, referral_id: str) -> Sealed | None:
    row = conn.execute("SELECT key_id, nonce, ciphertext FROM referral_persons WHERE referral_id = %s "
                       "AND ciphertext IS NOT NULL", (referral_id,)).fetchone()
    return Sealed(row["key_id"], bytes(row["nonce"]), bytes(row["ciphertext"])) if row else None


def get(conn, referral_id: str, for_update: bool = False) -> dict | None:
    sql = (f"SELECT {REFERRAL_COLUMNS} FROM referrals r LEFT JOIN referral_persons p ON p.referral_id = r.id "
           "WHERE r.id = %s")
    if for_update:
        sql += " FOR UPDATE OF r"
    return conn.execute(sql, (referral_id,)).fetchone()


def update_status(conn, referral_id: str, status: str, now, accepted: bool, closed: bool, requested: bool,
                  target_organization_id: str | None = None) -> int:
    row = conn.execute(
        """UPDATE referrals SET status = %s, revision = revision + 1, modified_at = %s,
               accepted_at = CASE WHEN %s THEN %s ELSE accepted_at END,
               closed_at = CASE WHEN %s THEN %s ELSE closed_at END,
               requested_at = CASE WHEN %s THEN %s ELSE requested_at END,
               target_organization_id = COALESCE(%s, target_organization_id)
           WHERE id = %s RETURNING revision""",
        (status, now, accepted, now, closed, now, requested, now, target_organization_id, referral_id)).fetchone()
    return row["revision"]


def touch(conn, referral_id: str, now, **columns) -> int:
    sets = "".join(f", {name} = %({name})s" for name in columns)
    row = conn.execute(f"UPDATE referrals SET revision = revision + 1, modified_at = %(now)s{sets} "
                       "WHERE id = %(id)s RETURNING revision", {"now": now, "id": referral_id, **columns}).fetchone()
    return row["revision"]


def add_history(conn, referral_id: str, revision: int, action: str, from_status: str | None, to_status: str,
                actor, request_id: str | None, now, reason: str | None = None, outcome: str | None = None) -> None:
    conn.execute(
        """INSERT INTO referral_history (referral_id, revision, action, from_status, to_status, reason, outcome,
               actor_subject, actor_role, actor_organization_id, request_id, occurred_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (referral_id, revision, action, from_status, to_status, reason, outcome, actor.subject, actor.role,
         actor.organization_id, request_id, now))


def history(conn, referral_id: str) -> list[dict]:
    return conn.execute("SELECT revision, action, from_status, to_status, reason, outcome, actor_subject, actor_role, "
                        "actor_organization_id, occurred_at FROM referral_history WHERE referral_id = %s ORDER BY id",
                        (referral_id,)).fetchall()


def lock_idempotency_key(organization_id: str, key: str) -> tuple[str, tuple]:
    """Statement: the key's transaction lock, `ok` False while another request holds it. Run it before
    `find_idempotency_key` (in the same round trip with database.run_together): the find then takes its snapshot
    after the lock is held, so it sees what the previous holder committed."""
    return ("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 7301)) AS ok",
            (f"referrals.idem:{organization_id}:{key}",))


def find_idempotency_key(organization_id: str, key: str) -> tuple[str, tuple]:
    """Statement: the response stored under the key (no row if none)."""
    return ("SELECT fingerprint, response_status, response_body FROM idempotency_keys "
            "WHERE organization_id = %s AND idempotency_key = %s", (organization_id, key))


def record_read(conn, referral_id: str, reader, fields: list[str], purpose: str, request_id: str | None) -> None:
    conn.execute("INSERT INTO personal_data_reads (referral_id, reader_subject, reader_role, reader_organization_id, "
                 "fields, purpose, request_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (referral_id, reader.subject, reader.role, reader.organization_id, list(fields), purpose,
                  request_id))


def reads(conn, referral_id: str | None, since, limit: int) -> list[dict]:
    clauses, params = [], []
    if referral_id:
        clauses.append("referral_id = %s")
        params.append(referral_id)
    if since:
        clauses.append("read_at > %s")
        params.append(since)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return conn.execute(f"SELECT * FROM personal_data_reads {where} ORDER BY id LIMIT %s",
                        (*params, limit)).fetchall()


def list_referrals(conn, where: str, params: list, modified_after, after_id, status, limit: int) -> list[dict]:
    clauses, args = [where], list(params)
    if modified_after is not None:
        if after_id is not None:
            clauses.append("(r.modified_at, r.id) > (%s, %s)")
            args += [modified_after, str(after_id)]
        else:
            clauses.append("r.modified_at > %s")
            args.append(modified_after)
    if status:
        clauses.append("r.status = %s")
        args.append(status)
    sql = (f"SELECT {REFERRAL_COLUMNS} FROM referrals r LEFT JOIN referral_persons p ON p.referral_id = r.id "
           f"WHERE {' AND '.join(clauses)} ORDER BY r.modified_at, r.id LIMIT %s")
    return conn.execute(sql, (*args, limit)).fetchall()
