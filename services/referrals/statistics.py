"""Counts for dashboards: never a person, only numbers keyed by area code.

For referrals created in [period_start, period_end) whose area lies in the scope: counts by state and category
per municipality, time to accept and time to close (median, p90), unique persons (distinct keyed identity
hashes), and — as of now — the overdue backlog. `rollup` builds the prefecture → bureau → municipality tree.

Whole Japan-time months come from pre-aggregated counts and duration histograms (migration 0003, folded from
trigger-written deltas by `fold`), the partial months at a period's edges from the referrals themselves. Medians
and p90s are exact (computed from the referrals) while the scope and period hold at most `exact_limit` referrals
and always for municipalities and cross-area groups; for larger bureaus and prefectures they are read from the
histograms, within 1 % (duration_histogram.py).
"""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from services.servicekit.areas.registry import ROOT_CODE, default_registry
from services.servicekit.caller import STAFF_ROLES
from services.servicekit.errors import Forbidden, NotFound

from . import duration_histogram, statistics_repository as repo
from .schemas import StatisticsQuery

JAPAN = ZoneInfo("Asia/Tokyo")
FOLD_BATCH = 50_000
_scopes_synced: set[int] = set()  # registries (by id) whose scope map this process has written


def _month_start(day: date) -> datetime:
    return datetime.combine(day.replace(day=1), time(), JAPAN)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def split_period(start: datetime, end: datetime) -> repo.PeriodParts:
    """[start, end) → whole Japan-time calendar months (as dates, and as bounds) and the partial-month edges."""
    local_start = start.astimezone(JAPAN)
    first = local_start.date().replace(day=1)
    if local_start != _month_start(first):
        first = _next_month(first)
    last = end.astimezone(JAPAN).date().replace(day=1)
    if first >= last:
        return repo.PeriodParts(None, None, [(start, end)])
    bounds = (_month_start(first), _month_start(last))
    edges = [r for r in ((start, bounds[0]), (bounds[1], end)) if r[0] < r[1]]
    return repo.PeriodParts((first, last), bounds, edges)


def histogram_scope(scope: str) -> bool:
    """Whether `scope` has stored duration histograms: areas above municipalities (bureaus, prefectures). A
    municipality's or a cross-area group's histogram would hold about one row per referral: those scopes are
    small enough for exact medians."""
    registry = default_registry()
    return registry.get(scope).level != "cross_area" and bool(registry.children(scope))


def scope_map() -> list[tuple[str, str]]:
    """(municipality, scope) for every area above each municipality but Japan."""
    registry = default_registry()
    return [(m.code, a.code) for m in registry.municipalities_in(ROOT_CODE)
            for a in registry.ancestors(m.code) if a.code != ROOT_CODE]


def fold(ctx, batch: int = FOLD_BATCH) -> int:
    """Timer: fold a batch of deltas into the aggregates."""
    registry = default_registry()
    if id(registry) not in _scopes_synced:
        repo.sync_scopes(ctx.conn, scope_map())
        _scopes_synced.add(id(registry))
    return repo.fold(ctx.conn, batch)


def _durations(conn, kind: str, scope: str, codes: list[str], total: int, exact_limit: int,
               period: tuple[datetime, datetime], parts: repo.PeriodParts) -> dict:
    if total <= exact_limit or not histogram_scope(scope):
        exact = repo.exact_durations(conn, kind, codes, [period])
        return {"n": exact["n"], "median": float(exact["median"]) if exact["median"] is not None else None,
                "p90": float(exact["p90"]) if exact["p90"] is not None else None, "method": "exact"}
    histogram = duration_histogram.merge(
        repo.duration_histogram(conn, kind, scope, codes, parts))
    values = duration_histogram.percentiles(histogram, (0.5, 0.9))
    return {"n": sum(histogram.values()), "median": values[0.5], "p90": values[0.9], "method": "histogram"}


def statistics(ctx, query: dict, exact_limit: int = 20_000) -> dict:
    from .referral_use_cases import load
    q = load(StatisticsQuery, query, "the query")
    p = ctx.principal
    scope = q["scope"]
    if p is None or not (p.role == "admin" or p.role in STAFF_ROLES):
        raise Forbidden("statistics are for prefecture, bureau and municipal staff")
    if not p.covers(scope):
        raise NotFound("no such area in your scope")
    conn = ctx.conn
    # One snapshot for every figure: a fold committing meanwhile neither doubles nor drops a referral.
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    codes = [a.code for a in default_registry().municipalities_in(scope)]
    start, end = q["period_start"], q["period_end"]
    parts = split_period(start, end)
    by_area: dict[str, dict] = {}

    def entry(code):
        return by_area.setdefault(code, {"total": 0, "by_status": {}, "by_category": {}, "overdue_backlog": 0})

    for row in repo.counts(conn, codes, parts, "status"):
        e = entry(row["area_code"])
        e["total"] += row["n"]
        e["by_status"][row["key"]] = row["n"]
    for row in repo.counts(conn, codes, parts, "category"):
        entry(row["area_code"])["by_category"][row["key"]] = row["n"]
    for code, n in repo.overdue_backlog(conn, codes).items():
        entry(code)["overdue_backlog"] = n
    totals = {"total": 0, "by_status": {}, "by_category": {}, "overdue_backlog": 0}
    for e in by_area.values():
        totals["total"] += e["total"]
        totals["overdue_backlog"] += e["overdue_backlog"]
        for key in ("by_status", "by_category"):
            for k, v in e[key].items():
                totals[key][k] = totals[key].get(k, 0) + v
    timing = (scope, codes, totals["total"], exact_limit, (start, end), parts)
    return {"scope": scope, "period_start": start.isoformat(), "period_end": end.isoformat(),
            "as_of": ctx.now.isoformat(), "by_area": by_area, "totals": totals,
            "time_to_accept_seconds": _durations(conn, "accept", *timing),
            "time_to_close_seconds": _durations(conn, "close", *timing),
            "overdue_backlog": totals["overdue_backlog"],
            "unique_persons": repo.unique_persons(conn, codes, [(start, end)]) if q["unique_persons"] else None}


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
