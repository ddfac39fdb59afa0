"""Dashboard figures per bucket — (fiscal year, area, host level) — kept in event_statistics.

Triggers mark a bucket stale whenever one of its events, head counts, registrations or surveys changes
(migration 0002). Before the statistics use case reads buckets it recomputes the stale ones among them from the
base tables, in its own transaction, so a dashboard always shows committed data as of its call; the service's
housekeeping timer recomputes the others in batches. Recomputing a
bucket is one municipality's (or bureau's, or prefecture's) year: tens of events, not the ~10,000 of a
prefecture's year.
"""
from __future__ import annotations

from . import statistics_repository as sql


def blank() -> dict:
    """A bucket's figures (and the per-area figures the dashboard sums them into, with the survey KPIs raw:
    {template: {positive, answered, events}}, the previous year's beside them only when areas are assembled)."""
    return {"events_held": {"total": 0, "by_type": {}, "by_month": {}, "by_type_and_month": {}},
            "events_cancelled": 0,
            "attendance": {"total": 0, "by_category": {}},
            "survey_respondents": 0,
            "survey_kpis": {}}


def _add(counter: dict, key, n: int) -> None:
    counter[key] = counter.get(key, 0) + n


def refresh(conn, fiscal_years, codes) -> int:
    """Recompute the stale buckets of these fiscal years and areas; returns how many."""
    return _recompute(conn, sql.claim_stale_buckets(conn, fiscal_years, codes))


def refresh_any(conn, limit: int = 500) -> int:
    """Recompute up to `limit` stale buckets, whichever they are (housekeeping: keeps the marks of buckets
    nobody looks at from piling up, and the first look at a dashboard fast)."""
    return _recompute(conn, sql.claim_any_stale_buckets(conn, limit))


def _recompute(conn, stale: set) -> int:
    if stale:
        figures = compute(conn, stale)
        sql.store_buckets(conn, figures, emptied=stale - set(figures))
    return len(stale)


def compute(conn, buckets) -> dict[tuple, dict]:
    """{(fiscal_year, area_code, level): figures} for the buckets that have events."""
    out: dict[tuple, dict] = {}

    def key(row):
        return row["fiscal_year"], row["area_code"], row["level"]

    for row in sql.event_counts(conn, buckets):
        f = out.setdefault(key(row), blank())
        if row["status"] == "cancelled":
            f["events_cancelled"] += row["n"]
        if row["status"] != "held":
            continue
        held = f["events_held"]
        held["total"] += row["n"]
        _add(held["by_type"], row["type"], row["n"])
        _add(held["by_month"], row["month"], row["n"])
        _add(held["by_type_and_month"].setdefault(row["type"], {}), row["month"], row["n"])
    for row in sql.attendance(conn, buckets):
        a = out[key(row)]["attendance"]
        a["total"] += int(row["people"])
        _add(a["by_category"], row["category"], int(row["people"]))
    for row in sql.survey_respondents(conn, buckets):
        out[key(row)]["survey_respondents"] += int(row["respondents"])
    for row in sql.survey_kpis(conn, buckets):
        out[key(row)]["survey_kpis"][row["template_code"]] = {
            "positive": int(row["positive"]), "answered": int(row["answered"]), "events": row["questions"]}
    return out


def _merge(counter: dict, more: dict) -> None:
    get = counter.get
    for k, n in more.items():
        counter[k] = get(k, 0) + n


def add_into(total: dict, figures: dict) -> None:
    """Sum one bucket's (or area's) event, attendance and respondent figures into an area's (or the totals);
    survey KPIs, handouts and trial projects apart."""
    held, more = total["events_held"], figures["events_held"]
    held["total"] += more["total"]
    _merge(held["by_type"], more["by_type"])
    _merge(held["by_month"], more["by_month"])
    for t, months in more["by_type_and_month"].items():
        _merge(held["by_type_and_month"].setdefault(t, {}), months)
    total["events_cancelled"] += figures["events_cancelled"]
    total["attendance"]["total"] += figures["attendance"]["total"]
    _merge(total["attendance"]["by_category"], figures["attendance"]["by_category"])
    total["survey_respondents"] += figures["survey_respondents"]


def add_kpis(total: dict, kpis: dict) -> None:
    """Sum raw survey KPIs ({template: {positive, answered, events}}) into another such dict."""
    for code, k in kpis.items():
        slot = total.setdefault(code, {"positive": 0, "answered": 0, "events": 0})
        for field in ("positive", "answered", "events"):
            slot[field] += k[field]
