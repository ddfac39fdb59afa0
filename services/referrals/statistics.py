"""Counts for dashboards: never a person, only numbers keyed by area code.

For referrals created in [period_start, period_end) whose area lies in the scope: counts by state and category
per municipality, time to accept and time to close (median, p90), unique persons (distinct keyed identity
hashes), and — as of now — the overdue backlog. `rollup` builds the prefecture → bureau → municipality tree.
"""
from __future__ import annotations

from services.servicekit.areas.registry import default_registry
from services.servicekit.caller import STAFF_ROLES
from services.servicekit.errors import Forbidden, NotFound

from .schemas import StatisticsQuery


def _timing(conn, codes, start, end, column) -> dict:
    row = conn.execute(
        f"""SELECT count(*) AS n,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM {column} - requested_at)) AS median,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM {column} - requested_at)) AS p90
            FROM referrals WHERE area_code = ANY(%s) AND created_at >= %s AND created_at < %s
              AND requested_at IS NOT NULL AND {column} IS NOT NULL AND status <> 'entered-in-error'""",
        (codes, start, end)).fetchone()
    return {"n": row["n"], "median": float(row["median"]) if row["median"] is not None else None,
            "p90": float(row["p90"]) if row["p90"] is not None else None}


def statistics(ctx, query: dict) -> dict:
    from .referral_use_cases import load
    q = load(StatisticsQuery, query, "the query")
    p = ctx.principal
    scope = q["scope"]
    if p is None or not (p.role == "admin" or p.role in STAFF_ROLES):
        raise Forbidden("statistics are for prefecture, bureau and municipal staff")
    if not p.covers(scope):
        raise NotFound("no such area in your scope")
    codes = [a.code for a in default_registry().municipalities_in(scope)]
    start, end = q["period_start"], q["period_end"]
    conn = ctx.conn
    by_area: dict[str, dict] = {}

    def entry(code):
        return by_area.setdefault(code, {"total": 0, "by_status": {}, "by_category": {}, "overdue_backlog": 0})

    for row in conn.execute(
            """SELECT area_code, status, category, count(*) AS n FROM referrals
               WHERE area_code = ANY(%s) AND created_at >= %s AND created_at < %s
               GROUP BY area_code, status, category""", (codes, start, end)):
        e = entry(row["area_code"])
        e["total"] += row["n"]
        e["by_status"][row["status"]] = e["by_status"].get(row["status"], 0) + row["n"]
        e["by_category"][row["category"]] = e["by_category"].get(row["category"], 0) + row["n"]
    for row in conn.execute(
            """SELECT area_code, count(*) AS n FROM referrals
               WHERE area_code = ANY(%s) AND status = 'requested' AND overdue_at IS NOT NULL
               GROUP BY area_code""", (codes,)):
        entry(row["area_code"])["overdue_backlog"] = row["n"]
    unique = conn.execute(
        """SELECT count(DISTINCT p.identity_hash) AS n FROM referrals r JOIN referral_persons p ON p.referral_id = r.id
           WHERE r.area_code = ANY(%s) AND r.created_at >= %s AND r.created_at < %s
             AND r.status <> 'entered-in-error'""", (codes, start, end)).fetchone()["n"]
    totals = {"total": 0, "by_status": {}, "by_category": {}, "overdue_backlog": 0}
    for e in by_area.values():
        totals["total"] += e["total"]
        totals["overdue_backlog"] += e["overdue_backlog"]
        for key in ("by_status", "by_category"):
            for k, v in e[key].items():
                totals[key][k] = totals[key].get(k, 0) + v
    return {"scope": scope, "period_start": start.isoformat(), "period_end": end.isoformat(),
            "as_of": ctx.now.isoformat(), "by_area": by_area, "totals": totals,
            "time_to_accept_seconds": _timing(conn, codes, start, end, "accepted_at"),
            "time_to_close_seconds": _timing(conn, codes, start, end, "closed_at"),
            "overdue_backlog": totals["overdue_backlog"], "unique_persons": unique}


def rollup(scope: str, by_area: dict) -> dict:
    """The area tree below `scope` with each node's counts summed from its municipalities (zero nodes pruned)."""
    registry = default_registry()

    def node(code: str) -> dict | None:
        area = registry.get(code)
        children = [c for c in (node(child.code) for child in registry.children(code)) if c]
        own = by_area.get(code) if area.level == "municipality" else None
        counts = {"total": 0, "by_status": {}, "by_category": {}, "overdue_backlog": 0}
        for part in ([own] if own else []) + [c["counts"] for c in children]:
            counts["total"] += part["total"]
            counts["overdue_backlog"] += part["overdue_backlog"]
            for key in ("by_status", "by_category"):
                for k, v in part[key].items():
                    counts[key][k] = counts[key].get(k, 0) + v
        if not counts["total"] and not counts["overdue_backlog"]:
            return None
        return {"code": code, "name": area.name, "level": area.level, "counts": counts, "children": children}

    return node(scope) or {"code": scope, "name": registry.get(scope).name, "level": registry.get(scope).level,
                           "counts": {"total": 0, "by_status": {}, "by_category": {}, "overdue_backlog": 0},
                           "children": []}
