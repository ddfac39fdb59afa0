"""Who may do what in the members service (issue #3), as plain predicates over a Principal.

- admin: everything.
- prefecture / bureau / municipality staff READ every PF and organisation in their area scope
  (`Principal.covers`): prefecture staff their whole prefecture, bureau staff their bureau and its
  municipalities, municipal staff their municipality. An organisation is in scope when its home area is, or when
  one of its service areas lies in the scope or contains it (an organisation serving all of Hokkaido is visible
  to 登別市's staff).
- staff MANAGE the PF(s) of exactly their own area (prefecture staff the prefecture PF, bureau staff their bureau's
  PF(s), municipal staff their municipal PF) and the subcommittees of those; prefecture staff also manage
  cross-area PFs lying inside their prefecture. Staff register and edit organisations whose home area they cover.
- organisation staff (role organization, claim org) read and edit their own organisation, read published ones,
  read the PFs they belong to, apply for memberships and withdraw their own; staff of a PF's secretariat
  organisation (共同事務局) manage that PF's memberships.
Anything a caller may not read is reported as not found by the use cases.
"""
from __future__ import annotations

from functools import lru_cache

from services.servicekit.areas.registry import default_registry
from services.servicekit.areas.scope import scope_contains
from services.servicekit.caller import STAFF_ROLES, Principal


def is_admin(p: Principal | None) -> bool:
    return p is not None and p.role == "admin"


def is_staff(p: Principal | None) -> bool:
    return p is not None and p.role in STAFF_ROLES and bool(p.area)


# ---- platforms --------------------------------------------------------------------------------------------
def can_read_platform(p: Principal | None, platform: dict, member_org_ids: set[str] | frozenset = frozenset()) -> bool:
    if p is None:
        return False
    if is_admin(p) or (is_staff(p) and p.covers(platform["area_code"])):
        return True
    if p.role == "organization" and p.organization_id:
        return (p.organization_id in member_org_ids
                or p.organization_id in {str(o) for o in platform.get("secretariat_organization_ids") or ()})
    return False


def can_manage_area(p: Principal | None, level: str, area_code: str) -> bool:
    """May this caller create or change a PF of this level in this area?"""
    if is_admin(p):
        return True
    if not is_staff(p):
        return False
    if p.area == area_code:
        return True
    return level == "cross_area" and p.role == "prefecture" and p.covers(area_code)


def can_manage_platform(p: Principal | None, platform: dict) -> bool:
    return can_manage_area(p, platform["level"], platform["area_code"])


def can_manage_memberships(p: Principal | None, platform: dict) -> bool:
    if can_manage_platform(p, platform):
        return True
    return (p is not None and p.role == "organization" and bool(p.organization_id)
            and p.organization_id in {str(o) for o in platform.get("secretariat_organization_ids") or ()})


# ---- organisations ----------------------------------------------------------------------------------------
def organization_in_scope(scope: str, home_area_code: str, service_area_codes) -> bool:
    if scope_contains(scope, home_area_code):
        return True
    return any(scope_contains(scope, a) or scope_contains(a, scope) for a in service_area_codes or ())


def can_read_organization(p: Principal | None, org: dict) -> bool:
    if p is None:
        return False
    if is_admin(p):
        return True
    if p.role == "organization":
        return p.acts_for(org["id"]) or (org["published"] and org["active"])
    if is_staff(p):
        return organization_in_scope(p.area, org["home_area_code"], org["service_area_codes"])
    return False


def can_edit_organization(p: Principal | None, org: dict) -> bool:
    if p is None:
        return False
    if is_admin(p):
        return True
    if p.role == "organization":
        return p.acts_for(org["id"])
    return is_staff(p) and p.covers(org["home_area_code"])


def can_register_organization(p: Principal | None, home_area_code: str) -> bool:
    return is_admin(p) or (is_staff(p) and p.covers(home_area_code))


def can_deactivate_organization(p: Principal | None, org: dict) -> bool:
    return is_admin(p) or (is_staff(p) and p.covers(org["home_area_code"]))


# ---- SQL helpers ------------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def areas_within(scope: str) -> tuple[str, ...]:
    """Every registered area code the scope contains (itself included)."""
    registry = default_registry()
    return tuple(a.code for a in registry.all() if scope_contains(scope, a.code))


@lru_cache(maxsize=512)
def areas_containing(area_code: str) -> tuple[str, ...]:
    """Every area code that contains this area (itself included): JP, its prefecture, bureau, groups."""
    registry = default_registry()
    found = registry._container_set(area_code)  # the registry's precomputed answer to scope_contains
    return tuple(sorted(found)) if found else ()
