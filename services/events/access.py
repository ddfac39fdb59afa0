"""Who may read and who may manage an event, a trial project or a handout record.

Everything belongs to a host PF (or, for a trial project without a PF, a municipality or prefecture) with a
level and an area code. The host's managers manage: prefecture staff for a prefecture PF, bureau staff for a
bureau PF, municipal staff for a municipal PF — each only if their scope covers the PF's area
(`Principal.covers`). A cross-area PF (西胆振) is managed by the staff of its member municipalities. Staff
higher up (whose scope covers the area) read. Admins manage everything. Anyone else sees nothing, and the
service answers NotFound so that existence does not leak.
"""
from __future__ import annotations

from services.servicekit.areas.registry import default_registry
from services.servicekit.caller import Principal

LEVEL_ROLE = {"prefecture": "prefecture", "bureau": "bureau", "municipality": "municipality"}


def _member_of_group(principal: Principal, area_code: str) -> bool:
    area = default_registry().find(area_code)
    return bool(area and area.level == "cross_area" and principal.role == "municipality"
                and principal.area in area.member_codes)


def can_manage(principal: Principal | None, level: str, area_code: str | None) -> bool:
    if principal is None or not area_code:
        return False
    if principal.role == "admin":
        return True
    if level == "cross_area":
        return _member_of_group(principal, area_code)
    return LEVEL_ROLE.get(level) == principal.role and principal.covers(area_code)


def can_read(principal: Principal | None, level: str, area_code: str | None) -> bool:
    if principal is None or not area_code:
        return False
    return principal.covers(area_code) or can_manage(principal, level, area_code)


def area_level(area_code: str) -> str:
    """The PF level that matches an area (used for trial projects that name a municipality, not a PF)."""
    area = default_registry().find(area_code)
    if area is None:
        raise KeyError(area_code)
    return area.level
