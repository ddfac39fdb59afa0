"""Figures for dashboards, for a scope and a fiscal year, keyed by area code so the gateway can roll them up
with the area registry: events held by type and month, attendance (total and by category), survey KPIs per
standard question with the previous fiscal year beside them, handouts, and trial-project budgets and KPI
attainment. Counts and sums only (each KPI with its numerator and denominator, so roll-ups stay exact);
no personal data."""
from __future__ import annotations

from services.servicekit.areas.scope import scope_contains
from services.servicekit.errors import NotFound

from . import access, repository as repo
from services.servicekit.fiscal_year import fiscal_year_bounds, short_label
from services.servicekit.jsonable import jsonable
from .survey_results import TEMPLATES, kpi, share
from .trial_project_rules import achieved, attainment, budget_total


def _blank() -> dict:
    return {"events_held": {"total": 0, "by_type": {}, "by_month": {}, "by_type_and_month": {}},
            "events_cancelled": 0,
            "attendance": {"total": 0, "by_category": {}},
            "survey_respondents": 0,
            "survey_kpis": {},
            "handouts": {"items": 0, "copies_printed": 0, "copies_distributed": 0},
            "trial_projects": {"count": 0, "verified": 0, "budget_yen": 0, "kpis": 0, "kpis_measured": 0,
                               "kpis_achieved": 0, "projects": []}}


def _add(counter: dict, key, n=1):
    counter[key] = counter.get(key, 0) + n


def _survey_kpis(conn, events) -> dict:
    """{area: {template: {positive, answered}}} over the surveys of the given events."""
    out: dict = {}
    surveys = repo.surveys_of(conn, [e["id"] for e in events])
    for ev in events:
        s = surveys.get(ev["id"])
        if not s:
            continue
        for q in s["questions"]:
            if not q["template_code"]:
                continue
            k = kpi(q["template_code"], q["counts"], q["answered"])
            slot = out.setdefault(ev["area_code"], {}).setdefault(q["template_code"], {"positive": 0, "answered": 0,
                                                                                         "events": 0})
            slot["positive"] += k["positive"]
            slot["answered"] += k["answered"]
            slot["events"] += 1
    return out


def statistics(uow, principal, scope_area: str, fiscal_year: int, now) -> dict:
    if not principal.covers(scope_area):
        raise NotFound("no such area in your scope")
    conn = uow.conn

    def in_scope(level, area_code):
        return scope_contains(scope_area, area_code) and access.can_read(principal, level, area_code)

    codes = access._codes_within(scope_area)
    events = [e for e in repo.events(conn, fiscal_year=fiscal_year, area_codes=codes, limit=1_000_000)
              if in_scope(e["host_level"], e["area_code"])]
    previous = [e for e in repo.events(conn, fiscal_year=fiscal_year - 1, status="held", area_codes=codes,
                                       limit=1_000_000)
                if in_scope(e["host_level"], e["area_code"])]
    areas: dict[str, dict] = {}
    held = [e for e in events if e["status"] == "held"]
    attendance = repo.attendance_by_category(conn, [e["id"] for e in held])
    surveys = repo.surveys_of(conn, [e["id"] for e in held])
    for ev in events:
        a = areas.setdefault(ev["area_code"], _blank())
        if ev["status"] == "cancelled":
            a["events_cancelled"] += 1
        if ev["status"] != "held":
            continue
        eh = a["events_held"]
        month = ev["first_day"].strftime("%Y-%m")
        eh["total"] += 1
        _add(eh["by_type"], ev["type"])
        _add(eh["by_month"], month)
        _add(eh["by_type_and_month"].setdefault(ev["type"], {}), month)
        for category, people in attendance.get(ev["id"], {}).items():
            a["attendance"]["total"] += people
            _add(a["attendance"]["by_category"], category, people)
        if ev["id"] in surveys:
            a["survey_respondents"] += surveys[ev["id"]]["respondents"]
    current_kpis = _survey_kpis(conn, held)
    previous_kpis = _survey_kpis(conn, previous)
    for area_code in set(current_kpis) | set(previous_kpis):
        a = areas.setdefault(area_code, _blank())
        for code in set(current_kpis.get(area_code, {})) | set(previous_kpis.get(area_code, {})):
            cur = current_kpis.get(area_code, {}).get(code, {"positive": 0, "answered": 0, "events": 0})
            prev = previous_kpis.get(area_code, {}).get(code, {"positive": 0, "answered": 0, "events": 0})
            a["survey_kpis"][code] = {"label": TEMPLATES[code].kpi_label,
                                      **cur, "rate": share(cur["positive"], cur["answered"]),
                                      "previous": {**prev, "rate": share(prev["positive"], prev["answered"])}}
    for h in repo.handouts(conn, fiscal_year=fiscal_year):
        if not in_scope(h["level"], h["area_code"]):
            continue
        t = areas.setdefault(h["area_code"], _blank())["handouts"]
        t["items"] += 1
        t["copies_printed"] += h["copies_printed"] or 0
        t["copies_distributed"] += sum(d["copies"] for d in h["distributions"])
    for p in repo.trial_projects(conn, fiscal_year=fiscal_year):
        if not in_scope(p["level"], p["area_code"]):
            continue
        t = areas.setdefault(p["area_code"], _blank())["trial_projects"]
        t["count"] += 1
        t["verified"] += p["status"] == "verified"
        budget = budget_total(p["contractors"])
        t["budget_yen"] += budget
        measured = [k for k in p["kpis"] if k["measured"] is not None]
        reached = [k for k in measured if achieved(k["target"], k["measured"], k["direction"])]
        t["kpis"] += len(p["kpis"])
        t["kpis_measured"] += len(measured)
        t["kpis_achieved"] += len(reached)
        t["projects"].append({"id": p["id"], "name": p["name"], "status": p["status"], "budget_yen": budget,
                              "kpis": [{"code": k["code"], "label": k["label"], "target": k["target"],
                                        "measured": k["measured"],
                                        "attainment": attainment(k["target"], k["measured"], k["direction"])}
                                       for k in p["kpis"]]})
    start, end = fiscal_year_bounds(fiscal_year)
    return jsonable({"scope_area": scope_area, "fiscal_year": fiscal_year, "fiscal_year_label": short_label(fiscal_year),
                     "period": {"from": start, "to": end}, "as_of": now, "areas": areas, "totals": roll_up(areas)})


def roll_up(areas: dict) -> dict:
    """Sum per-area figures (the gateway does the same over any grouping of area codes)."""
    total = _blank()
    total["trial_projects"].pop("projects")
    for a in areas.values():
        eh = total["events_held"]
        eh["total"] += a["events_held"]["total"]
        for k, n in a["events_held"]["by_type"].items():
            _add(eh["by_type"], k, n)
        for k, n in a["events_held"]["by_month"].items():
            _add(eh["by_month"], k, n)
        for t, months in a["events_held"]["by_type_and_month"].items():
            for m, n in months.items():
                _add(eh["by_type_and_month"].setdefault(t, {}), m, n)
        total["events_cancelled"] += a["events_cancelled"]
        total["attendance"]["total"] += a["attendance"]["total"]
        for k, n in a["attendance"]["by_category"].items():
            _add(total["attendance"]["by_category"], k, n)
        total["survey_respondents"] += a["survey_respondents"]
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
