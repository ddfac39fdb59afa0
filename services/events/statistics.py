"""Figures for dashboards, for a scope and a fiscal year, keyed by area code so the gateway can roll them up
with the area registry: events held by type and month, attendance (total and by category), survey KPIs per
standard question with the previous fiscal year beside them, handouts, and trial-project budgets and KPI
attainment. Counts and sums only (each KPI with its numerator and denominator, so roll-ups stay exact);
no personal data."""
from __future__ import annotations

from services.servicekit.areas.scope import scope_contains
from services.servicekit.errors import NotFound
from services.servicekit.fiscal_year import fiscal_year_bounds, short_label
from services.servicekit.jsonable import jsonable

from . import access, statistics_buckets as buckets, statistics_repository as sql
from .survey_results import TEMPLATES, share
from .trial_project_rules import achieved, attainment, budget_total


def _blank() -> dict:
    return {**buckets.blank(),
            "handouts": {"items": 0, "copies_printed": 0, "copies_distributed": 0},
            "trial_projects": {"count": 0, "verified": 0, "budget_yen": 0, "kpis": 0, "kpis_measured": 0,
                               "kpis_achieved": 0, "projects": []}}


def statistics(uow, principal, scope_area: str, fiscal_year: int, now) -> dict:
    if not principal.covers(scope_area):
        raise NotFound("no such area in your scope")
    conn = uow.conn
    codes = access._codes_within(scope_area)
    readable: dict = {}

    def in_scope(row) -> bool:
        """The read rule, once per (level, area) group rather than once per row."""
        key = (row["level"], row["area_code"])
        if key not in readable:
            readable[key] = scope_contains(scope_area, key[1]) and access.can_read(principal, *key)
        return readable[key]

    years = (fiscal_year, fiscal_year - 1)  # the previous year's survey KPIs stand beside this year's
    buckets.refresh(conn, years, codes)
    areas: dict[str, dict] = {}
    current_kpis: dict[str, dict] = {}
    previous_kpis: dict[str, dict] = {}
    for row in filter(in_scope, sql.bucket_figures(conn, fiscal_year, codes)):
        figures, area_code = row["figures"], row["area_code"]
        if row["fiscal_year"] != fiscal_year:
            buckets.add_kpis(previous_kpis.setdefault(area_code, {}), figures["survey_kpis"])
            continue
        buckets.add_kpis(current_kpis.setdefault(area_code, {}), figures.pop("survey_kpis"))
        if area_code in areas:  # an area with events at two levels
            buckets.add_into(areas[area_code], figures)
        else:  # the usual case: the bucket's freshly decoded figures become the area's
            areas[area_code] = {**_blank(), **figures}
    for area_code in sorted(code for code in set(current_kpis) | set(previous_kpis)
                            if current_kpis.get(code) or previous_kpis.get(code)):
        a = areas.setdefault(area_code, _blank())
        for code in sorted(set(current_kpis.get(area_code, {})) | set(previous_kpis.get(area_code, {}))):
            cur = current_kpis.get(area_code, {}).get(code, {"positive": 0, "answered": 0, "events": 0})
            prev = previous_kpis.get(area_code, {}).get(code, {"positive": 0, "answered": 0, "events": 0})
            a["survey_kpis"][code] = {"label": TEMPLATES[code].kpi_label,
                                      **cur, "rate": share(cur["positive"], cur["answered"]),
                                      "previous": {**prev, "rate": share(prev["positive"], prev["answered"])}}
    for row in filter(in_scope, sql.handout_totals(conn, fiscal_year, codes)):
        t = areas.setdefault(row["area_code"], _blank())["handouts"]
        for k in ("items", "copies_printed", "copies_distributed"):
            t[k] += int(row[k])
    for p in filter(in_scope, sql.trial_projects(conn, fiscal_year, codes)):
        t = areas.setdefault(p["area_code"], _blank())["trial_projects"]
        t["count"] += 1
        t["verified"] += p["status"] == "verified"
        budget = budget_total([{"amount_yen": amount} for amount in p["amounts"]])
        t["budget_yen"] += budget
        measured = [k for k in p["kpis"] if k["measured"] is not None]
        reached = [k for k in measured if achieved(k["target"], k["measured"], k["direction"])]
        t["kpis"] += len(p["kpis"])
        t["kpis_measured"] += len(measured)
        t["kpis_achieved"] += len(reached)
        # numerics made plain one by one: jsonable over the whole answer would walk thousands of plain counts
        t["projects"].append({"id": p["id"], "name": p["name"], "status": p["status"], "budget_yen": budget,
                              "kpis": [{"code": k["code"], "label": k["label"], "target": jsonable(k["target"]),
                                        "measured": jsonable(k["measured"]),
                                        "attainment": attainment(k["target"], k["measured"], k["direction"])}
                                       for k in p["kpis"]]})
    start, end = fiscal_year_bounds(fiscal_year)
    return {"scope_area": scope_area, "fiscal_year": fiscal_year, "fiscal_year_label": short_label(fiscal_year),
            "period": jsonable({"from": start, "to": end}), "as_of": jsonable(now),
            "areas": dict(sorted(areas.items())), "totals": roll_up(areas)}


def roll_up(areas: dict) -> dict:
    """Sum per-area figures (the gateway does the same over any grouping of area codes)."""
    total = _blank()
    total["trial_projects"].pop("projects")
    for a in areas.values():
        buckets.add_into(total, a)
        for code, s in a["survey_kpis"].items():
            slot = total["survey_kpis"].setdefault(code, {"label": s["label"], "positive": 0, "answered": 0,
                                                          "events": 0, "previous": {"positive": 0, "answered": 0,
                                                                                    "events": 0}})
            for key in ("positive", "answered", "events"):
                slot[key] += s[key]
                slot["previous"][key] += s["previous"][key]
        for k in ("items", "copies_printed", "copies_distributed"):
            total["handouts"][k] += a["handouts"][k]
        for k in ("count", "verified", "budget_yen", "kpis", "kpis_measured", "kpis_achieved"):
            total["trial_projects"][k] += a["trial_projects"][k]
    for s in total["survey_kpis"].values():
        s["rate"] = share(s["positive"], s["answered"])
        s["previous"]["rate"] = share(s["previous"]["positive"], s["previous"]["answered"])
    tp = total["trial_projects"]
    tp["kpi_attainment_rate"] = share(tp["kpis_achieved"], tp["kpis_measured"])
    return total
