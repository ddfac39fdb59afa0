"""Figures for the prefecture / bureau / municipal dashboards, as of a date, within a scope area.

Everything is keyed by the PF's area code so that the gateway can roll figures up along the area registry
(municipality → bureau → prefecture) without asking again. States are reconstructed from the dated phase and
membership histories, so `as_of` in the past answers what was true then. Legal form and field are the member
organisations' current attributes. No personal data: counts, codes and PF names only.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from services.servicekit.caller import Principal
from services.servicekit.errors import NotFound

from . import access, repository
from .vocabulary import MEMBERSHIP_CLASSES, MEMBERSHIP_STATUSES, PHASES, PLATFORM_LEVELS


def _nested():
    return defaultdict(lambda: defaultdict(int))


def compute(uow, principal: Principal, scope_area: str, as_of: date) -> dict:
    if not (access.is_admin(principal) or (access.is_staff(principal) and principal.covers(scope_area))):
        raise NotFound("no such area in your scope")
    areas = list(access.areas_within(scope_area))
    pfs = repository.platforms_as_of(uow.conn, areas, as_of)
    counts = repository.membership_counts_as_of(uow.conn, areas, as_of)

    by_level_phase = {level: {phase: 0 for phase in PHASES} for level in PLATFORM_LEVELS}
    by_area: dict[str, dict] = {}

    def area_entry(code: str) -> dict:
        if code not in by_area:
            by_area[code] = {"platforms": [], "members_by_status": defaultdict(int),
                             "members_by_class": defaultdict(int), "active_members_by_legal_form": defaultdict(int),
                             "active_members_by_field": defaultdict(int), "new_members_per_month": defaultdict(int)}
        return by_area[code]

    platforms: dict[str, dict] = {}
    for pf in pfs:
        by_level_phase[pf["level"]][pf["phase"]] += 1
        item = {"platform_id": str(pf["id"]), "name": pf["name"], "level": pf["level"], "area_code": pf["area_code"],
                "parent_platform_id": str(pf["parent_platform_id"]) if pf["parent_platform_id"] else None,
                "phase": pf["phase"], "phase_since": pf["since"].isoformat(),
                "members_by_status": {s: 0 for s in MEMBERSHIP_STATUSES},
                "members_by_class": {c: 0 for c in MEMBERSHIP_CLASSES}}
        platforms[item["platform_id"]] = item
        area_entry(pf["area_code"])["platforms"].append(item)

    totals_status, totals_class = defaultdict(int), defaultdict(int)
    totals_form, totals_field, totals_month = defaultdict(int), defaultdict(int), defaultdict(int)
    for row in counts["by_platform"]:
        pf = platforms.get(str(row["platform_id"]))
        if pf is None:  # the PF itself did not exist yet on that date
            continue
        entry = area_entry(row["area_code"])
        pf["members_by_status"][row["status"]] += row["n"]
        entry["members_by_status"][row["status"]] += row["n"]
        totals_status[row["status"]] += row["n"]
        if row["status"] == "active":
            pf["members_by_class"][row["membership_class"]] += row["n"]
            entry["members_by_class"][row["membership_class"]] += row["n"]
            totals_class[row["membership_class"]] += row["n"]
    for row in counts["by_legal_form"]:
        area_entry(row["area_code"])["active_members_by_legal_form"][row["legal_form"]] += row["n"]
        totals_form[row["legal_form"]] += row["n"]
    for row in counts["by_field"]:
        area_entry(row["area_code"])["active_members_by_field"][row["field"]] += row["n"]
        totals_field[row["field"]] += row["n"]
    for row in counts["new_per_month"]:
        area_entry(row["area_code"])["new_members_per_month"][row["month"]] += row["n"]
        totals_month[row["month"]] += row["n"]

    def plain(d):
        return {k: (plain(v) if isinstance(v, dict) else v) for k, v in sorted(d.items())} \
            if isinstance(d, dict) else d

    return {
        "scope_area": scope_area,
        "as_of": as_of.isoformat(),
        "platforms_by_level_and_phase": by_level_phase,
        "by_area": {code: {k: (plain(dict(v)) if not isinstance(v, list) else v) for k, v in entry.items()}
                    for code, entry in sorted(by_area.items())},
        "totals": {"platforms": len(platforms), "members_by_status": plain(dict(totals_status)),
                   "active_members_by_class": plain(dict(totals_class)),
                   "active_members_by_legal_form": plain(dict(totals_form)),
                   "active_members_by_field": plain(dict(totals_field)),
                   "new_members_per_month": plain(dict(totals_month))},
    }
