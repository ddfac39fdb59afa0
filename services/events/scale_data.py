"""Synthetic national-scale events for benchmarks: N events over FY2021–FY2025 and every municipality the area
registry knows (half of them in Hokkaido, the pilot prefecture, as the members generator does), hosted by
municipal, bureau and prefectural PFs, with sessions, head counts or aggregate registrations, survey results on
the standard questions, handouts and trial projects with budgets and KPIs.

Written with set-based SQL (INSERT … SELECT over generate_series) rather than the use cases, which would emit
integration events a benchmark does not need. Aggregate figures only: registrations are anonymous head counts
per attendee category, nothing names a person. Event ids are derived from a serial number, so a rerun only
tops up the serials that are missing.

  python -m services.events.scale_data 100000
"""
from __future__ import annotations

import argparse
import hashlib
import uuid

from psycopg.types.json import Jsonb

from services.servicekit.areas.registry import default_registry
from services.servicekit.japanese_text import fold

from .survey_results import TEMPLATES, question_from_template
from .vocabulary import ATTENDEE_CATEGORIES, AUDIENCES, EVENT_TYPES

FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2021, 2025
PF_NAME_SUFFIX = "孤独・孤立対策官民連携プラットフォーム"
# How often each standard question is asked in a survey (share of surveys).
QUESTION_SHARES = {"awareness_anyone": 0.7, "understanding": 0.8, "intention_to_act": 0.5,
                   "navi_first_learned": 0.5, "navi_learned_how": 0.2}
HANDOUT_KINDS = ["pamphlet", "leaflet", "poster", "goods", "card"]
CONTRACTORS = ["株式会社つながり企画", "一般社団法人地域ささえあい研究所", "株式会社ひだまり広告社", "NPO法人みまもりネット",
               "株式会社北の印刷", "合同会社まちの調査室"]
KPIS = [("participants", "参加者数", "人", 30, 300), ("survey_answers", "アンケート回答数", "件", 20, 150),
        ("understanding_rate", "理解が深まった割合", "%", 70, 95), ("copies", "配布部数", "部", 500, 20000)]


def scale_event_id(serial: int) -> str:
    """The id of the n-th scale event (the same expression as the SQL's)."""
    return str(uuid.UUID(hex=hashlib.md5(f"tsunagu-scale-event:{serial}".encode()).hexdigest()))


def scale_platform_id(area_code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://tsunagu.example.jp/scale/platform/{area_code}"))


def _areas() -> dict:
    """Municipalities (Hokkaido's first, so an index below `hokkaido` picks one of them), the PF level and
    area of the bureau above each (its prefecture where there is no bureau), and the name of every area."""
    registry = default_registry()
    municipalities = sorted(registry.municipalities_in("JP"), key=lambda a: (not a.code.startswith("01"), a.code))
    upper = []
    for m in municipalities:
        parent = registry.find(m.parent_code) if m.parent_code else None
        upper.append(parent.code if parent is not None and parent.level == "bureau" else m.code[:2])
    codes = {m.code for m in municipalities} | set(upper) | {m.code[:2] for m in municipalities}
    areas = {code: registry.get(code) for code in sorted(codes)}
    return {"munis": [m.code for m in municipalities], "uppers": upper,
            "hokkaido": sum(1 for m in municipalities if m.code.startswith("01")),
            "codes": list(areas), "levels": [a.level for a in areas.values()],
            "platform_ids": [scale_platform_id(code) for code in areas],
            "names": [a.name for a in areas.values()], "folded": [fold(a.name) for a in areas.values()]}


# Every random draw of an event, once, so the statements below agree with each other.
NEW_EVENTS = """
CREATE TEMP TABLE scale_new ON COMMIT DROP AS
SELECT g, id, fy, first_day, first_day + extra_day AS last_day, sessions, type, people, status, reg_enabled,
       public, survey, handout, trial, trial_verified,
       CASE WHEN r_level < 0.75 THEN (%(munis)s::text[])[i]
            WHEN r_level < 0.87 THEN (%(uppers)s::text[])[i]
            ELSE left((%(munis)s::text[])[i], 2) END AS area_code
FROM (SELECT g, md5('tsunagu-scale-event:' || g)::uuid AS id,
             CASE WHEN random() < 0.5 THEN 1 + floor(random() * %(hokkaido)s)::int
                  ELSE 1 + floor(random() * %(nmunis)s)::int END AS i,
             random() AS r_level, fy,
             make_date(fy, 4, 1) + floor(random() * 365)::int AS first_day,
             (random() < 0.1)::int AS extra_day,
             1 + (random() < 0.3)::int + (random() < 0.1)::int AS sessions,
             (%(types)s::text[])[1 + floor(random() * %(ntypes)s)::int] AS type,
             10 + floor(random() * random() * 300)::int AS people,
             random() AS r_status, random() < 0.35 AS reg_enabled, random() < 0.4 AS public,
             random() < 0.45 AS survey, random() < 0.05 AS handout,
             g %% 40 = 0 AS trial, random() < 0.6 AS trial_verified
      FROM (SELECT g, %(first_fy)s + floor(random() * %(nfy)s)::int AS fy FROM generate_series(1, %(target)s) g
            WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = md5('tsunagu-scale-event:' || g)::uuid)) serials
     ) draws
CROSS JOIN LATERAL (SELECT CASE WHEN r_status < 0.05 THEN 'cancelled' WHEN r_status < 0.08 THEN 'closed'
                                WHEN first_day > current_date THEN 'open' ELSE 'held' END AS status) s
"""

AREA_NAMES = """
CREATE TEMP TABLE scale_areas ON COMMIT DROP AS
SELECT * FROM unnest(%(codes)s::text[], %(levels)s::text[], %(names)s::text[], %(folded)s::text[],
                     %(platform_ids)s::uuid[]) AS a(code, level, name, folded, platform_id)
"""

# Revision 0: the members service's own platform.created replaces these local copies.
PLATFORMS = f"""
INSERT INTO platforms (id, revision, level, area_code, name, phase)
SELECT platform_id, 0, level, code, name || '{PF_NAME_SUFFIX}', 'established' FROM scale_areas
ON CONFLICT (id) DO NOTHING
"""

TRIAL_PROJECTS = """
INSERT INTO trial_projects (id, fiscal_year, platform_id, level, area_code, name, content, kpi_text, starts_on,
                            ends_on, status, verification_text, verified_on)
SELECT md5('tsunagu-scale-trial:' || n.g)::uuid, n.fy, a.platform_id, a.level, n.area_code,
       a.name || 'の試行的事業（' || n.g || '）', '地域の支援者向けの研修と普及啓発', '参加者と理解度の目標',
       n.first_day, n.last_day,
       CASE WHEN n.trial_verified THEN 'verified' ELSE 'in_progress' END,
       CASE WHEN n.trial_verified THEN '目標と実績を比較して検証した' END,
       CASE WHEN n.trial_verified THEN n.last_day + 30 END
FROM scale_new n JOIN scale_areas a ON a.code = n.area_code
WHERE n.trial
"""

CONTRACTOR_ROWS = """
INSERT INTO trial_project_contractors (trial_project_id, position, name, amount_yen)
SELECT md5('tsunagu-scale-trial:' || n.g)::uuid, k, (%(contractors)s::text[])[1 + (n.g / 40 + k) %% %(ncontractors)s],
       (100000 + floor(random() * 3400) * 1000)::bigint
FROM scale_new n CROSS JOIN LATERAL generate_series(1, 1 + (n.g / 40) %% 2) k
WHERE n.trial
"""

KPI_ROWS = """
INSERT INTO trial_project_kpis (trial_project_id, code, position, label, unit, direction, target, measured)
SELECT trial_project_id, code, position, label, unit, 'at_least', target,
       CASE WHEN verified AND random() < 0.9 THEN round(target * (0.6 + random() * 0.8)) END
FROM (SELECT md5('tsunagu-scale-trial:' || n.g)::uuid AS trial_project_id, n.trial_verified AS verified, k.*,
             k.low + floor(random() * (k.high - k.low)) AS target
      FROM scale_new n
      CROSS JOIN unnest(%(kpi_codes)s::text[], %(kpi_labels)s::text[], %(kpi_units)s::text[], %(kpi_low)s::int[],
                        %(kpi_high)s::int[]) WITH ORDINALITY AS k(code, label, unit, low, high, position)
      WHERE n.trial AND k.position <= 1 + (n.g / 40) %% 4) drawn
"""

EVENTS = """
INSERT INTO events (id, type, host_platform_id, host_level, area_code, title, description, audiences, public,
                    registration_enabled, capacity, status, trial_project_id, search_text, first_day, last_day,
                    fiscal_year, cancelled_at)
SELECT n.id, n.type, a.platform_id, a.level, n.area_code, a.name || t.label, '',
       (%(audiences)s::text[])[1:1 + n.g %% %(naudiences)s], n.public, n.reg_enabled,
       CASE WHEN n.reg_enabled THEN n.people + 20 END, n.status,
       CASE WHEN n.trial THEN md5('tsunagu-scale-trial:' || n.g)::uuid END,
       a.folded || t.folded || ' ' || a.folded || 'の会場', n.first_day, n.last_day, n.fy,
       CASE WHEN n.status = 'cancelled' THEN n.first_day - 7 END
FROM scale_new n JOIN scale_areas a ON a.code = n.area_code
JOIN unnest(%(types)s::text[], %(type_labels)s::text[], %(type_folded)s::text[]) AS t(code, label, folded)
     ON t.code = n.type
"""

SESSIONS = """
INSERT INTO event_sessions (event_id, position, label, date, start_time, end_time, venue_name, venue_area_code)
SELECT n.id, k, CASE WHEN n.sessions > 1 THEN '第' || k || '部' END,
       CASE WHEN k = n.sessions THEN n.last_day ELSE n.first_day END,
       time '10:00' + (k - 1) * interval '2 hours', time '11:30' + (k - 1) * interval '2 hours',
       a.name || 'の会場', n.area_code
FROM scale_new n JOIN scale_areas a ON a.code = n.area_code CROSS JOIN LATERAL generate_series(1, n.sessions) k
"""

# Head counts for held events without registration; three distinct categories at most (step 3 over ten).
HEAD_COUNTS = """
INSERT INTO attendance_counts (event_id, category, people)
SELECT n.id, (%(categories)s::text[])[1 + (n.g + 3 * k) %% %(ncategories)s],
       greatest(1, floor(n.people * (0.2 + random() * 0.6) / (1 + n.g %% 3))::int)
FROM scale_new n CROSS JOIN LATERAL generate_series(0, n.g %% 3) k
WHERE n.status = 'held' AND NOT n.reg_enabled
"""

# Registrations as anonymous head counts per attendee category (no person behind a row).
REGISTRATIONS = """
INSERT INTO registrations (id, event_id, participant_kind, people, attended_people, attendee_category, status,
                           created_by)
SELECT md5('tsunagu-scale-registration:' || g || ':' || k)::uuid, id, 'anonymous', people,
       CASE WHEN status = 'attended' THEN people - (random() < 0.2)::int END,
       (%(categories)s::text[])[1 + (g + 3 * k) %% %(ncategories)s], status, 'scale-data'
FROM (SELECT n.g, k, n.id, 1 + floor(random() * n.people / 3)::int AS people,
             CASE WHEN n.status = 'cancelled' THEN 'cancelled' WHEN n.status <> 'held' THEN 'registered'
                  WHEN random() < 0.88 THEN 'attended' ELSE 'no_show' END AS status
      FROM scale_new n CROSS JOIN LATERAL generate_series(0, 1 + n.g %% 3) k
      WHERE n.reg_enabled) drawn
"""

SURVEYS = """
INSERT INTO surveys (event_id, respondents)
SELECT n.id, greatest(1, floor(n.people * (0.3 + random() * 0.5))::int)
FROM scale_new n WHERE n.survey AND n.status = 'held'
"""

# Standard questions (each with its share of surveys) and a free-text question. Single-choice and scale
# answers are split over the options by random weights (summing to at most `answered`); each option of a
# multiple-choice question is ticked by up to 60% of those who answered.
SURVEY_QUESTIONS = """
INSERT INTO survey_questions (event_id, position, template_code, kind, text, options, answered, counts,
                              free_text_answers)
SELECT event_id, row_number() OVER (PARTITION BY event_id ORDER BY ordinal), template_code, kind, text, options,
       answered,
       CASE WHEN kind = 'free_text' THEN '{}'::jsonb
            WHEN kind = 'multiple_choice' THEN
                 (SELECT jsonb_object_agg(o->>'code', floor(answered * random() * 0.6)::int)
                  FROM jsonb_array_elements(options) o)
            ELSE (SELECT jsonb_object_agg(code, floor(answered * w / total)::int)
                  FROM (SELECT code, w, sum(w) OVER () AS total
                        FROM (SELECT o->>'code' AS code, random() AS w FROM jsonb_array_elements(options) o) ws) s)
       END,
       CASE WHEN kind = 'free_text' THEN floor(answered * 0.4)::int ELSE 0 END
FROM (SELECT s.event_id, q.ordinal, q.template_code, q.kind, q.text, q.options,
             s.respondents - floor(random() * s.respondents * 0.1)::int AS answered
      FROM surveys s JOIN scale_new n ON n.id = s.event_id
      CROSS JOIN LATERAL jsonb_to_recordset(%(questions)s::jsonb)
          AS q(ordinal int, template_code text, kind text, text text, options jsonb, share float8)
      WHERE random() < q.share) asked
"""

HANDOUTS = """
INSERT INTO handouts (id, platform_id, level, area_code, event_id, trial_project_id, item, kind, copies_printed,
                      distributed_on, fiscal_year)
SELECT md5('tsunagu-scale-handout:' || n.g)::uuid, e.host_platform_id, e.host_level, e.area_code, e.id,
       e.trial_project_id, '相談窓口の案内', (%(handout_kinds)s::text[])[1 + n.g %% %(nkinds)s],
       100 + floor(random() * 49) * 100, n.first_day, n.fy
FROM scale_new n JOIN events e ON e.id = n.id
WHERE n.handout AND n.status = 'held'
"""

DISTRIBUTIONS = """
INSERT INTO handout_distributions (handout_id, position, site_kind, site_count, copies)
SELECT h.id, k, (ARRAY['会場', '市役所窓口', '社会福祉協議会'])[k], CASE WHEN k = 2 THEN 3 END,
       floor(h.copies_printed * random() / 3)::int
FROM scale_new n JOIN handouts h ON h.id = md5('tsunagu-scale-handout:' || n.g)::uuid
CROSS JOIN LATERAL generate_series(1, 1 + n.g %% 3) k
"""


def _params(target: int) -> dict:
    types = list(EVENT_TYPES)
    questions = [{"ordinal": i, "template_code": code, "kind": TEMPLATES[code].kind, "text": TEMPLATES[code].text,
                  "options": question_from_template(code)["options"], "share": share}
                 for i, (code, share) in enumerate(QUESTION_SHARES.items(), start=1)]
    questions.append({"ordinal": len(questions) + 1, "template_code": None, "kind": "free_text",
                      "text": "ご意見・ご感想", "options": [], "share": 0.6})
    areas = _areas()
    return {**areas, "nmunis": len(areas["munis"]), "target": target, "first_fy": FIRST_FISCAL_YEAR,
            "nfy": LAST_FISCAL_YEAR - FIRST_FISCAL_YEAR + 1,
            "types": types, "ntypes": len(types), "type_labels": [EVENT_TYPES[t] for t in types],
            "type_folded": [fold(EVENT_TYPES[t]) for t in types],
            "audiences": list(AUDIENCES), "naudiences": len(AUDIENCES),
            "categories": list(ATTENDEE_CATEGORIES), "ncategories": len(ATTENDEE_CATEGORIES),
            "questions": Jsonb(questions), "handout_kinds": HANDOUT_KINDS, "nkinds": len(HANDOUT_KINDS),
            "contractors": CONTRACTORS, "ncontractors": len(CONTRACTORS),
            "kpi_codes": [k[0] for k in KPIS], "kpi_labels": [k[1] for k in KPIS], "kpi_units": [k[2] for k in KPIS],
            "kpi_low": [k[3] for k in KPIS], "kpi_high": [k[4] for k in KPIS]}


def _scalar(row):
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def load(conn, target: int, seed: float = 0.7) -> int:
    """Top the scale events up to serials 1..target in one transaction; returns how many were added.
    `seed` makes a load from empty reproducible (PostgreSQL's random() after setseed)."""
    params = _params(target)
    with conn.transaction():
        conn.execute("SELECT setseed(%s)", (seed,))
        conn.execute(AREA_NAMES, params)
        conn.execute(PLATFORMS, params)
        conn.execute(NEW_EVENTS, params)
        added = _scalar(conn.execute("SELECT count(*) FROM scale_new").fetchone())
        if added:
            for statement in (TRIAL_PROJECTS, CONTRACTOR_ROWS, KPI_ROWS, EVENTS, SESSIONS, HEAD_COUNTS,
                              REGISTRATIONS, SURVEYS, SURVEY_QUESTIONS, HANDOUTS, DISTRIBUTIONS):
                conn.execute(statement, params)
        # ON COMMIT DROP is not enough when the caller's transaction goes on (ours is then a savepoint)
        conn.execute("DROP TABLE scale_new, scale_areas")
    return added


def vacuum_analyze(dsn: str) -> None:
    """After a bulk load: statistics for the planner, and the visibility map for index-only scans."""
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("events", "event_sessions", "registrations", "attendance_counts", "surveys",
                      "survey_questions", "handouts", "handout_distributions", "trial_projects",
                      "trial_project_contractors", "trial_project_kpis", "platforms"):
            conn.execute(f"VACUUM ANALYZE {table}")


def main():
    parser = argparse.ArgumentParser(description="Top up the events database to N synthetic scale events")
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=float, default=0.7)
    args = parser.parse_args()
    import psycopg
    from services.servicekit import settings
    with psycopg.connect(settings.database_url("events")) as conn:
        added = load(conn, args.n, args.seed)
    vacuum_analyze(settings.database_url("events"))
    print(f"{added} events added (serials 1..{args.n} present)")


if __name__ == "__main__":
    main()
