"""SQL of the referral statistics: folding the deltas into monthly aggregates, and reading figures.

Readers take whole Japan-time months from the aggregates plus the not-yet-folded deltas, and the partial months at
a period's edges from the referrals themselves (PeriodParts; `ranges`: lists of [start, end) timestamps). All reads of one
statistics request run in one REPEATABLE READ snapshot (statistics.py), so a fold committing meanwhile neither
doubles nor drops a referral.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

FOLD_LOCK = "tsunagu.referrals.statistics.fold"

_FOLD = """
WITH d AS (
    DELETE FROM referral_statistics_deltas
    WHERE id IN (SELECT id FROM referral_statistics_deltas d
                 WHERE EXISTS (SELECT 1 FROM referral_statistics_scopes s WHERE s.area_code = d.area_code)
                 ORDER BY id LIMIT %(limit)s)
    RETURNING area_code, (date_trunc('month', created_at AT TIME ZONE 'Asia/Tokyo'))::date AS month,
              status, category, accept_seconds, close_seconds, sign
), by_status AS (
    INSERT INTO referral_counts_by_status AS t (area_code, month, status, n)
    SELECT area_code, month, status, sum(sign) FROM d GROUP BY 1, 2, 3
    ON CONFLICT (area_code, month, status) DO UPDATE SET n = t.n + EXCLUDED.n
), by_category AS (
    INSERT INTO referral_counts_by_category AS t (area_code, month, category, n)
    SELECT area_code, month, category, sum(sign) FROM d GROUP BY 1, 2, 3
    ON CONFLICT (area_code, month, category) DO UPDATE SET n = t.n + EXCLUDED.n
), durations AS (
    INSERT INTO referral_duration_histogram AS t (scope_code, month, kind, bucket, n)
    SELECT s.scope_code, d.month, k.kind, referral_duration_bucket(k.seconds), sum(d.sign)
    FROM d JOIN referral_statistics_scopes s ON s.area_code = d.area_code
    CROSS JOIN LATERAL (VALUES ('accept', d.accept_seconds), ('close', d.close_seconds)) AS k (kind, seconds)
    WHERE k.seconds IS NOT NULL
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (scope_code, month, kind, bucket) DO UPDATE SET n = t.n + EXCLUDED.n
)
SELECT count(*) AS n FROM d
"""


def sync_scopes(conn, pairs: list[tuple[str, str]]) -> None:
    """Record which scopes (areas above it) each municipality's referrals count towards (idempotent)."""
    conn.execute("""INSERT INTO referral_statistics_scopes (area_code, scope_code)
                    SELECT * FROM unnest(%s::text[], %s::text[]) ON CONFLICT DO NOTHING""",
                 ([a for a, _ in pairs], [s for _, s in pairs]))


def fold(conn, limit: int) -> int:
    """Fold up to `limit` deltas into the aggregates; one folder at a time (the others wait for the lock).
    Deltas of an area missing from the scope map stay pending (still counted by readers) until it is written."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (FOLD_LOCK,))
    return conn.execute(_FOLD, {"limit": limit}).fetchone()["n"]


def pending_deltas(conn) -> int:
    return conn.execute("SELECT count(*) AS n FROM referral_statistics_deltas").fetchone()["n"]


def _in_ranges(ranges: list[tuple[datetime, datetime]], column: str = "created_at") -> tuple[str, list]:
    if not ranges:
        return "false", []
    return ("(" + " OR ".join(f"({column} >= %s AND {column} < %s)" for _ in ranges) + ")",
            [bound for r in ranges for bound in r])


class PeriodParts(NamedTuple):
    """A period split into whole Japan-time months — read from the aggregates (`months`, as dates) plus the deltas
    not yet folded into them (`month_bounds`, as timestamps) — and the partial months at its edges, read from the
    referrals (`edges`). statistics.split_period makes one."""
    months: tuple[date, date] | None
    month_bounds: tuple[datetime, datetime] | None
    edges: list[tuple[datetime, datetime]]

    def sources(self) -> tuple[str, list, str, list, str, list]:
        """SQL conditions and parameters for the aggregates, the deltas and the referrals."""
        months = ("month >= %s AND month < %s", list(self.months)) if self.months else ("false", [])
        return (*months, *_in_ranges([self.month_bounds] if self.month_bounds else []), *_in_ranges(self.edges))


def counts(conn, codes: list[str], period: PeriodParts, dimension: str) -> list[dict]:
    """(area_code, key, n) for `dimension` 'status' or 'category'."""
    table = {"status": "referral_counts_by_status", "category": "referral_counts_by_category"}[dimension]
    month_sql, month_params, delta_sql, delta_params, edge_sql, edge_params = period.sources()
    return conn.execute(
        f"""SELECT area_code, key, sum(n)::bigint AS n FROM (
                SELECT area_code, {dimension} AS key, n FROM {table} WHERE area_code = ANY(%s) AND {month_sql}
                UNION ALL
                SELECT area_code, {dimension}, sign FROM referral_statistics_deltas
                WHERE area_code = ANY(%s) AND {delta_sql}
                UNION ALL
                SELECT area_code, {dimension}, 1 FROM referrals WHERE area_code = ANY(%s) AND {edge_sql}
            ) x GROUP BY 1, 2 HAVING sum(n) <> 0""",
        [codes, *month_params, codes, *delta_params, codes, *edge_params]).fetchall()


def duration_histogram(conn, kind: str, scope: str, codes: list[str], period: PeriodParts) -> list[tuple[int, int]]:
    """(bucket, n) of time to accept ('accept') or to close ('close'): the stored histogram of `scope` (whose
    municipalities are `codes`), its unfolded deltas, and the edge ranges."""
    column = {"accept": "accepted_at", "close": "closed_at"}[kind]
    month_sql, month_params, delta_sql, delta_params, edge_sql, edge_params = period.sources()
    rows = conn.execute(
        f"""SELECT bucket, sum(n)::bigint AS n FROM (
                SELECT bucket, n FROM referral_duration_histogram
                WHERE scope_code = %s AND kind = %s AND {month_sql}
                UNION ALL
                SELECT referral_duration_bucket({kind}_seconds), sign FROM referral_statistics_deltas
                WHERE area_code = ANY(%s) AND {delta_sql} AND {kind}_seconds IS NOT NULL
                UNION ALL
                SELECT referral_duration_bucket(referral_duration_seconds(status, requested_at, {column})), 1
                FROM referrals WHERE area_code = ANY(%s) AND {edge_sql}
                  AND referral_duration_seconds(status, requested_at, {column}) IS NOT NULL
            ) x GROUP BY 1""",
        [scope, kind, *month_params, codes, *delta_params, codes, *edge_params]).fetchall()
    return [(r["bucket"], r["n"]) for r in rows]


def exact_durations(conn, kind: str, codes: list[str], ranges: list[tuple[datetime, datetime]]) -> dict:
    """n, median and p90 of time to accept / to close, computed from every referral in the ranges."""
    column = {"accept": "accepted_at", "close": "closed_at"}[kind]
    range_sql, range_params = _in_ranges(ranges)
    row = conn.execute(
        f"""SELECT count(s) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS median,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90
            FROM (SELECT referral_duration_seconds(status, requested_at, {column}) AS s FROM referrals
                  WHERE area_code = ANY(%s) AND {range_sql}) x WHERE s IS NOT NULL""",
        [codes, *range_params]).fetchone()
    return {"n": row["n"], "median": row["median"], "p90": row["p90"]}


def overdue_backlog(conn, codes: list[str]) -> dict[str, int]:
    return {r["area_code"]: r["n"] for r in conn.execute(
        """SELECT area_code, count(*) AS n FROM referrals
           WHERE area_code = ANY(%s) AND status = 'requested' AND overdue_at IS NOT NULL GROUP BY area_code""",
        (codes,))}


def unique_persons(conn, codes: list[str], ranges: list[tuple[datetime, datetime]]) -> int:
    """Distinct keyed identity hashes (never plaintext); not pre-aggregated: distinct counts do not add up."""
    range_sql, range_params = _in_ranges(ranges, "r.created_at")
    return conn.execute(
        f"""SELECT count(DISTINCT p.identity_hash) AS n FROM referrals r
            JOIN referral_persons p ON p.referral_id = r.id
            WHERE r.area_code = ANY(%s) AND {range_sql} AND r.status <> 'entered-in-error'""",
        [codes, *range_params]).fetchone()["n"]
