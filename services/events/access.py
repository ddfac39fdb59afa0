"""Who may read and who may manage an event, a trial project or a handout record.

Everything belongs to a host PF (or, for a trial project without a PF, a municipality or prefecture) with a
level and an area code. The host's managers manage: prefecture staff for a prefecture PF, bureau staff for a
bureau PF, municipal staff for a municipal PF — each only if their scope covers the PF's area
(`Principal.covers`). A cross-area PF (西胆振) is managed by the staff of its member municipalities. A PF run
by a joint public–private secretariat (共同事務局) is managed by its secretariat organisations' staff too (the PF's
`secretariat_organization_ids`, from the members service). Staff higher up (whose scope covers the area) read.
Admins manage everything. Anyone else sees nothing, and the service answers NotFound so that existence does not
leak.
"""
from __future__ import annotations

import functools

from services.servicekit.areas.registry import default_registry
from services.servicekit.areas.scope import scope_contains
from services.servicekit.caller import Principal

LEVEL_ROLE = {"prefecture": "prefecture", "bureau": "bureau", "municipality": "municipality"}


def _member_of_group(principal: Principal, area_code: str) -> bool:
    area = default_registry().find(area_code)
    return bool(area and area.level == "cross_area" and principal.role == "municipality"
                and principal.area in area.member_codes)


def can_manage(principal: Principal | None, level: str, area_code: str | None, secretariat=()) -> bool:
    """`secretariat`: the host PF's secretariat organisation ids (none for a trial project without a PF)."""
    if principal is None or not area_code:
        return False
    if principal.role == "admin":
        return True
    if principal.role == "organization":
        return bool(principal.organization_id) and principal.organization_id in {str(o) for o in secretariat}
    if level == "cross_area":
        return _member_of_group(principal, area_code)
    return LEVEL_ROLE.get(level) == principal.role and principal.covers(area_code)


def can_read(principal: Principal | None, level: str, area_code: str | None, secretariat=()) -> bool:
    if principal is None or not area_code:
        return False
    return principal.covers(area_code) or can_manage(principal, level, area_code, secretariat)


def manages_event(principal: Principal | None, ev: dict) -> bool:
    """For an event row as the repository reads it (with its host PF's `host_secretariat_ids`)."""
    return can_manage(principal, ev["host_level"], ev["area_code"], ev.get("host_secretariat_ids") or ())


def reads_event(principal: Principal | None, ev: dict) -> bool:
    return can_read(principal, ev["host_level"], ev["area_code"], ev.get("host_secretariat_ids") or ())


def manages_platform(principal: Principal | None, pf: dict) -> bool:
    return can_manage(principal, pf["level"], pf["area_code"], pf.get("secretariat_organization_ids") or ())


@functools.lru_cache(maxsize=256)
def _codes_within(scope: str) -> frozenset[str]:
    registry = default_registry()
    return frozenset(a.code for a in registry.all() if scope_contains(scope, a.code, registry))


def readable_area_codes(principal: Principal | None) -> frozenset[str] | None:
    """Every area code whose objects the principal may read (None: all of them, for admins). A narrowing
    for SQL; each object is still checked with `can_read`."""
    if principal is None:
        return frozenset()
    if principal.role == "admin":
        return None
    codes = set(_codes_within(principal.scope)) if principal.scope else set()
    if principal.role == "municipality" and principal.area:
        codes |= {g.code for g in default_registry().cross_area_groups() if principal.area in g.member_codes}
    return frozenset(codes)


def area_level(area_code: str) -> str:
    """The PF level that matches an area (used for trial projects that name a municipality, not a PF)."""
    area = default_registry().find(area_code)
    if area is None:
        raise KeyError(area_code)
    return area.level
