"""SQL for the events service (psycopg 3, dict rows). Every function takes the unit of work's connection,
so it runs inside the caller's transaction."""
from __future__ import annotations

from psycopg.types.json import Jsonb

from services.servicekit.jsonable import jsonable
from services.servicekit.japanese_text import like_pattern
from .registration_lifecycle import COUNTED_STATUSES

EVENT_COLUMNS = ("type", "host_platform_id", "host_level", "area_code", "co_hosts", "contractor", "title",
                 "description", "audiences", "public", "registration_enabled", "capacity",
                 "registration_opens_at", "registration_closes_at", "waitlist_enabled", "approval_required",
                 "offer_expiration_hours", "speakers", "archive_media_url", "archive_view_count",
                 "archive_views_as_of", "trial_project_id", "first_day", "last_day", "fiscal_year", "search_text")
JSON_COLUMNS = {"co_hosts", "speakers"}


def _value(column, value):
    return Jsonb(jsonable(value)) if column in JSON_COLUMNS else value


# --- local copies -----------------------------------------------------------------------------------------
def platform(conn, platform_id) -> dict | None:
    return conn.execute("SELECT * FROM platforms WHERE id = %s AND level IS NOT NULL", (platform_id,)).fetchone()


def organization(conn, organization_id) -> dict | None:
    return conn.execute("SELECT * FROM organizations WHERE id = %s", (organization_id,)).fetchone()


def active_membership(conn, organization_id, platform_id) -> dict | None:
    return conn.execute("SELECT * FROM memberships WHERE organization_id = %s AND platform_id = %s "
                        "AND status = 'active'", (organization_id, platform_id)).fetchone()


def platforms_of_organization(conn, organization_id) -> list:
    return [r["platform_id"] for r in conn.execute(
        "SELECT platform_id FROM memberships WHERE organization_id = %s AND status = 'active'",
        (organization_id,))]


# --- events -----------------------------------------------------------------------------------------------
def insert_event(conn, event_id, data: dict, sessions: list[dict]) -> None:
    columns = ["id", *EVENT_COLUMNS]
    conn.execute(f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                 [event_id, *(_value(c, data.get(c)) for c in EVENT_COLUMNS)])
    replace_sessions(conn, event_id, sessions)


def replace_sessions(conn, event_id, sessions: list[dict]) -> None:
    conn.execute("DELETE FROM event_sessions WHERE event_id = %s", (event_id,))
    for i, s in enumerate(sessions, start=1):
        conn.execute(
            "INSERT INTO event_sessions (event_id, position, label, date, start_time, end_time, venue_name, "
            "venue_area_code, online_url) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (event_id, i, s.get("label"), s["date"], s.get("start_time"), s.get("end_time"), s.get("venue_name"),
             s.get("venue_area_code"), s.get("online_url")))


def update_event(conn, event_id, changes: dict) -> None:
    if not changes:
        conn.execute("UPDATE events SET revision = revision + 1, updated_at = now() WHERE id = %s", (event_id,))
        return
    sets = ", ".join(f"{c} = %s" for c in changes)
    conn.execute(f"UPDATE events SET {sets}, revision = revision + 1, updated_at = now() WHERE id = %s",
                 [*(_value(c, v) for c, v in changes.items()), event_id])


# An event row with its host PF's secretariat organisations (who besides the office may manage it: access.py).
EVENT_WITH_SECRETARIAT = ("e.*, p.secretariat_organization_ids AS host_secretariat_ids FROM events e "
                          "LEFT JOIN platforms p ON p.id = e.host_platform_id")


def event(conn, event_id, lock: bool = False) -> dict | None:
    """One event; `lock=True` takes its row lock, which serialises every change to its places."""
    return conn.execute(f"SELECT {EVENT_WITH_SECRETARIAT} WHERE e.id = %s" + (" FOR UPDATE OF e" if lock else ""),
                        (event_id,)).fetchone()


def sessions_of(conn, event_ids) -> dict:
    out: dict = {}
    for row in conn.execute("SELECT * FROM event_sessions WHERE event_id = ANY(%s) ORDER BY event_id, position",
                            (list(event_ids),)):
        out.setdefault(str(row["event_id"]), []).append(row)
    return out


def events(conn, *, fiscal_year=None, status=None, type_=None, platform_id=None, trial_project_id=None,
           public_only=False, area_codes=None, text=None, limit=500, offset=0) -> list[dict]:
    where, args = [], []
    if text:
        where.append("search_text LIKE %s")
        args.append(like_pattern(text))
    for column, value in (("fiscal_year", fiscal_year), ("status", status), ("type", type_),
                          ("host_platform_id", platform_id), ("trial_project_id", trial_project_id)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    if public_only:
        where.append("public")
    if area_codes is not None:
        where.append("area_code = ANY(%s)")
        args.append(list(area_codes))
    sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY first_day, created_at LIMIT %s OFFSET %s"
    return conn.execute(sql, [*args, limit, offset]).fetchall()


def events_visible_to_organization(conn, organization_id, filters: dict) -> list[dict]:
    """Events an organisation's staff may see: those of PFs whose secretariat it is part of, those it registered
    for, and (once open) public ones and those of PFs it is an active member of."""
    where, args = [], [organization_id, organization_id, organization_id]
    for column, key in (("fiscal_year", "fiscal_year"), ("status", "status"), ("type", "type"),
                        ("host_platform_id", "platform_id")):
        if filters.get(key) is not None:
            where.append(f"e.{column} = %s")
            args.append(filters[key])
    if filters.get("q"):
        where.append("e.search_text LIKE %s")
        args.append(like_pattern(filters["q"]))
    sql = (f"SELECT {EVENT_WITH_SECRETARIAT} WHERE (%s = ANY(p.secretariat_organization_ids) "
           "OR EXISTS (SELECT 1 FROM registrations r WHERE r.event_id = e.id "
           "AND r.organization_id = %s) OR (e.status IN ('open', 'closed', 'held') AND (e.public OR EXISTS ("
           "SELECT 1 FROM memberships m WHERE m.platform_id = e.host_platform_id AND m.organization_id = %s "
           "AND m.status = 'active'))))")
    sql += "".join(f" AND {w}" for w in where) + " ORDER BY e.first_day, e.created_at LIMIT %s OFFSET %s"
    return conn.execute(sql, [*args, filters.get("limit", 200), filters.get("offset", 0)]).fetchall()


def seat_counts(conn, event_id) -> dict:
    row = conn.execute(
        "SELECT coalesce(sum(people) FILTER (WHERE status = ANY(%s)), 0) AS counted_seats, "
        "count(*) FILTER (WHERE status = 'on_waitlist') AS waiting, "
        "count(*) FILTER (WHERE status = 'awaiting_approval') AS awaiting_approval "
        "FROM registrations WHERE event_id = %s", (list(COUNTED_STATUSES), event_id)).fetchone()
    return {k: int(v) for k, v in row.items()}


def waitlist(conn, event_id) -> list[tuple]:
    return [(r["id"], r["people"]) for r in conn.execute(
        "SELECT id, people FROM registrations WHERE event_id = %s AND status = 'on_waitlist' ORDER BY seq",
        (event_id,))]


# --- registrations ----------------------------------------------------------------------------------------
def insert_registration(conn, r: dict) -> dict:
    return conn.execute(
        "INSERT INTO registrations (id, event_id, participant_kind, organization_id, people, attendee_category, "
        "status, personal_key_id, personal_sealed, offered_at, offer_expires_at, created_by) "
        "VALUES (%(id)s, %(event_id)s, %(participant_kind)s, %(organization_id)s, %(people)s, "
        "%(attendee_category)s, %(status)s, %(personal_key_id)s, %(personal_sealed)s, %(offered_at)s, "
        "%(offer_expires_at)s, %(created_by)s) RETURNING *", r).fetchone()


def registration(conn, registration_id, lock: bool = False) -> dict | None:
    return conn.execute("SELECT * FROM registrations WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                        (registration_id,)).fetchone()


def registrations_of(conn, event_id, status=None, organization_id=None) -> list[dict]:
    sql, args = "SELECT * FROM registrations WHERE event_id = %s", [event_id]
    if status:
        sql += " AND status = %s"
        args.append(status)
    if organization_id:
        sql += " AND organization_id = %s"
        args.append(organization_id)
    return conn.execute(sql + " ORDER BY seq", args).fetchall()


def registrations_of_organization(conn, organization_id) -> list[dict]:
    return conn.execute("SELECT * FROM registrations WHERE organization_id = %s ORDER BY seq",
                        (organization_id,)).fetchall()


def set_registration_status(conn, registration_id, from_status, to_status, changed_by, reason=None,
                            extra: dict | None = None) -> dict:
    extra = extra or {}
    sets = "".join(f", {c} = %s" for c in extra)
    row = conn.execute(
        f"UPDATE registrations SET status = %s, revision = revision + 1, status_changed_at = now(){sets} "
        "WHERE id = %s RETURNING *", [to_status, *extra.values(), registration_id]).fetchone()
    conn.execute("INSERT INTO registration_status_log (registration_id, from_status, to_status, changed_by, reason) "
                 "VALUES (%s, %s, %s, %s, %s)", (registration_id, from_status, to_status, changed_by, reason))
    return row


def log_initial_status(conn, registration_id, status, changed_by) -> None:
    conn.execute("INSERT INTO registration_status_log (registration_id, from_status, to_status, changed_by) "
                 "VALUES (%s, NULL, %s, %s)", (registration_id, status, changed_by))


def status_log(conn, registration_id) -> list[dict]:
    return conn.execute("SELECT from_status, to_status, changed_by, reason, changed_at FROM registration_status_log "
                        "WHERE registration_id = %s ORDER BY id", (registration_id,)).fetchall()


def expired_offers(conn, now) -> list[dict]:
    return conn.execute(
        "SELECT id, event_id FROM registrations WHERE status IN ('pending_from_waitlist', 'pending_from_approval') "
        "AND offer_expires_at IS NOT NULL AND offer_expires_at <= %s ORDER BY seq", (now,)).fetchall()


def erase_personal_data(conn, today, retention_days: int) -> int:
    """Erase named participants' data N days after their event's last day (or its cancellation)."""
    cur = conn.execute(
        "UPDATE registrations r SET personal_sealed = NULL, personal_key_id = NULL, personal_erased_at = now() "
        "FROM events e WHERE r.event_id = e.id AND r.personal_sealed IS NOT NULL AND ("
        "  e.last_day + %s < %s OR (e.status = 'cancelled' AND e.cancelled_at::date + %s < %s))",
        (retention_days, today, retention_days, today))
    return cur.rowcount


# --- attendance, surveys, handouts -----------------------------------------------------------------------
def replace_attendance_counts(conn, event_id, counts: dict[str, int]) -> None:
    conn.execute("DELETE FROM attendance_counts WHERE event_id = %s", (event_id,))
    for category, people in counts.items():
        conn.execute("INSERT INTO attendance_counts (event_id, category, people) VALUES (%s, %s, %s)",
                     (event_id, category, people))


def attendance_by_category(conn, event_ids) -> dict:
    """{event_id: {category: people}} from head counts, plus attended registrations."""
    out: dict = {}
    for row in conn.execute(
            "SELECT event_id, category, people FROM attendance_counts WHERE event_id = ANY(%s) "
            "UNION ALL SELECT event_id, attendee_category, coalesce(attended_people, people) FROM registrations "
            "WHERE event_id = ANY(%s) AND status = 'attended'", (list(event_ids), list(event_ids))):
        cats = out.setdefault(row["event_id"], {})
        cats[row["category"]] = cats.get(row["category"], 0) + int(row["people"])
    return out


def replace_survey(conn, event_id, respondents: int, questions: list[dict]) -> None:
    conn.execute("INSERT INTO surveys (event_id, respondents) VALUES (%s, %s) ON CONFLICT (event_id) DO UPDATE "
                 "SET respondents = EXCLUDED.respondents, recorded_at = now(), revision = surveys.revision + 1",
                 (event_id, respondents))
    conn.execute("DELETE FROM survey_questions WHERE event_id = %s", (event_id,))
    for q in questions:
        conn.execute(
            "INSERT INTO survey_questions (event_id, position, template_code, kind, text, options, answered, counts, "
            "free_text_answers) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (event_id, q["position"], q["template_code"], q["kind"], q["text"], Jsonb(q["options"]), q["answered"],
             Jsonb(q["counts"]), q["free_text_answers"]))


def survey(conn, event_id) -> dict | None:
    head = conn.execute("SELECT * FROM surveys WHERE event_id = %s", (event_id,)).fetchone()
    if head is None:
        return None
    head["questions"] = conn.execute("SELECT * FROM survey_questions WHERE event_id = %s ORDER BY position",
                                     (event_id,)).fetchall()
    return head


def surveys_of(conn, event_ids) -> dict:
    out = {r["event_id"]: {**r, "questions": []} for r in conn.execute(
        "SELECT * FROM surveys WHERE event_id = ANY(%s)", (list(event_ids),))}
    for q in conn.execute("SELECT * FROM survey_questions WHERE event_id = ANY(%s) ORDER BY event_id, position",
                          (list(event_ids),)):
        out[q["event_id"]]["questions"].append(q)
    return out


def insert_handout(conn, h: dict, distributions: list[dict]) -> None:
    conn.execute(
        "INSERT INTO handouts (id, platform_id, level, area_code, event_id, trial_project_id, item, kind, "
        "copies_printed, distributed_on, fiscal_year) VALUES (%(id)s, %(platform_id)s, %(level)s, %(area_code)s, "
        "%(event_id)s, %(trial_project_id)s, %(item)s, %(kind)s, %(copies_printed)s, %(distributed_on)s, "
        "%(fiscal_year)s)", h)
    for i, d in enumerate(distributions, start=1):
        conn.execute("INSERT INTO handout_distributions (handout_id, position, site_kind, site_count, copies) "
                     "VALUES (%s, %s, %s, %s, %s)", (h["id"], i, d["site_kind"], d.get("site_count"), d["copies"]))


def handout(conn, handout_id) -> dict | None:
    row = conn.execute("SELECT * FROM handouts WHERE id = %s", (handout_id,)).fetchone()
    if row:
        row["distributions"] = distributions_of(conn, [handout_id]).get(row["id"], [])
    return row


def distributions_of(conn, handout_ids) -> dict:
    out: dict = {}
    for d in conn.execute("SELECT * FROM handout_distributions WHERE handout_id = ANY(%s) ORDER BY position",
                          (list(handout_ids),)):
        out.setdefault(d["handout_id"], []).append(d)
    return out


def handouts(conn, *, fiscal_year=None, event_id=None, trial_project_id=None) -> list[dict]:
    where, args = [], []
    for column, value in (("fiscal_year", fiscal_year), ("event_id", event_id),
                          ("trial_project_id", trial_project_id)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    rows = conn.execute("SELECT * FROM handouts" + (" WHERE " + " AND ".join(where) if where else "")
                        + " ORDER BY distributed_on, created_at", args).fetchall()
    dist = distributions_of(conn, [r["id"] for r in rows])
    for r in rows:
        r["distributions"] = dist.get(r["id"], [])
    return rows


# --- trial projects ---------------------------------------------------------------------------------------
def insert_trial_project(conn, p: dict, contractors: list[dict], kpis: list[dict]) -> None:
    conn.execute(
        "INSERT INTO trial_projects (id, fiscal_year, platform_id, level, area_code, name, content, kpi_text, "
        "timing_text, starts_on, ends_on) VALUES (%(id)s, %(fiscal_year)s, %(platform_id)s, %(level)s, "
        "%(area_code)s, %(name)s, %(content)s, %(kpi_text)s, %(timing_text)s, %(starts_on)s, %(ends_on)s)", p)
    for i, c in enumerate(contractors, start=1):
        conn.execute("INSERT INTO trial_project_contractors (trial_project_id, position, name, amount_yen, note) "
                     "VALUES (%s, %s, %s, %s, %s)", (p["id"], i, c["name"], c.get("amount_yen"), c.get("note")))
    for i, k in enumerate(kpis, start=1):
        conn.execute("INSERT INTO trial_project_kpis (trial_project_id, code, position, label, unit, direction, "
                     "target) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                     (p["id"], k["code"], i, k["label"], k.get("unit"), k.get("direction", "at_least"),
                      k.get("target")))


def trial_project(conn, project_id, lock=False) -> dict | None:
    row = conn.execute("SELECT * FROM trial_projects WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                       (project_id,)).fetchone()
    if row:
        _attach_project_parts(conn, [row])
    return row


def trial_projects(conn, *, fiscal_year=None) -> list[dict]:
    sql, args = "SELECT * FROM trial_projects", []
    if fiscal_year is not None:
        sql += " WHERE fiscal_year = %s"
        args.append(fiscal_year)
    rows = conn.execute(sql + " ORDER BY fiscal_year, area_code, created_at", args).fetchall()
    _attach_project_parts(conn, rows)
    return rows


def _attach_project_parts(conn, rows):
    ids = [r["id"] for r in rows]
    contractors, kpis, linked = {}, {}, {}
    for c in conn.execute("SELECT * FROM trial_project_contractors WHERE trial_project_id = ANY(%s) "
                          "ORDER BY position", (ids,)):
        contractors.setdefault(c["trial_project_id"], []).append(c)
    for k in conn.execute("SELECT * FROM trial_project_kpis WHERE trial_project_id = ANY(%s) ORDER BY position",
                          (ids,)):
        kpis.setdefault(k["trial_project_id"], []).append(k)
    for e in conn.execute("SELECT id, trial_project_id FROM events WHERE trial_project_id = ANY(%s) "
                          "ORDER BY first_day", (ids,)):
        linked.setdefault(e["trial_project_id"], {"events": [], "handouts": []})["events"].append(e["id"])
    for h in conn.execute("SELECT id, trial_project_id FROM handouts WHERE trial_project_id = ANY(%s)", (ids,)):
        linked.setdefault(h["trial_project_id"], {"events": [], "handouts": []})["handouts"].append(h["id"])
    for r in rows:
        r["contractors"] = contractors.get(r["id"], [])
        r["kpis"] = kpis.get(r["id"], [])
        r["event_ids"] = linked.get(r["id"], {}).get("events", [])
        r["handout_ids"] = linked.get(r["id"], {}).get("handouts", [])


def record_measurements(conn, project_id, measurements: dict, text, verified_on) -> None:
    for code, m in measurements.items():
        conn.execute("UPDATE trial_project_kpis SET measured = %s, measured_note = %s "
                     "WHERE trial_project_id = %s AND code = %s", (m.get("measured"), m.get("note"), project_id, code))
    conn.execute("UPDATE trial_projects SET status = 'verified', verification_text = %s, verified_on = %s, "
                 "revision = revision + 1, updated_at = now() WHERE id = %s", (text, verified_on, project_id))


# --- audit ------------------------------------------------------------------------------------------------
def audit_export(conn, event_id, principal, rows: int, personal: bool, correlation_id) -> None:
    conn.execute("INSERT INTO participant_exports (event_id, subject, role, area, rows_exported, personal_included, "
                 "correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (event_id, principal.subject, principal.role, principal.area, rows, personal, correlation_id))


def audit_personal_read(conn, registration, principal, correlation_id) -> None:
    conn.execute("INSERT INTO registration_personal_reads (registration_id, event_id, subject, role, area, "
                 "correlation_id) VALUES (%s, %s, %s, %s, %s, %s)",
                 (registration["id"], registration["event_id"], principal.subject, principal.role, principal.area,
                  correlation_id))


def personal_reads_of(conn, event_id) -> list[dict]:
    return conn.execute("SELECT registration_id, subject, role, area, correlation_id, read_at "
                        "FROM registration_personal_reads WHERE event_id = %s ORDER BY id", (event_id,)).fetchall()


def exports_of(conn, event_id) -> list[dict]:
    return conn.execute("SELECT subject, role, area, rows_exported, personal_included, correlation_id, exported_at "
                        "FROM participant_exports WHERE event_id = %s ORDER BY id", (event_id,)).fetchall()
