"""SQL for the dashboard statistics. Events, attendance and surveys are summed in PostgreSQL per bucket
(fiscal year, area, host level) and kept in event_statistics (recomputed when triggers have marked a bucket
stale); handouts and trial projects are few and read per (fiscal year, area) directly. Everything is grouped by
(area_code, level) so that the use case applies the read rule per group, not per row."""
from __future__ import annotations

from psycopg.types.json import Jsonb

from .survey_results import TEMPLATES

# The buckets to recompute, as a relation: (fiscal_year, area_code, level).
_BUCKETS = ("(SELECT * FROM unnest(%(fys)s::int[], %(areas)s::text[], %(levels)s::text[]) "
            "AS b(fiscal_year, area_code, level))")
_BUCKET_EVENTS = (f"SELECT e.id, e.fiscal_year, e.area_code, e.host_level AS level, e.status, e.type, e.first_day "
                  f"FROM {_BUCKETS} b JOIN events e ON e.fiscal_year = b.fiscal_year AND e.area_code = b.area_code "
                  f"AND e.host_level = b.level")
_HELD_EVENTS = f"SELECT * FROM ({_BUCKET_EVENTS}) be WHERE status = 'held'"


def _bucket_params(buckets) -> dict:
    buckets = list(buckets)
    return {"fys": [b[0] for b in buckets], "areas": [b[1] for b in buckets], "levels": [b[2] for b in buckets]}


# Marks are locked in one order (then deleted), so that two refreshers claiming overlapping marks queue up
# instead of deadlocking; the second finds the first's marks gone and reads what the first wrote.
_CLAIM = ("DELETE FROM event_statistics_stale s USING ("
          "  SELECT ctid FROM event_statistics_stale WHERE {where} "
          "  ORDER BY fiscal_year, area_code, level, ctid FOR UPDATE) claimed "
          "WHERE s.ctid = claimed.ctid RETURNING s.fiscal_year, s.area_code, s.level")


def claim_stale_buckets(conn, fiscal_years, codes) -> set[tuple]:
    """Take the stale marks of these years and areas: {(fiscal_year, area_code, level)}."""
    return {(r["fiscal_year"], r["area_code"], r["level"]) for r in conn.execute(
        _CLAIM.format(where="fiscal_year = ANY(%s) AND area_code = ANY(%s)"), (list(fiscal_years), list(codes)))}


def claim_any_stale_buckets(conn, limit: int) -> set[tuple]:
    """Take every mark of up to `limit` stale buckets, whichever years and areas (for housekeeping)."""
    return {(r["fiscal_year"], r["area_code"], r["level"]) for r in conn.execute(
        _CLAIM.format(where="(fiscal_year, area_code, level) IN (SELECT DISTINCT fiscal_year, area_code, level "
                            "FROM event_statistics_stale ORDER BY 1, 2, 3 LIMIT %s)"), (limit,))}


def event_counts(conn, buckets) -> list[dict]:
    """(fiscal_year, area_code, level, status, type, month, n) for every event of the buckets, whatever its
    status (an area with only planned events still appears on the dashboard, with zeros)."""
    return conn.execute(
        f"SELECT fiscal_year, area_code, level, status, type, to_char(first_day, 'YYYY-MM') AS month, count(*) AS n "
        f"FROM ({_BUCKET_EVENTS}) be GROUP BY 1, 2, 3, 4, 5, 6", _bucket_params(buckets)).fetchall()


def attendance(conn, buckets) -> list[dict]:
    """(fiscal_year, area_code, level, category, people) over held events: head counts plus attended
    registrations."""
    return conn.execute(
        f"WITH held AS ({_HELD_EVENTS}) "
        "SELECT fiscal_year, area_code, level, category, sum(people) AS people FROM ("
        "  SELECT h.fiscal_year, h.area_code, h.level, a.category, a.people"
        "  FROM held h JOIN attendance_counts a ON a.event_id = h.id"
        "  UNION ALL"
        "  SELECT h.fiscal_year, h.area_code, h.level, r.attendee_category, coalesce(r.attended_people, r.people)"
        "  FROM held h JOIN registrations r ON r.event_id = h.id AND r.status = 'attended') counted "
        "GROUP BY 1, 2, 3, 4", _bucket_params(buckets)).fetchall()


def survey_respondents(conn, buckets) -> list[dict]:
    return conn.execute(
        f"WITH held AS ({_HELD_EVENTS}) SELECT h.fiscal_year, h.area_code, h.level, "
        "sum(s.respondents) AS respondents FROM held h JOIN surveys s ON s.event_id = h.id GROUP BY 1, 2, 3",
        _bucket_params(buckets)).fetchall()


# The positive answers of one standard question, as survey_results.kpi counts them (a test checks the two agree):
# multiple choice: answered − none for intention_to_act when `none` was counted, else the largest positive
# option; otherwise the sum of the positive options.
_POSITIVE = """
CASE WHEN t.kind = 'multiple_choice' AND t.code = 'intention_to_act' AND coalesce((q.counts->>'none')::int, 0) > 0
          THEN q.answered - (q.counts->>'none')::int
     WHEN t.kind = 'multiple_choice'
          THEN coalesce((SELECT max(coalesce((q.counts->>o)::int, 0)) FROM unnest(t.positive) o), 0)
     ELSE coalesce((SELECT sum(coalesce((q.counts->>o)::int, 0)) FROM unnest(t.positive) o), 0) END"""


def _templates() -> dict:
    codes = list(TEMPLATES)
    return {"t_codes": codes, "t_kinds": [TEMPLATES[c].kind for c in codes],
            # one positive list per template, as text (a 2-D SQL array would need equal lengths)
            "t_positive": ["{" + ",".join(f'"{o}"' for o in TEMPLATES[c].positive) + "}" for c in codes]}


_TEMPLATE_TABLE = ("(SELECT code, kind, positive::text[] AS positive "
                   "FROM unnest(%(t_codes)s::text[], %(t_kinds)s::text[], %(t_positive)s::text[]) "
                   "AS x(code, kind, positive))")


def survey_kpis(conn, buckets) -> list[dict]:
    """(fiscal_year, area_code, level, template_code, positive, answered, questions) over the held events'
    surveys."""
    return conn.execute(
        f"WITH held AS ({_HELD_EVENTS}) "
        "SELECT h.fiscal_year, h.area_code, h.level, q.template_code, "
        f"  sum({_POSITIVE}) AS positive, sum(q.answered) AS answered, count(*) AS questions "
        f"FROM held h JOIN survey_questions q ON q.event_id = h.id JOIN {_TEMPLATE_TABLE} t ON t.code = q.template_code "
        "GROUP BY 1, 2, 3, 4", {**_bucket_params(buckets), **_templates()}).fetchall()


def question_positive(conn, template_code: str, counts: dict, answered: int) -> int:
    """The SQL rule for one question on its own (for the test that it agrees with survey_results.kpi)."""
    row = conn.execute(
        f"SELECT {_POSITIVE} AS positive FROM (SELECT %(code)s::text AS template_code, %(counts)s::jsonb AS counts, "
        f"%(answered)s::int AS answered) q JOIN {_TEMPLATE_TABLE} t ON t.code = q.template_code",
        {"code": template_code, "counts": Jsonb(counts), "answered": answered, **_templates()}).fetchone()
    return int(row["positive"])


def store_buckets(conn, figures: dict[tuple, dict], emptied) -> None:
    """Write recomputed figures ({(fiscal_year, area_code, level): figures}); drop the buckets left without events.
    A concurrent refresh of the same bucket (marked again meanwhile) waits on the row and then overwrites it with
    its own, newer result."""
    if figures:
        conn.execute(
            "INSERT INTO event_statistics (fiscal_year, area_code, level, figures) "
            "SELECT * FROM unnest(%(fys)s::int[], %(areas)s::text[], %(levels)s::text[], %(figures)s::jsonb[]) "
            "ORDER BY 1, 2, 3 "  # one order, as for the marks
            "ON CONFLICT (fiscal_year, area_code, level) DO UPDATE SET figures = EXCLUDED.figures, refreshed_at = now()",
            {**_bucket_params(figures), "figures": [Jsonb(f) for f in figures.values()]})
    if emptied:
        conn.execute(f"DELETE FROM event_statistics s USING {_BUCKETS} WHERE (s.fiscal_year, s.area_code, s.level) = "
                     "(b.fiscal_year, b.area_code, b.level)", _bucket_params(emptied))


def bucket_figures(conn, fiscal_year: int, codes) -> list[dict]:
    """(fiscal_year, area_code, level, figures) of the year's buckets in the areas, and of the previous year's
    only their survey KPIs (they stand beside this year's)."""
    return conn.execute(
        "SELECT fiscal_year, area_code, level, CASE WHEN fiscal_year = %(fy)s THEN figures "
        "  ELSE jsonb_build_object('survey_kpis', figures->'survey_kpis') END AS figures "
        "FROM event_statistics WHERE fiscal_year IN (%(fy)s, %(fy)s - 1) AND area_code = ANY(%(codes)s)",
        {"fy": fiscal_year, "codes": list(codes)}).fetchall()


def handout_totals(conn, fiscal_year: int, codes) -> list[dict]:
    """(area_code, level, items, copies_printed, copies_distributed)."""
    return conn.execute(
        "SELECT h.area_code, h.level, count(*) AS items, coalesce(sum(h.copies_printed), 0) AS copies_printed, "
        "  coalesce(sum(d.copies), 0) AS copies_distributed "
        "FROM handouts h LEFT JOIN LATERAL (SELECT sum(copies) AS copies FROM handout_distributions "
        "  WHERE handout_id = h.id) d ON true "
        "WHERE h.fiscal_year = %(fy)s AND h.area_code = ANY(%(codes)s) GROUP BY 1, 2",
        {"fy": fiscal_year, "codes": list(codes)}).fetchall()


def trial_projects(conn, fiscal_year: int, codes) -> list[dict]:
    """The year's trial projects in the areas, each with its contractors' amounts and its KPIs (by position)."""
    params = {"fy": fiscal_year, "codes": list(codes)}
    rows = conn.execute(
        "SELECT p.id::text AS id, p.name, p.status, p.level, p.area_code, "
        "  coalesce((SELECT array_agg(c.amount_yen ORDER BY c.position) FROM trial_project_contractors c "
        "            WHERE c.trial_project_id = p.id), '{}') AS amounts "
        "FROM trial_projects p WHERE p.fiscal_year = %(fy)s AND p.area_code = ANY(%(codes)s) "
        "ORDER BY p.area_code, p.created_at, p.id", params).fetchall()
    kpis: dict = {}
    for k in conn.execute(
            "SELECT k.trial_project_id::text AS trial_project_id, k.code, k.label, k.target, k.measured, k.direction "
            "FROM trial_project_kpis k JOIN trial_projects p ON p.id = k.trial_project_id "
            "WHERE p.fiscal_year = %(fy)s AND p.area_code = ANY(%(codes)s) ORDER BY k.trial_project_id, k.position",
            params):
        kpis.setdefault(k["trial_project_id"], []).append(k)
    for r in rows:
        r["kpis"] = kpis.get(r["id"], [])
    return rows
