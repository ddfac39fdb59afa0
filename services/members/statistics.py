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


def compute(uow, principal: Principal, scope_area: str, as_of: date) -> dict:
    """{scope_area, as_of, platforms: [...], platforms_by_level_and_phase, by_area: {code: figures}, totals}.

    `platforms` lists every PF in the scope with its area code, level, phase on `as_of` and since when, so a
    prefecture sees per bureau / municipality whether a PF exists and how far it is. Member figures per area
    (the PF's area): `members` (active), `by_status` (all statuses), `by_class`, `by_legal_form`, `by_field`
    (active members), `new_by_month` (first activations, YYYY-MM). `totals` sums them over the scope."""
    if not (access.is_admin(principal) or (access.is_staff(principal) and principal.covers(scope_area))):
        raise NotFound("no such area in your scope")
    areas = list(access.areas_within(scope_area))
    pfs = repository.platforms_as_of(uow.conn, areas, as_of)
    counts = repository.membership_counts_as_of(uow.conn, areas, as_of)

    by_level_phase = {level: {phase: 0 for phase in PHASES} for level in PLATFORM_LEVELS}
    platforms: dict[str, dict] = {}
    for pf in pfs:
        by_level_phase[pf["level"]][pf["phase"]] += 1
        platforms[str(pf["id"])] = {
            "platform_id": str(pf["id"]), "name": pf["name"], "level": pf["level"], "area_code": pf["area_code"],
            "parent_platform_id": str(pf["parent_platform_id"]) if pf["parent_platform_id"] else None,
            "phase": pf["phase"], "phase_since": pf["since"].isoformat(),
            "members_by_status": {s: 0 for s in MEMBERSHIP_STATUSES},
            "members_by_class": {c: 0 for c in MEMBERSHIP_CLASSES}}

    by_area: dict[str, dict] = defaultdict(lambda: {"members": 0, **{k: defaultdict(int) for k in FIGURES}})
    totals: dict = {"platforms": len(platforms), "members": 0, **{k: defaultdict(int) for k in FIGURES}}
    for row in counts["by_platform"]:
        pf = platforms.get(str(row["platform_id"]))
        if pf is None:  # the PF itself did not exist yet on that date
            continue
        n, entry = row["n"], by_area[row["area_code"]]
        pf["members_by_status"][row["status"]] += n
        _add(entry, totals, "by_status", row["status"], n)
        if row["status"] == "active":
            pf["members_by_class"][row["membership_class"]] += n
            _add(entry, totals, "by_class", row["membership_class"], n)
            entry["members"] += n
            totals["members"] += n
    for key, column, rows in (("by_legal_form", "legal_form", counts["by_legal_form"]),
                              ("by_field", "field", counts["by_field"]),
                              ("new_by_month", "month", counts["new_per_month"])):
        for row in rows:
            _add(by_area[row["area_code"]], totals, key, row[column], row["n"])
    return {
        "scope_area": scope_area,
        "as_of": as_of.isoformat(),
        "platforms": list(platforms.values()),
        "platforms_by_level_and_phase": by_level_phase,
        "by_area": {code: _plain(entry) for code, entry in sorted(by_area.items())},
        "totals": _plain(totals),
    }


FIGURES = ("by_status", "by_class", "by_legal_form", "by_field", "new_by_month")


def _add(entry: dict, totals: dict, key: str, value: str, n: int) -> None:
    entry[key][value] += n
    totals[key][value] += n


def _plain(figures: dict) -> dict:
    return {k: (dict(sorted(v.items())) if isinstance(v, dict) else v) for k, v in figures.items()}
