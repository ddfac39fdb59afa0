"""Composing the dashboard from the three services' statistics (called in parallel by the route).

The view is an area (prefecture, bureau or municipality) and a fiscal year. Rows break the area down one level
(prefecture → bureaus, or its municipalities where it has no bureaus; bureau → municipalities). Figures a service
keys by an area that is the view's own (a prefecture-wide platform's events, say) get their own row. Referral
counts below prefecture level go through small-number suppression. Every block carries its as-of time.
"""
from __future__ import annotations

from datetime import datetime, timezone

from services.events.vocabulary import ATTENDEE_CATEGORIES, EVENT_TYPES
from services.servicekit import taxonomy
from services.servicekit.areas.registry import default_registry
from services.servicekit.areas.scope import scope_contains
from services.servicekit.fiscal_year import fiscal_year_bounds, era_label, short_label

from .small_counts import rendered, suppress_group, suppress_table, suppress_total
from .tables import Column, Table

PHASE_LABELS = {"initial": "初期", "preparation": "準備", "established": "設立", "self_running": "自走"}
CLASS_LABELS = {"steering": "幹事会員", "member": "会員", "core": "コアメンバー", "observer": "オブザーバー"}
REACHED_ACCEPTED = ("accepted", "in-progress", "on-hold", "completed", "failed")
NOT_REQUESTED = ("draft", "entered-in-error")


def breakdown_areas(area_code: str) -> list:
    registry = default_registry()
    area = registry.get(area_code)
    if area.level == "municipality":
        return [area]
    return registry.children(area_code)


def _row_of(code: str, rows: list, own_code: str) -> str:
    """The breakdown row an area code belongs to (or the view's own row for figures keyed at its level)."""
    for row in rows:
        if scope_contains(row.code, code):
            return row.code
    return own_code


def _sum_into(target: dict, source: dict):
    for key, value in source.items():
        if isinstance(value, dict):
            _sum_into(target.setdefault(key, {}), value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            target[key] = target.get(key, 0) + value


def compose(area_code: str, fiscal_year: int, members: dict, events: dict, referrals: dict, threshold: int) -> dict:
    registry = default_registry()
    area = registry.get(area_code)
    rows = breakdown_areas(area_code)
    row_codes = [r.code for r in rows]
    own_label = f"{area.name}（全域）"
    names = {r.code: r.name for r in rows}
    if area.level != "municipality":  # a municipality's own row is just itself
        names[area_code] = own_label
    start, end = fiscal_year_bounds(fiscal_year)
    suppress_below_prefecture = area.level not in ("prefecture", "country")

    # --- platforms (members) --------------------------------------------------------------------------------
    platforms_by_row: dict[str, list] = {}
    for pf in members.get("platforms", []):
        platforms_by_row.setdefault(_row_of(pf["area_code"], rows, area_code), []).append(pf)
    pf_table = Table("pf_formation", "PF設置状況", [Column("area", "地域"), Column("platform", "PF"),
                     Column("phase", "フェーズ"), Column("since", "フェーズ開始日", "date")],
                     drill_column="area_code", as_of=members.get("as_of"))
    for code in ([area_code] if platforms_by_row.get(area_code) and area.level != "municipality" else []) + row_codes:
        pfs = platforms_by_row.get(code, [])
        if not pfs:
            pf_table.rows.append({"area_code": code if code != area_code else None, "area": names[code],
                                  "platform": "未設置", "phase": "—", "since": "—"})
        for pf in pfs:
            pf_table.rows.append({"area_code": code if code != area_code else None, "area": names[code],
                                  "platform": pf["name"], "phase": PHASE_LABELS.get(pf["phase"], pf["phase"]),
                                  "since": pf.get("phase_since") or "—"})
    with_pf = sum(1 for code in row_codes if platforms_by_row.get(code))

    # --- members ---------------------------------------------------------------------------------------------
    member_rows: dict[str, dict] = {}
    for code, figures in members.get("by_area", {}).items():
        _sum_into(member_rows.setdefault(_row_of(code, rows, area_code), {}), figures)
    members_table = Table("members_by_area", "会員数（地域別）", [Column("area", "地域"), Column("members", "会員数", "count"),
                          Column("steering", "幹事会員", "count"), Column("new", "今年度の新規", "count")],
                          drill_column="area_code", as_of=members.get("as_of"))
    fy_months = {f"{y:04d}-{m:02d}" for y, m in [(fiscal_year, m) for m in range(4, 13)] + [(fiscal_year + 1, m) for m in range(1, 4)]}
    for code in row_codes + ([area_code] if area_code in member_rows and area.level != "municipality" else []):
        figures = member_rows.get(code, {})
        members_table.rows.append({"area_code": code if code != area_code else None, "area": names[code],
                                   "members": figures.get("members", 0),
                                   "steering": figures.get("by_class", {}).get("steering", 0),
                                   "new": sum(v for m, v in figures.get("new_by_month", {}).items() if m in fy_months)})
    by_class = members.get("totals", {}).get("by_class", {})
    class_table = Table("members_by_class", "会員区分別", [Column("class", "区分"), Column("count", "会員数", "count")],
                        rows=[{"class": CLASS_LABELS.get(k, k), "count": v} for k, v in sorted(by_class.items())],
                        as_of=members.get("as_of"))
    by_field = members.get("totals", {}).get("by_field", {})
    field_table = Table("members_by_field", "活動分野別", [Column("field", "分野"), Column("count", "団体数", "count")],
                        rows=[{"field": (taxonomy.get(k).name if taxonomy.get(k) else k), "count": v}
                              for k, v in sorted(by_field.items(), key=lambda kv: -kv[1])],
                        as_of=members.get("as_of"))
    new_by_month = members.get("totals", {}).get("new_by_month", {})

    # --- events ----------------------------------------------------------------------------------------------
    event_rows: dict[str, dict] = {}
    for code, figures in events.get("areas", {}).items():
        _sum_into(event_rows.setdefault(_row_of(code, rows, area_code), {}), figures)
    totals = events.get("totals", {})
    events_table = Table("events_by_area", "イベント・会議（地域別）", [Column("area", "地域"),
                         Column("held", "開催数", "count"), Column("attendance", "参加者数", "count"),
                         Column("respondents", "アンケート回答数", "count")], drill_column="area_code",
                         as_of=events.get("as_of"))
    for code in row_codes + ([area_code] if area_code in event_rows and area.level != "municipality" else []):
        figures = event_rows.get(code, {})
        events_table.rows.append({"area_code": code if code != area_code else None, "area": names[code],
                                  "held": figures.get("events_held", {}).get("total", 0),
                                  "attendance": figures.get("attendance", {}).get("total", 0),
                                  "respondents": figures.get("survey_respondents", 0)})
    type_table = Table("events_by_type", "種類別開催数", [Column("type", "種類"), Column("held", "開催数", "count")],
                       rows=[{"type": EVENT_TYPES.get(k, k), "held": v} for k, v in
                             sorted(totals.get("events_held", {}).get("by_type", {}).items(), key=lambda kv: -kv[1])],
                       as_of=events.get("as_of"))
    attendance_table = Table("attendance_by_category", "参加者の属性", [Column("category", "属性"),
                             Column("people", "人数", "count")],
                             rows=[{"category": ATTENDEE_CATEGORIES.get(k, k), "people": v} for k, v in
                                   sorted(totals.get("attendance", {}).get("by_category", {}).items(),
                                          key=lambda kv: -kv[1])], as_of=events.get("as_of"))
    kpi_table = Table("survey_kpis", "アンケートKPI（前年度比較）", [Column("question", "指標"),
                      Column("rate", "今年度", "percent"), Column("answered", "回答数", "count"),
                      Column("previous", "前年度", "percent")], as_of=events.get("as_of"))
    for code, kpi in sorted(totals.get("survey_kpis", {}).items()):
        kpi_table.rows.append({"question": kpi.get("label", code), "rate": _percent(kpi.get("rate")),
                               "answered": kpi.get("answered", 0),
                               "previous": _percent((kpi.get("previous") or {}).get("rate"))})
    trial = totals.get("trial_projects", {})
    trial_table = Table("trial_projects", "試行的事業", [Column("name", "事業名"), Column("area", "実施主体"),
                        Column("budget", "予算（円）", "yen"), Column("kpis", "KPI達成", "text"), Column("status", "状況")],
                        as_of=events.get("as_of"))
    registry_names = {code: (registry.find(code).name if registry.find(code) else code) for code in events.get("areas", {})}
    projects = [(code, p) for code, figures in sorted(events.get("areas", {}).items())
                for p in figures.get("trial_projects", {}).get("projects", [])]
    for code, project in projects:
        measured = [k for k in project.get("kpis", []) if k.get("measured") is not None]
        reached = [k for k in measured if (k.get("attainment") or 0) >= 1]
        trial_table.rows.append({"name": project["name"], "area": registry_names[code],
                                 "budget": project.get("budget_yen", 0),
                                 "kpis": f"{len(reached)}/{len(project.get('kpis', []))}",
                                 "status": "成果検証済" if project.get("status") == "verified" else "実施中"})
    months = [f"{y:04d}-{m:02d}" for y, m in [(fiscal_year, m) for m in range(4, 13)] + [(fiscal_year + 1, m) for m in range(1, 4)]]

    # --- referrals (suppressed below prefecture level) --------------------------------------------------------
    referral_rows: dict[str, dict] = {}
    for code, figures in referrals.get("by_area", {}).items():
        _sum_into(referral_rows.setdefault(_row_of(code, rows, area_code), {}), figures)
    rtotal = referrals.get("totals", {})

    def funnel_of(by_status: dict) -> dict:
        requested = sum(v for k, v in by_status.items() if k not in NOT_REQUESTED)
        accepted = sum(by_status.get(k, 0) for k in REACHED_ACCEPTED)
        return {"requested": requested, "accepted": accepted, "completed": by_status.get("completed", 0)}

    funnel = funnel_of(rtotal.get("by_status", {}))
    area_funnels = {code: funnel_of(referral_rows.get(code, {}).get("by_status", {})) for code in row_codes}
    area_funnels[area_code] = funnel_of(referral_rows.get(area_code, {}).get("by_status", {})) \
        if area_code in referral_rows else None
    referral_table = Table("referrals_by_area", "つなぎ（紹介）の状況（地域別）", [Column("area", "地域"),
                           Column("requested", "依頼", "count"), Column("accepted", "受入", "count"),
                           Column("completed", "完了", "count"), Column("overdue", "期限超過", "count")],
                           drill_column="area_code", as_of=referrals.get("as_of"))
    grid = {code: {**area_funnels[code], "overdue": referral_rows.get(code, {}).get("overdue_backlog", 0)}
            for code in row_codes + ([area_code] if area_funnels.get(area_code) else [])}
    # Rows below prefecture level are always suppressed; columns and rows sum to shown totals.
    shown = suppress_table(grid, threshold) if threshold > 1 else grid
    for code, cells in shown.items():
        referral_table.rows.append({"area_code": code if code != area_code else None, "area": names[code], **cells})
    by_category = {}
    for code, figures in referrals.get("by_area", {}).items():
        for category, n in figures.get("by_category", {}).items():
            by_category[category] = by_category.get(category, 0) + n
    category_cells = suppress_group(by_category, threshold) if suppress_below_prefecture else by_category
    category_table = Table("referrals_by_category", "つなぎ（紹介）の分野別件数",
                           [Column("category", "分野"), Column("count", "件数", "count")],
                           rows=[{"category": (taxonomy.get(k).name if taxonomy.get(k) else k), "count": v}
                                 for k, v in sorted(category_cells.items())], as_of=referrals.get("as_of"))

    def referral_figure(value):
        return suppress_total(value, threshold) if suppress_below_prefecture else value

    accept = referrals.get("time_to_accept_seconds", {}) or {}
    funnel_shown = {k: referral_figure(v) for k, v in funnel.items()}

    cards = [
        {"id": "pf_coverage", "label": "PF設置（内訳地域）", "value": f"{with_pf}/{len(row_codes)}", "unit": "",
         "as_of": members.get("as_of")},
        {"id": "members", "label": "会員数", "value": members.get("totals", {}).get("members", 0), "unit": "団体",
         "as_of": members.get("as_of")},
        {"id": "events_held", "label": "イベント・会議 開催数", "value": totals.get("events_held", {}).get("total", 0),
         "unit": "回", "as_of": events.get("as_of")},
        {"id": "attendance", "label": "参加者数", "value": totals.get("attendance", {}).get("total", 0), "unit": "人",
         "as_of": events.get("as_of")},
        {"id": "referrals_requested", "label": "つなぎ 依頼件数", "value": rendered(funnel_shown["requested"]),
         "unit": "件", "as_of": referrals.get("as_of")},
        {"id": "time_to_accept", "label": "受入までの時間（中央値）", "value": _hours(accept.get("median")), "unit": "時間",
         "as_of": referrals.get("as_of")},
        {"id": "overdue", "label": "期限超過の未対応", "value": rendered(referral_figure(referrals.get("overdue_backlog", 0))),
         "unit": "件", "as_of": referrals.get("as_of")},
        {"id": "trial_budget", "label": "試行的事業 予算", "value": trial.get("budget_yen", 0), "unit": "円",
         "as_of": events.get("as_of")},
    ]
    awareness = totals.get("survey_kpis", {}).get("awareness")
    if awareness:
        cards.insert(4, {"id": "awareness", "label": awareness.get("label", "認知"), "value": _percent(awareness.get("rate")),
                         "unit": "%", "previous": _percent((awareness.get("previous") or {}).get("rate")),
                         "as_of": events.get("as_of")})

    registry_path = [a for a in reversed(registry.ancestors(area_code)) if a.level != "country"] + [area]
    return {
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "breadcrumb": [{"code": a.code, "name": a.name} for a in registry_path],
        "fiscal_year": fiscal_year,
        "fiscal_year_label": f"{era_label(fiscal_year)}（{fiscal_year}）",
        "fiscal_years": [{"year": y, "label": f"{era_label(y)}（{short_label(y)}）"}
                         for y in range(fiscal_year_now(), fiscal_year_now() - 6, -1)],
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "generated_at": datetime.now(timezone.utc).isoformat(),
        "suppression_threshold": threshold if threshold > 1 else None,
        "cards": cards,
        "charts": {
            "monthly": {"title": "月別の推移", "months": months, "as_of": events.get("as_of"),
                        "series": [{"label": "イベント開催数",
                                    "values": [totals.get("events_held", {}).get("by_month", {}).get(m, 0) for m in months]},
                                   {"label": "新規会員", "values": [new_by_month.get(m, 0) for m in months]}]},
            "funnel": {"title": "つなぎ（紹介）の流れ", "as_of": referrals.get("as_of"),
                       "steps": [{"label": "依頼", "value": rendered(funnel_shown["requested"])},
                                 {"label": "受入", "value": rendered(funnel_shown["accepted"])},
                                 {"label": "完了", "value": rendered(funnel_shown["completed"])}]},
            "comparison": {"title": "地域別の会員数", "as_of": members.get("as_of"),
                           "rows": [{"area_code": r["area_code"], "label": r["area"], "value": r["members"]}
                                    for r in members_table.rows if r["area_code"]]},
        },
        "tables": [t.to_json() for t in (pf_table, members_table, class_table, field_table, events_table, type_table,
                                         attendance_table, kpi_table, trial_table, referral_table, category_table)],
    }


def fiscal_year_now() -> int:
    from services.servicekit.fiscal_year import fiscal_year_of
    return fiscal_year_of(datetime.now(timezone.utc).date())


def _percent(rate):
    return None if rate is None else round(rate * 100, 1)


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600, 1)
