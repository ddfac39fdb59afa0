"""SQL for organisations, platforms and memberships (psycopg 3, dict rows), used inside a unit of work."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from psycopg import errors as pg_errors
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from services.servicekit.errors import Conflict

from . import japanese_text

ORG_COLUMNS = ("id", "name", "name_kana", "alternate_name", "description", "legal_form", "corporate_number",
               "external_id", "taxonomy_codes", "activity_types", "service_area_codes", "service_area_note",
               "home_area_code", "email", "phone", "website", "contacts", "referral_capacity", "published", "active",
               "revision", "created_at", "updated_at", "deactivated_at")
ORG_SELECT = ", ".join(f"o.{c}" for c in ORG_COLUMNS)


def derived_search_columns(org: dict) -> dict:
    texts = (org.get("name"), org.get("name_kana"), org.get("alternate_name"), org.get("description"))
    return {
        "natural_key": natural_key(org["name"], org["home_area_code"]),
        "search_text": japanese_text.search_text(*texts),
    }


def natural_key(name: str, home_area_code: str) -> str:
    return japanese_text.fold(name) + "|" + home_area_code


def _adapt(column: str, value):
    if column == "contacts":
        return Jsonb(value or [])
    return value


# ---- organisations ----------------------------------------------------------------------------------------
def insert_organization(conn, org: dict) -> dict:
    row = {**org, **derived_search_columns(org)}
    columns = [c for c in row if c not in ("created_at", "updated_at", "deactivated_at")]
    sql = (f"INSERT INTO organizations ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
           f"RETURNING {', '.join(ORG_COLUMNS)}")
    try:
        with conn.transaction():  # a savepoint: a concurrent duplicate becomes a Conflict, not a broken transaction
            return conn.execute(sql, [_adapt(c, row[c]) for c in columns]).fetchone()
    except pg_errors.UniqueViolation:
        raise Conflict("an organisation with this name (or external id) already exists in this area") from None


def get_organization(conn, organization_id: str, for_update: bool = False) -> dict | None:
    try:
        uuid.UUID(str(organization_id))
    except ValueError:
        return None
    lock = " FOR UPDATE" if for_update else ""
    return conn.execute(f"SELECT {ORG_SELECT} FROM organizations o WHERE o.id = %s{lock}",
                        (organization_id,)).fetchone()


def get_organizations(conn, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    rows = conn.execute(f"SELECT {ORG_SELECT} FROM organizations o WHERE o.id = ANY(%s::uuid[])", (list(ids),))
    return {str(r["id"]): r for r in rows}


def find_organization_by_key(conn, external_id: str | None, name: str, home_area_code: str,
                             for_update: bool = False) -> dict | None:
    lock = " FOR UPDATE" if for_update else ""
    if external_id:
        row = conn.execute(f"SELECT {ORG_SELECT} FROM organizations o WHERE o.external_id = %s{lock}",
                           (external_id,)).fetchone()
        if row:
            return row
    return conn.execute(f"SELECT {ORG_SELECT} FROM organizations o WHERE o.natural_key = %s AND o.active{lock}",
                        (natural_key(name, home_area_code),)).fetchone()


def update_organization(conn, organization_id: str, changes: dict, new_revision: int) -> dict:
    current = get_organization(conn, organization_id)
    merged = {**current, **changes}
    values = dict(changes)
    if {"name", "name_kana", "alternate_name", "description", "home_area_code"} & set(changes):
        values.update(derived_search_columns(merged))
    values["revision"] = new_revision
    assignments = ", ".join(f"{c} = %s" for c in values)
    if "natural_key" in values or "external_id" in values:
        try:
            with conn.transaction():
                return _update_organization_row(conn, organization_id, changes, values, assignments)
        except pg_errors.UniqueViolation:
            raise Conflict("another organisation has this name in this area, or this external id") from None
    return _update_organization_row(conn, organization_id, changes, values, assignments)


def _update_organization_row(conn, organization_id, changes, values, assignments) -> dict:
    extra = ", deactivated_at = CASE WHEN %s THEN now() ELSE NULL END" if "active" in changes else ""
    params = [_adapt(c, v) for c, v in values.items()]
    if extra:
        params.append(not changes["active"])
    params.append(organization_id)
    return conn.execute(f"UPDATE organizations SET {assignments}, updated_at = clock_timestamp(){extra} "
                        f"WHERE id = %s RETURNING {', '.join(ORG_COLUMNS)}", params).fetchone()


def insert_changes(conn, organization_id: str, revision: int, action_type: str, changes: list[tuple],
                   updated_by: str) -> None:
    """changes: (field_name, previous_value, replacement_value) — HSDS metadata rows."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO organization_changes (id, organization_id, revision, action_type, field_name, "
            "previous_value, replacement_value, updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(str(uuid.uuid4()), organization_id, revision, action_type, name, Jsonb(old), Jsonb(new), updated_by)
             for name, old, new in changes])


def list_changes(conn, organization_id: str) -> list[dict]:
    return conn.execute(
        "SELECT id, organization_id, revision, action_type, field_name, previous_value, replacement_value, "
        "updated_by, changed_at FROM organization_changes WHERE organization_id = %s ORDER BY revision, field_name",
        (organization_id,)).fetchall()


@dataclass
class DirectoryQuery:
    """A directory search; every condition narrows (AND)."""
    terms: list[str] = field(default_factory=list)
    taxonomy_codes: list[str] | None = None
    activity_types: list[str] | None = None
    area_codes_containing: list[str] | None = None  # the area and every area containing it
    legal_form: str | None = None
    referral_capacity: str | None = None
    published: bool | None = None
    include_inactive: bool = False
    modified_after: object = None
    platform_id: str | None = None
    membership_class: str | None = None
    membership_status: str | None = None
    # caller scope
    scope_home_areas: list[str] | None = None
    scope_service_areas: list[str] | None = None
    own_organization_id: str | None = None
    published_or_own: bool = False
    organization_id: str | None = None

    def where(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.organization_id is not None:
            clauses.append("o.id = %s::uuid")
            params.append(self.organization_id)
        if not self.include_inactive:
            clauses.append("o.active")
        if self.terms:
            grams = sorted(set().union(*(japanese_text.ngrams_of_term(t) for t in self.terms)))
            clauses.append("members_ngrams(o.search_text) @> %s::text[]")
            params.append(grams)
            for term in self.terms:
                clauses.append("o.search_text LIKE %s")
                params.append(japanese_text.like_pattern(term))
        if self.taxonomy_codes is not None:
            clauses.append("o.taxonomy_codes && %s::text[]")
            params.append(self.taxonomy_codes)
        if self.activity_types is not None:
            clauses.append("o.activity_types && %s::text[]")
            params.append(self.activity_types)
        if self.area_codes_containing is not None:
            clauses.append("o.service_area_codes && %s::text[]")
            params.append(self.area_codes_containing)
        for column in ("legal_form", "referral_capacity", "published"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"o.{column} = %s")
                params.append(value)
        if self.modified_after is not None:
            clauses.append("o.updated_at > %s")
            params.append(self.modified_after)
        if self.platform_id or self.membership_class or self.membership_status:
            sub = ["m.organization_id = o.id"]
            if self.platform_id:
                sub.append("m.platform_id = %s")
                params.append(self.platform_id)
            if self.membership_class:
                sub.append("m.membership_class = %s")
                params.append(self.membership_class)
            if self.membership_status:
                sub.append("m.status = %s")
                params.append(self.membership_status)
            else:
                sub.append("m.status <> 'withdrawn'")
            clauses.append(f"EXISTS (SELECT 1 FROM memberships m WHERE {' AND '.join(sub)})")
        if self.scope_home_areas is not None:
            clauses.append("(o.home_area_code = ANY(%s::text[]) OR o.service_area_codes && %s::text[])")
            params += [self.scope_home_areas, self.scope_service_areas]
        if self.published_or_own:
            clauses.append("((o.published AND o.active) OR o.id = %s::uuid)")
            params.append(self.own_organization_id)
        return (" AND ".join(clauses) or "TRUE"), params


def search_organizations(conn, query: DirectoryQuery, page: int, per_page: int) -> tuple[list[dict], int]:
    """One page in name order plus the total. Matching and counting work on narrow (id, natural_key) rows; only
    the page's rows are read in full, so a broad query does not sort or spill thousands of wide rows."""
    where, params = query.where()
    rows = conn.execute(
        f"WITH matches AS MATERIALIZED (SELECT o.id, o.natural_key FROM organizations o WHERE {where}), "
        f"page AS (SELECT id, natural_key FROM matches ORDER BY natural_key, id LIMIT %s OFFSET %s) "
        f"SELECT {ORG_SELECT}, (SELECT count(*) FROM matches) AS total_items "
        f"FROM page JOIN organizations o ON o.id = page.id ORDER BY page.natural_key, page.id",
        params + [per_page, (page - 1) * per_page]).fetchall()
    if rows:
        return rows, rows[0]["total_items"]
    if page == 1:
        return [], 0
    total = conn.execute(f"SELECT count(*) AS n FROM organizations o WHERE {where}", params).fetchone()["n"]
    return [], total


def export_organizations(conn, query: DirectoryQuery, after: tuple | None, limit: int) -> list[dict]:
    """Keyset pages ordered by (updated_at, id), for streaming everything (format=ndjson)."""
    where, params = query.where()
    if after is not None:
        where += " AND (o.updated_at, o.id) > (%s, %s::uuid)"
        params += list(after)
    return conn.execute(f"SELECT {ORG_SELECT} FROM organizations o WHERE {where} ORDER BY o.updated_at, o.id "
                        f"LIMIT %s", params + [limit]).fetchall()


def memberships_of_organizations(conn, organization_ids: list[str]) -> dict[str, list[dict]]:
    if not organization_ids:
        return {}
    rows = conn.execute(
        "SELECT m.id, m.organization_id, m.platform_id, p.name AS platform_name, p.area_code AS platform_area_code, "
        "p.level AS platform_level, m.membership_class, m.status, m.status_since, m.joined_on "
        "FROM memberships m JOIN platforms p ON p.id = m.platform_id "
        "WHERE m.organization_id = ANY(%s::uuid[]) ORDER BY p.area_code, p.name", (list(organization_ids),))
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(str(r["organization_id"]), []).append(r)
    return out


# ---- platforms --------------------------------------------------------------------------------------------
PF_COLUMNS = ("id", "name", "level", "area_code", "parent_platform_id", "description", "phase", "phase_since",
              "first_meeting_on", "secretariat_organization_ids", "existing_bodies", "two_tier", "revision",
              "created_at", "updated_at")


def insert_platform(conn, pf: dict) -> dict:
    columns = [c for c in pf if c not in ("created_at", "updated_at")]
    return conn.execute(
        f"INSERT INTO platforms ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"RETURNING {', '.join(PF_COLUMNS)}", [pf[c] for c in columns]).fetchone()


def get_platform(conn, platform_id: str, for_update: bool = False) -> dict | None:
    try:
        uuid.UUID(str(platform_id))
    except ValueError:
        return None
    lock = " FOR UPDATE" if for_update else ""
    return conn.execute(f"SELECT {', '.join(PF_COLUMNS)} FROM platforms WHERE id = %s{lock}",
                        (platform_id,)).fetchone()


def update_platform(conn, platform_id: str, changes: dict, new_revision: int) -> dict:
    values = {**changes, "revision": new_revision}
    assignments = ", ".join(f"{c} = %s" for c in values)
    return conn.execute(f"UPDATE platforms SET {assignments}, updated_at = clock_timestamp() WHERE id = %s "
                        f"RETURNING {', '.join(PF_COLUMNS)}", list(values.values()) + [platform_id]).fetchone()


def insert_phase_history(conn, platform_id: str, from_phase, to_phase, effective_on, reason, actor) -> None:
    conn.execute("INSERT INTO platform_phase_history (platform_id, from_phase, to_phase, effective_on, reason, "
                 "actor) VALUES (%s, %s, %s, %s, %s, %s)",
                 (platform_id, from_phase, to_phase, effective_on, reason, actor))


def phase_histories(conn, platform_ids: list[str]) -> dict[str, list[dict]]:
    if not platform_ids:
        return {}
    out: dict[str, list[dict]] = {}
    for r in conn.execute("SELECT platform_id, from_phase, to_phase, effective_on, reason, actor "
                          "FROM platform_phase_history WHERE platform_id = ANY(%s::uuid[]) ORDER BY effective_on, id",
                          (list(platform_ids),)):
        out.setdefault(str(r["platform_id"]), []).append(r)
    return out


def list_platforms(conn, area_codes: list[str] | None = None, level: str | None = None, phase: str | None = None,
                   ids: list[str] | None = None) -> list[dict]:
    clauses, params = [], []
    if area_codes is not None:
        clauses.append("area_code = ANY(%s::text[])")
        params.append(area_codes)
    if ids is not None:
        clauses.append("id = ANY(%s::uuid[])")
        params.append(ids)
    if level:
        clauses.append("level = %s")
        params.append(level)
    if phase:
        clauses.append("phase = %s")
        params.append(phase)
    where = " AND ".join(clauses) or "TRUE"
    return conn.execute(f"SELECT {', '.join(PF_COLUMNS)} FROM platforms WHERE {where} ORDER BY area_code, name",
                        params).fetchall()


def platforms_of_organization(conn, organization_id: str) -> list[str]:
    rows = conn.execute("SELECT DISTINCT platform_id FROM memberships WHERE organization_id = %s "
                        "UNION SELECT id FROM platforms WHERE %s::uuid = ANY(secretariat_organization_ids)",
                        (organization_id, organization_id))
    return [str(r["platform_id"]) for r in rows]


def organization_is_member(conn, organization_id: str, platform_id: str) -> bool:
    return conn.execute("SELECT 1 FROM memberships WHERE organization_id = %s AND platform_id = %s LIMIT 1",
                        (organization_id, platform_id)).fetchone() is not None


# ---- memberships ------------------------------------------------------------------------------------------
M_COLUMNS = ("id", "organization_id", "platform_id", "membership_class", "status", "recruitment_source",
             "status_since", "joined_on", "revision", "created_at", "updated_at")


def current_membership(conn, organization_id: str, platform_id: str, for_update: bool = False) -> dict | None:
    lock = " FOR UPDATE" if for_update else ""
    return conn.execute(f"SELECT {', '.join(M_COLUMNS)} FROM memberships WHERE organization_id = %s "
                        f"AND platform_id = %s AND status <> 'withdrawn'{lock}",
                        (organization_id, platform_id)).fetchone()


def get_membership(conn, membership_id: str, for_update: bool = False) -> dict | None:
    try:
        uuid.UUID(str(membership_id))
    except ValueError:
        return None
    lock = " FOR UPDATE" if for_update else ""
    return conn.execute(f"SELECT {', '.join(M_COLUMNS)} FROM memberships WHERE id = %s{lock}",
                        (membership_id,)).fetchone()


def insert_membership(conn, m: dict) -> dict:
    columns = list(m)
    try:
        with conn.transaction():
            return conn.execute(
                f"INSERT INTO memberships ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
                f"RETURNING {', '.join(M_COLUMNS)}", [m[c] for c in columns]).fetchone()
    except pg_errors.UniqueViolation:
        raise Conflict("the organisation already has a membership of this PF") from None


def update_membership(conn, membership_id: str, changes: dict) -> dict:
    assignments = ", ".join(f"{c} = %s" for c in changes)
    return conn.execute(f"UPDATE memberships SET {assignments}, revision = revision + 1, "
                        f"updated_at = clock_timestamp() WHERE id = %s RETURNING {', '.join(M_COLUMNS)}",
                        list(changes.values()) + [membership_id]).fetchone()


def insert_membership_history(conn, membership_id: str, step, actor: str) -> None:
    conn.execute("INSERT INTO membership_history (membership_id, action, from_status, to_status, membership_class, "
                 "effective_on, reason, actor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                 (membership_id, step.action, step.from_status, step.to_status, step.membership_class,
                  step.effective_on, step.reason, actor))


def membership_histories(conn, membership_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if not membership_ids:
        return out
    for r in conn.execute("SELECT membership_id, action, from_status, to_status, membership_class, effective_on, "
                          "reason, actor, recorded_at FROM membership_history WHERE membership_id = ANY(%s::uuid[]) "
                          "ORDER BY id", (list(membership_ids),)):
        out.setdefault(str(r["membership_id"]), []).append(r)
    return out


def last_effective_on(conn, membership_id: str):
    row = conn.execute("SELECT max(effective_on) AS d FROM membership_history WHERE membership_id = %s",
                       (membership_id,)).fetchone()
    return row["d"]


def list_platform_members(conn, platform_id: str, status: str | None, membership_class: str | None,
                          page: int, per_page: int) -> tuple[list[dict], int]:
    clauses, params = ["m.platform_id = %s"], [platform_id]
    if status:
        clauses.append("m.status = %s")
        params.append(status)
    if membership_class:
        clauses.append("m.membership_class = %s")
        params.append(membership_class)
    rows = conn.execute(
        f"SELECT {', '.join('m.' + c for c in M_COLUMNS)}, o.name AS organization_name, o.legal_form, "
        f"count(*) OVER () AS total_items FROM memberships m JOIN organizations o ON o.id = m.organization_id "
        f"WHERE {' AND '.join(clauses)} "
        f"ORDER BY CASE m.membership_class WHEN 'steering' THEN 0 WHEN 'core' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, "
        f"o.natural_key, m.id LIMIT %s OFFSET %s", params + [per_page, (page - 1) * per_page]).fetchall()
    total = rows[0]["total_items"] if rows else 0
    if not rows and page > 1:
        total = conn.execute(f"SELECT count(*) AS n FROM memberships m WHERE {' AND '.join(clauses)}",
                             params).fetchone()["n"]
    return rows, total


def search_services(conn, query: DirectoryQuery, activity_type: str | None, page: int, per_page: int
                    ) -> tuple[list[dict], int]:
    """HSDS services: one per (published organisation, activity type); an organisation without activity types
    offers one general service ('other')."""
    where, params = query.where()
    extra = ""
    if activity_type:
        extra = " AND s.activity_type = %s"
        params = params + [activity_type]
    rows = conn.execute(
        f"SELECT {ORG_SELECT}, s.activity_type, count(*) OVER () AS total_items FROM organizations o "
        f"CROSS JOIN LATERAL unnest(CASE WHEN cardinality(o.activity_types) = 0 THEN ARRAY['other'] "
        f"ELSE o.activity_types END) AS s(activity_type) WHERE {where}{extra} "
        f"ORDER BY o.natural_key, o.id, s.activity_type LIMIT %s OFFSET %s",
        params + [per_page, (page - 1) * per_page]).fetchall()
    if rows:
        return rows, rows[0]["total_items"]
    if page == 1:
        return [], 0
    total = conn.execute(
        f"SELECT count(*) AS n FROM organizations o CROSS JOIN LATERAL unnest(CASE WHEN cardinality(o.activity_types)"
        f" = 0 THEN ARRAY['other'] ELSE o.activity_types END) AS s(activity_type) WHERE {where}{extra}",
        params).fetchone()["n"]
    return [], total


# ---- statistics (state as of a date, reconstructed from the dated histories) --------------------------------
# Each history is read only for the scope's PFs (the scope's platforms first, then their histories by index):
# the whole country's history sorted for DISTINCT ON took seconds at national scale whatever the scope.
_PF_AS_OF = """
    SELECT p.id, p.name, p.level, p.area_code, p.parent_platform_id, s.phase, s.since
    FROM platforms p CROSS JOIN LATERAL (
        SELECT h.to_phase AS phase, h.effective_on AS since FROM platform_phase_history h
        WHERE h.platform_id = p.id AND h.effective_on <= %(as_of)s
        ORDER BY h.effective_on DESC, h.id DESC LIMIT 1) s
    WHERE p.area_code = ANY(%(areas)s::text[]) ORDER BY p.area_code, p.name"""

# One pass over the scope's memberships: each one's state on the date (its latest history step by then) and,
# for new_per_month, its first activation by then; the three breakdowns are summed from that one set.
_MEMBERSHIP_COUNTS_AS_OF = """
    WITH current AS (
        SELECT m.id, m.platform_id, p.area_code, s.status, s.membership_class, o.legal_form, o.taxonomy_codes,
               (SELECT min(a.effective_on) FROM membership_history a WHERE a.membership_id = m.id
                AND a.to_status = 'active' AND a.effective_on <= %(as_of)s) AS activated_on
        FROM platforms p JOIN memberships m ON m.platform_id = p.id JOIN organizations o ON o.id = m.organization_id
        CROSS JOIN LATERAL (
            SELECT h.to_status AS status, h.membership_class FROM membership_history h
            WHERE h.membership_id = m.id AND h.effective_on <= %(as_of)s
            ORDER BY h.effective_on DESC, h.id DESC LIMIT 1) s
        WHERE p.area_code = ANY(%(areas)s::text[]))
    SELECT 'by_platform' AS figure, area_code, platform_id::text, status, membership_class AS value, count(*) AS n
    FROM current GROUP BY area_code, platform_id, status, membership_class
    UNION ALL
    SELECT 'by_legal_form', area_code, NULL, NULL, legal_form, count(*) FROM current WHERE status = 'active'
    GROUP BY area_code, legal_form
    UNION ALL
    SELECT 'by_field', area_code, NULL, NULL, field, count(*)
    FROM current CROSS JOIN LATERAL unnest(taxonomy_codes) AS field WHERE status = 'active' GROUP BY area_code, field
    UNION ALL
    SELECT 'new_per_month', area_code, NULL, NULL, to_char(activated_on, 'YYYY-MM'), count(*)
    FROM current WHERE activated_on IS NOT NULL GROUP BY area_code, to_char(activated_on, 'YYYY-MM')"""


def platforms_as_of(conn, areas: list[str], as_of) -> list[dict]:
    return conn.execute(_PF_AS_OF, {"areas": areas, "as_of": as_of}).fetchall()


def membership_counts_as_of(conn, areas: list[str], as_of) -> dict[str, list[dict]]:
    """by_platform (area_code, platform_id, status, membership_class, n); by_legal_form (area_code, legal_form,
    n) and by_field (area_code, field, n) of active members; new_per_month (area_code, month, n) of first
    activations."""
    out: dict[str, list[dict]] = {"by_platform": [], "by_legal_form": [], "by_field": [], "new_per_month": []}
    column = {"by_platform": "membership_class", "by_legal_form": "legal_form", "by_field": "field",
              "new_per_month": "month"}
    # Thousands of rows for a prefecture: fetched at once as tuples (row-by-row dicts cost more than the SQL)
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(_MEMBERSHIP_COUNTS_AS_OF, {"areas": areas, "as_of": as_of}).fetchall()
    for figure, area_code, platform_id, status, value, n in rows:
        entry = {"area_code": area_code, column[figure]: value, "n": n}
        if figure == "by_platform":
            entry.update(platform_id=platform_id, status=status)
        out[figure].append(entry)
    return out
