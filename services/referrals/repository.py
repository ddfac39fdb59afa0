"""SQL for referrals, their encrypted person, history, idempotency keys and the personal-data read audit."""
from __future__ import annotations

import json

from psycopg.types.json import Jsonb

from .personal_data import Sealed

REFERRAL_COLUMNS = """r.id, r.revision, r.status, r.category, r.urgency, r.summary, r.area_code,
    r.sender_organization_id, r.target_organization_id, r.pool_area_code, r.pool_category, r.do_not_contact,
    r.consent, r.legal_basis, r.partner_reference, r.forwarded_from_id, r.part_of_id, r.created_by, r.created_at,
    r.requested_at, r.accepted_at, r.closed_at, r.overdue_at, r.modified_at,
    (p.erased_at IS NOT NULL) AS personal_data_erased"""


# New referrals travel as ONE jsonb parameter (an array of flat objects, bytes in hex) read by jsonb_to_recordset:
# the statement text is the same for any number of referrals (psycopg caches its parsing, PostgreSQL prepares it
# once), and Python's C JSON encoder does the work that per-column array parameters did in Python (measured: array
# dumping was ~17 % of the service's CPU under load).
_NEW_REFERRAL_COLUMNS = (
    "id uuid, status text, category text, urgency text, summary text, area_code text, sender_organization_id uuid, "
    "target_organization_id uuid, pool_area_code text, pool_category text, do_not_contact boolean, consent jsonb, "
    "legal_basis jsonb, partner_reference text, forwarded_from_id uuid, part_of_id uuid, created_by text, "
    "created_at timestamptz, requested_at timestamptz, key_id text, nonce text, ciphertext text, "
    "identity_hash text, actor_subject text, actor_role text, actor_organization_id uuid, request_id text, "
    "key_organization_id uuid, idempotency_key text, fingerprint text, response_status integer, response_body jsonb")

# The referral row's own fields among them (the rest: sealed person, actor, idempotency key).
_REFERRAL_FIELDS = ("id", "status", "category", "urgency", "summary", "area_code", "sender_organization_id",
                    "target_organization_id", "pool_area_code", "pool_category", "do_not_contact", "consent",
                    "legal_basis", "partner_reference", "forwarded_from_id", "part_of_id", "created_by",
                    "created_at", "requested_at")

_INSERT_NEW_REFERRALS = f"""
    WITH v AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS v({_NEW_REFERRAL_COLUMNS})),
    r AS (INSERT INTO referrals (id, revision, status, category, urgency, summary, area_code, sender_organization_id,
              target_organization_id, pool_area_code, pool_category, do_not_contact, consent, legal_basis,
              partner_reference, forwarded_from_id, part_of_id, created_by, created_at, requested_at, modified_at)
          SELECT id, 1, status, category, urgency, summary, area_code, sender_organization_id, target_organization_id,
              pool_area_code, pool_category, do_not_contact, consent, legal_basis, partner_reference,
              forwarded_from_id, part_of_id, created_by, created_at, requested_at, created_at FROM v),
    p AS (INSERT INTO referral_persons (referral_id, key_id, nonce, ciphertext, identity_hash)
          SELECT id, key_id, decode(nonce, 'hex'), decode(ciphertext, 'hex'), decode(identity_hash, 'hex') FROM v),
    h AS (INSERT INTO referral_history (referral_id, revision, action, from_status, to_status, actor_subject,
              actor_role, actor_organization_id, request_id, occurred_at)
          SELECT id, 1, 'created', NULL, status, actor_subject, actor_role, actor_organization_id, request_id,
              created_at FROM v),
    k AS (INSERT INTO idempotency_keys (organization_id, idempotency_key, fingerprint, referral_id, response_status,
              response_body)
          SELECT key_organization_id, idempotency_key, decode(fingerprint, 'hex'), id, response_status, response_body
          FROM v WHERE idempotency_key IS NOT NULL)
    SELECT 1"""


def _hex(value: bytes | None) -> str | None:
    return value.hex() if value is not None else None


def new_referrals_statement(referrals: list[tuple]) -> tuple[str, tuple]:
    """(sql, params) of one statement for any number of new referrals, each given as (row, sealed person,
    identity hash, actor, request id, idempotency key tuple or None): the referrals (revision 1), their sealed
    persons, their `created` history entries and the idempotency keys with their responses (foreign keys are
    checked at the end of the statement)."""
    rows = []
    for r, sealed, identity_hash, actor, request_id, idempotency in referrals:
        key_org, key, fingerprint, status, body = idempotency or (None, None, None, None, None)
        rows.append({**{k: r[k] for k in _REFERRAL_FIELDS}, "key_id": sealed.key_id, "nonce": _hex(sealed.nonce),
                     "ciphertext": _hex(sealed.ciphertext), "identity_hash": _hex(identity_hash),
                     "actor_subject": actor.subject, "actor_role": actor.role,
                     "actor_organization_id": actor.organization_id, "request_id": request_id,
                     "key_organization_id": key_org, "idempotency_key": key, "fingerprint": _hex(fingerprint),
                     "response_status": status, "response_body": body})
    return _INSERT_NEW_REFERRALS, (Jsonb(rows, dumps=_dumps),)


def _dumps(value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


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
