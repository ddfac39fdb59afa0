"""Local copies of the members service's PFs, organisations and memberships, kept from its integration
events. Events may arrive late, twice or out of order: a change is applied only if its `revision` is newer
than the copy's. Descriptive fields that only `platform.created` / `organization.registered|updated` carry
are filled even from an older event when the copy lacks them (a later event arrived first)."""
from __future__ import annotations



def apply_platform(conn, p: dict) -> None:
    """platform.created / platform.updated: the PF as it is at `revision`; an older snapshot (a redelivery, or one
    overtaken by a phase change) changes nothing but fills what a phase-change stub lacks."""
    newer = "platforms.revision < EXCLUDED.revision"
    conn.execute(
        "INSERT INTO platforms (id, revision, level, area_code, parent_platform_id, name, phase, "
        "secretariat_organization_ids) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET level = EXCLUDED.level, area_code = EXCLUDED.area_code, "
        f"parent_platform_id = CASE WHEN {newer} OR platforms.name IS NULL "
        "  THEN EXCLUDED.parent_platform_id ELSE platforms.parent_platform_id END, "
        f"name = CASE WHEN {newer} OR platforms.name IS NULL THEN EXCLUDED.name ELSE platforms.name END, "
        f"secretariat_organization_ids = CASE WHEN {newer} OR platforms.name IS NULL "
        "  THEN EXCLUDED.secretariat_organization_ids ELSE platforms.secretariat_organization_ids END, "
        "phase = CASE WHEN platforms.revision < EXCLUDED.revision OR platforms.phase IS NULL "
        "  THEN EXCLUDED.phase ELSE platforms.phase END, "
        "revision = greatest(platforms.revision, EXCLUDED.revision), updated_at = now()",
        (p["platform_id"], p["revision"], p["level"], p["area_code"], p.get("parent_platform_id"), p["name"],
         p.get("phase"), p.get("secretariat_organization_ids") or []))


def apply_platform_phase_changed(conn, p: dict) -> None:
    conn.execute(
        "INSERT INTO platforms (id, revision, area_code, phase) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET phase = EXCLUDED.phase, revision = EXCLUDED.revision, updated_at = now() "
        "WHERE platforms.revision < EXCLUDED.revision",
        (p["platform_id"], p["revision"], p["area_code"], p["to_phase"]))


def apply_organization(conn, p: dict) -> None:
    conn.execute(
        "INSERT INTO organizations (id, revision, name, home_area_code, active) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET "
        "name = CASE WHEN organizations.revision < EXCLUDED.revision OR organizations.name IS NULL "
        "  THEN EXCLUDED.name ELSE organizations.name END, "
        "home_area_code = CASE WHEN organizations.revision < EXCLUDED.revision OR organizations.home_area_code IS NULL "
        "  THEN EXCLUDED.home_area_code ELSE organizations.home_area_code END, "
        "active = CASE WHEN organizations.revision < EXCLUDED.revision THEN EXCLUDED.active "
        "  ELSE organizations.active END, "
        "revision = greatest(organizations.revision, EXCLUDED.revision), updated_at = now()",
        (p["organization_id"], p["revision"], p["name"], p.get("home_area_code"), bool(p.get("active", True))))


def apply_organization_deactivated(conn, p: dict) -> bool:
    """True if this deactivation was newer than the copy (then the organisation's places are released)."""
    cur = conn.execute(
        "INSERT INTO organizations (id, revision, active) VALUES (%s, %s, false) "
        "ON CONFLICT (id) DO UPDATE SET active = false, revision = EXCLUDED.revision, updated_at = now() "
        "WHERE organizations.revision < EXCLUDED.revision", (p["organization_id"], p["revision"]))
    return cur.rowcount == 1


def apply_membership(conn, p: dict) -> None:
    conn.execute(
        "INSERT INTO memberships (id, revision, organization_id, platform_id, platform_area_code, membership_class, "
        "status) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
        "revision = EXCLUDED.revision, organization_id = EXCLUDED.organization_id, "
        "platform_id = EXCLUDED.platform_id, platform_area_code = EXCLUDED.platform_area_code, "
        "membership_class = EXCLUDED.membership_class, status = EXCLUDED.status, updated_at = now() "
        "WHERE memberships.revision < EXCLUDED.revision",
        (p["membership_id"], p["revision"], p["organization_id"], p["platform_id"], p.get("platform_area_code"),
         p.get("membership_class"), p["status"]))
