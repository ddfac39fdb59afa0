"""The local copy of the members directory: organisations (active, fields, service areas, capacity) and
memberships, kept from the members service's integration events. A row changes only when the event's
`revision` is newer than the stored one, so redelivered and out-of-order events are harmless.
No RPC to members is ever made while handling a request: targets and pool eligibility are decided from here.
"""
from __future__ import annotations

from services.servicekit import taxonomy

from .referral_lifecycle import DirectoryOrganization, eligible_for_pool

_ORG_COLUMNS = ("organization_id, active, referral_capacity, taxonomy_codes, service_area_codes, home_area_code, "
                "(SELECT count(*) FROM directory_memberships m WHERE m.organization_id = o.organization_id "
                "AND m.status = 'active') AS active_memberships")


def apply_organization(conn, payload: dict) -> bool:
    """organization.registered / organization.updated; True if the copy changed."""
    cur = conn.execute(
        """INSERT INTO directory_organizations AS d (organization_id, revision, name, active, published,
                  taxonomy_codes, service_area_codes, home_area_code, referral_capacity, updated_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())
           ON CONFLICT (organization_id) DO UPDATE SET revision = EXCLUDED.revision, name = EXCLUDED.name,
                  active = EXCLUDED.active, published = EXCLUDED.published, taxonomy_codes = EXCLUDED.taxonomy_codes,
                  service_area_codes = EXCLUDED.service_area_codes, home_area_code = EXCLUDED.home_area_code,
                  referral_capacity = EXCLUDED.referral_capacity, updated_at = now()
           WHERE d.revision < EXCLUDED.revision""",
        (payload["organization_id"], payload["revision"], payload.get("name"), bool(payload.get("active")),
         bool(payload.get("published")), list(payload.get("taxonomy_codes") or []),
         list(payload.get("service_area_codes") or []), payload.get("home_area_code"),
         payload.get("referral_capacity") or "paused"))
    return cur.rowcount == 1


def apply_deactivation(conn, payload: dict) -> bool:
    cur = conn.execute(
        """INSERT INTO directory_organizations AS d (organization_id, revision, active, updated_at)
           VALUES (%s, %s, false, now())
           ON CONFLICT (organization_id) DO UPDATE SET revision = EXCLUDED.revision, active = false, updated_at = now()
           WHERE d.revision < EXCLUDED.revision""",
        (payload["organization_id"], payload["revision"]))
    return cur.rowcount == 1


def apply_membership(conn, payload: dict) -> bool:
    cur = conn.execute(
        """INSERT INTO directory_memberships AS d (membership_id, revision, organization_id, platform_id,
                  platform_area_code, membership_class, status, effective_on, updated_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())
           ON CONFLICT (membership_id) DO UPDATE SET revision = EXCLUDED.revision,
                  organization_id = EXCLUDED.organization_id, platform_id = EXCLUDED.platform_id,
                  platform_area_code = EXCLUDED.platform_area_code, membership_class = EXCLUDED.membership_class,
                  status = EXCLUDED.status, effective_on = EXCLUDED.effective_on, updated_at = now()
           WHERE d.revision < EXCLUDED.revision""",
        (payload["membership_id"], payload["revision"], payload["organization_id"], payload["platform_id"],
         payload.get("platform_area_code"), payload.get("membership_class"), payload["status"],
         payload.get("effective_on")))
    return cur.rowcount == 1


def _to_org(row) -> DirectoryOrganization:
    return DirectoryOrganization(str(row["organization_id"]), row["active"], row["referral_capacity"],
                                 tuple(row["taxonomy_codes"] or ()), tuple(row["service_area_codes"] or ()),
                                 row["home_area_code"], int(row["active_memberships"]))


def organization(conn, organization_id: str | None) -> DirectoryOrganization | None:
    if not organization_id:
        return None
    row = conn.execute(f"SELECT {_ORG_COLUMNS} FROM directory_organizations o WHERE organization_id = %s",
                       (str(organization_id),)).fetchone()
    return _to_org(row) if row else None


def organizations(conn, organization_ids) -> dict[str, DirectoryOrganization]:
    """Several organisations in one round trip (id -> organisation; unknown ids are absent)."""
    sql, params = organizations_statement(organization_ids)
    return organizations_from(conn.execute(sql, params).fetchall())


def organizations_statement(organization_ids) -> tuple[str, tuple]:
    """The statement behind `organizations`, to run together with others (database.run_together)."""
    ids = [str(i) for i in organization_ids if i]
    return (f"SELECT {_ORG_COLUMNS} FROM directory_organizations o WHERE organization_id = ANY(%s::uuid[])",
            (ids,))


def organizations_from(rows) -> dict[str, DirectoryOrganization]:
    return {org.organization_id: org for org in map(_to_org, rows)}


def _ancestors_or_self(code: str) -> set[str]:
    out, term = set(), taxonomy.get(code)
    while term is not None:
        out.add(term.code)
        term = taxonomy.get(term.parent_code) if term.parent_code else None
    return out


def eligible_organizations(conn, pool_area: str, pool_category: str) -> list[str]:
    """Every organisation that may claim a pool referral for this area and field (sorted ids)."""
    codes = sorted(taxonomy.with_descendants(pool_category))
    rows = conn.execute(
        f"""SELECT {_ORG_COLUMNS} FROM directory_organizations o
            WHERE active AND referral_capacity = 'accepting' AND taxonomy_codes && %s""", (codes,)).fetchall()
    return sorted(org.organization_id for org in map(_to_org, rows)
                  if eligible_for_pool(org, pool_area, pool_category))


def pool_categories_for(org: DirectoryOrganization) -> list[str]:
    """Pool categories an organisation may claim: each of its fields and every broader term above them."""
    out: set[str] = set()
    for code in org.taxonomy_codes:
        out |= _ancestors_or_self(code)
    return sorted(out)
