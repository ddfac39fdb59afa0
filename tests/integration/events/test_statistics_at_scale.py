"""The dashboard statistics (summed in SQL, kept per bucket and refreshed when triggers mark a bucket stale)
against a straightforward count over the raw rows, on a generated national data set in a database of its own
(so that other tests' events do not move the figures), plus the scale generator's idempotence."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from services.events import event_catalogue, outcomes, repository as repo, scale_data
from services.events import statistics, statistics_buckets, statistics_repository
from services.events.access import can_read
from services.events.schemas import AttendanceSchema, EventCreateSchema, SurveySchema
from services.events.survey_results import TEMPLATES, kpi, share
from services.events.trial_project_rules import achieved, attainment, budget_total
from services.servicekit.areas.scope import scope_contains
from services.servicekit.caller import Principal
from services.servicekit.database import UnitOfWork
from services.servicekit.errors import NotFound
from services.servicekit.pg_pool import open_pool
from tests.support.processes import wait_until
from tests.support.fixtures import scratch_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)
NOBORIBETSU = Principal("staff-noboribetsu", "municipality", "012301")
SAPPORO = Principal("staff-sapporo", "municipality", "011002")
IBURI = Principal("staff-iburi", "bureau", "01B04")
HOKKAIDO = Principal("staff-hokkaido", "prefecture", "01")
ADMIN = Principal("admin", "admin", None)


@pytest.fixture(scope="module")
def scale_db(namespace):
    with scratch_database("events_scale", migrations_of="events") as dsn:
        pool = open_pool(dsn, min_size=1, max_size=4, name="events-scale-tests")
        yield pool
        pool.close()


@contextmanager
def unit(pool):
    with pool.connection() as conn, conn.transaction():
        yield UnitOfWork(conn, "events", "test", "tests")


@pytest.fixture(scope="module")
def generated(scale_db):
    with scale_db.connection() as conn:
        first = scale_data.load(conn, 2000, seed=0.3)
    return first


def straightforward(conn, principal, scope_area, fiscal_year) -> dict:
    """Per-area figures counted row by row from the base tables, as the dashboard defines them."""
    def in_scope(level, area_code):
        return scope_contains(scope_area, area_code) and can_read(principal, level, area_code)

    def blank():
        return {"events_held": {"total": 0, "by_type": {}, "by_month": {}, "by_type_and_month": {}},
                "events_cancelled": 0, "attendance": {"total": 0, "by_category": {}}, "survey_respondents": 0,
                "survey_kpis": {}, "handouts": {"items": 0, "copies_printed": 0, "copies_distributed": 0},
                "trial_projects": {"count": 0, "verified": 0, "budget_yen": 0, "kpis": 0, "kpis_measured": 0,
                                   "kpis_achieved": 0, "projects": []}}

    def bump(d, k, n=1):
        d[k] = d.get(k, 0) + n

    def kpis_of(year):
        out: dict = {}
        for e in conn.execute("SELECT * FROM events WHERE fiscal_year = %s AND status = 'held'", (year,)):
            if not in_scope(e["host_level"], e["area_code"]):
                continue
            for q in conn.execute("SELECT * FROM survey_questions WHERE event_id = %s AND template_code IS NOT NULL",
                                  (e["id"],)):
                k = kpi(q["template_code"], q["counts"], q["answered"])
                slot = out.setdefault(e["area_code"], {}).setdefault(q["template_code"],
                                                                     {"positive": 0, "answered": 0, "events": 0})
                slot["positive"] += k["positive"]
                slot["answered"] += k["answered"]
                slot["events"] += 1
        return out

    areas: dict = {}
    for e in conn.execute("SELECT * FROM events WHERE fiscal_year = %s", (fiscal_year,)).fetchall():
        if not in_scope(e["host_level"], e["area_code"]):
            continue
        a = areas.setdefault(e["area_code"], blank())
        a["events_cancelled"] += e["status"] == "cancelled"
        if e["status"] != "held":
            continue
        month = e["first_day"].strftime("%Y-%m")
        a["events_held"]["total"] += 1
        bump(a["events_held"]["by_type"], e["type"])
        bump(a["events_held"]["by_month"], month)
        bump(a["events_held"]["by_type_and_month"].setdefault(e["type"], {}), month)
        people = conn.execute(
            "SELECT category, people FROM attendance_counts WHERE event_id = %(id)s UNION ALL "
            "SELECT attendee_category, coalesce(attended_people, people) FROM registrations "
            "WHERE event_id = %(id)s AND status = 'attended'", {"id": e["id"]}).fetchall()
        for row in people:
            a["attendance"]["total"] += row["people"]
            bump(a["attendance"]["by_category"], row["category"], row["people"])
        survey = conn.execute("SELECT respondents FROM surveys WHERE event_id = %s", (e["id"],)).fetchone()
        a["survey_respondents"] += survey["respondents"] if survey else 0
    current, previous = kpis_of(fiscal_year), kpis_of(fiscal_year - 1)
    zero = {"positive": 0, "answered": 0, "events": 0}
    for area_code in set(current) | set(previous):
        a = areas.setdefault(area_code, blank())
        for code in set(current.get(area_code, {})) | set(previous.get(area_code, {})):
            cur, prev = current.get(area_code, {}).get(code, zero), previous.get(area_code, {}).get(code, zero)
            a["survey_kpis"][code] = {"label": TEMPLATES[code].kpi_label, **cur,
                                      "rate": share(cur["positive"], cur["answered"]),
                                      "previous": {**prev, "rate": share(prev["positive"], prev["answered"])}}
    for h in repo.handouts(conn, fiscal_year=fiscal_year):
        if in_scope(h["level"], h["area_code"]):
            t = areas.setdefault(h["area_code"], blank())["handouts"]
            t["items"] += 1
            t["copies_printed"] += h["copies_printed"] or 0
            t["copies_distributed"] += sum(d["copies"] for d in h["distributions"])
    for p in repo.trial_projects(conn, fiscal_year=fiscal_year):
        if not in_scope(p["level"], p["area_code"]):
            continue
        t = areas.setdefault(p["area_code"], blank())["trial_projects"]
        t["count"] += 1
        t["verified"] += p["status"] == "verified"
        t["budget_yen"] += budget_total(p["contractors"])
        measured = [k for k in p["kpis"] if k["measured"] is not None]
        t["kpis"] += len(p["kpis"])
        t["kpis_measured"] += len(measured)
        t["kpis_achieved"] += sum(1 for k in measured if achieved(k["target"], k["measured"], k["direction"]))
        t["projects"].append({"id": str(p["id"]), "name": p["name"], "status": p["status"],
                              "budget_yen": budget_total(p["contractors"]),
                              "kpis": [{"code": k["code"], "label": k["label"],
                                        "target": None if k["target"] is None else float(k["target"]),
                                        "measured": None if k["measured"] is None else float(k["measured"]),
                                        "attainment": attainment(k["target"], k["measured"], k["direction"])}
                                       for k in p["kpis"]]})
    return areas


def comparable(areas: dict) -> dict:
    for a in areas.values():
        a["trial_projects"]["projects"].sort(key=lambda p: p["id"])
        for p in a["trial_projects"]["projects"]:
            for k in p["kpis"]:
                k["target"] = None if k["target"] is None else float(k["target"])
                k["measured"] = None if k["measured"] is None else float(k["measured"])
    return areas


def figures(pool, principal, scope_area, fiscal_year) -> tuple[dict, dict]:
    with unit(pool) as uow:
        summed = statistics.statistics(uow, principal, scope_area, fiscal_year, NOW)
        counted = straightforward(uow.conn, principal, scope_area, fiscal_year)
    assert summed["totals"] == statistics.roll_up(summed["areas"])
    return comparable(summed["areas"]), comparable(counted)


def planned_event(pool, principal, area_code, day, **fields):
    body = {"host_platform_id": scale_data.scale_platform_id(area_code), "type": "lecture", "title": "境界の講演会",
            "audiences": ["residents"], "registration_enabled": False,
            "sessions": [{"date": day, "venue_name": "市民会館"}], **fields}
    with unit(pool) as uow:
        return event_catalogue.create_event(uow, principal, str(uuid.uuid4()), EventCreateSchema().load(body))


def held_event(pool, principal, area_code, day, **fields):
    ev = planned_event(pool, principal, area_code, day, **fields)
    with unit(pool) as uow:
        return event_catalogue.change_status(uow, principal, ev["id"], "held", NOW)


def test_generated_national_events_are_spread_over_years_areas_and_outcomes_without_people(scale_db, generated):
    assert generated == 2000
    with scale_db.connection() as conn:
        spread = conn.execute(
            "SELECT count(DISTINCT fiscal_year) AS years, min(fiscal_year) AS first, max(fiscal_year) AS last, "
            "count(DISTINCT left(area_code, 2)) AS prefectures, count(DISTINCT host_level) AS levels, "
            "count(*) FILTER (WHERE area_code LIKE '01%%') AS hokkaido, count(*) AS events FROM events").fetchone()
        outcomes_ = conn.execute(
            "SELECT (SELECT count(*) FROM attendance_counts) AS head_counts, "
            "(SELECT count(*) FROM registrations) AS registrations, "
            "(SELECT count(*) FROM registrations WHERE participant_kind <> 'anonymous' OR personal_sealed IS NOT NULL "
            "  OR organization_id IS NOT NULL) AS named, "
            "(SELECT count(*) FROM survey_questions) AS questions, (SELECT count(*) FROM handouts) AS handouts, "
            "(SELECT count(*) FROM trial_projects) AS trial_projects, "
            "(SELECT count(*) FROM trial_project_kpis WHERE measured IS NOT NULL) AS measured").fetchone()
        bad_single_choice = conn.execute(
            "SELECT count(*) AS n FROM survey_questions WHERE kind IN ('single_choice', 'scale') AND "
            "(SELECT coalesce(sum(value::int), 0) FROM jsonb_each_text(counts)) > answered").fetchone()["n"]
    assert (spread["years"], spread["first"], spread["last"]) == (5, 2021, 2025)
    assert spread["prefectures"] >= 5 and spread["levels"] == 3 and spread["events"] == 2000
    assert spread["hokkaido"] >= 1000  # at least half in the pilot prefecture
    assert outcomes_["head_counts"] > 0 and outcomes_["registrations"] > 0 and outcomes_["named"] == 0
    assert outcomes_["questions"] > 0 and outcomes_["handouts"] > 0 and outcomes_["trial_projects"] == 50
    assert outcomes_["measured"] > 0 and bad_single_choice == 0


def test_generation_tops_up_only_what_is_missing(scale_db, generated):
    def counts(conn):
        return conn.execute(
            "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM event_sessions) AS sessions, "
            "(SELECT count(*) FROM registrations) AS registrations, (SELECT count(*) FROM surveys) AS surveys, "
            "(SELECT count(*) FROM trial_projects) AS trial_projects, (SELECT count(*) FROM platforms) AS pfs"
        ).fetchone()

    with scale_db.connection() as conn:
        before = counts(conn)
        assert scale_data.load(conn, 2000) == 0
        assert counts(conn) == before
        assert scale_data.load(conn, 2040) == 40
        after = counts(conn)
        assert conn.execute("SELECT count(*) AS n FROM events WHERE id = %s",
                            (scale_data.scale_event_id(2040),)).fetchone()["n"] == 1
    assert after["events"] == before["events"] + 40 and after["trial_projects"] == before["trial_projects"] + 1
    assert after["sessions"] > before["sessions"] and after["pfs"] == before["pfs"]


def test_housekeeping_recomputes_stale_buckets_in_batches(scale_db, generated):
    def stale(conn):
        return {tuple(r.values()) for r in conn.execute(
            "SELECT DISTINCT fiscal_year, area_code, level FROM event_statistics_stale")}

    with scale_db.connection() as conn:
        before = stale(conn)
        assert len(before) > 60  # the generated events marked their buckets
        assert statistics_buckets.refresh_any(conn, limit=60) == 60
        done = before - stale(conn)
        kept = {tuple(r.values()) for r in conn.execute(
            "SELECT fiscal_year, area_code, level FROM event_statistics")}
    assert len(done) == 60 and done <= kept


def test_a_second_refresher_waits_for_the_first_and_then_finds_its_buckets_done(scale_db, generated):
    import threading
    with scale_db.connection() as conn:  # a fresh mark on 登別市's FY2023 bucket
        planned_event(scale_db, NOBORIBETSU, "012301", "2023-11-03", type="forum")
        assert conn.execute("SELECT count(*) AS n FROM event_statistics_stale WHERE fiscal_year = 2023 "
                            "AND area_code = '012301'").fetchone()["n"] >= 1
    second: dict = {}
    with scale_db.connection() as first:
        with first.transaction():
            first_pid = first.info.backend_pid
            assert statistics_buckets.refresh(first, [2023], ["012301"]) >= 1

            def refresh_again():
                with scale_db.connection() as conn:
                    second["pid"] = conn.info.backend_pid
                    second["refreshed"] = statistics_buckets.refresh(conn, [2023], ["012301"])

            thread = threading.Thread(target=refresh_again)
            thread.start()
            with scale_db.connection() as watcher:
                wait_until(lambda: watcher.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND %s = ANY(pg_blocking_pids(pid))",
                    (second.get("pid"), first_pid)).fetchone(), message="the second refresher to wait on the first")
        thread.join(timeout=20)
    assert second["refreshed"] == 0


@pytest.mark.parametrize("principal, scope_area, fiscal_year", [
    (HOKKAIDO, "01", 2023), (HOKKAIDO, "01", 2024), (IBURI, "01B04", 2023), (NOBORIBETSU, "012301", 2024),
    (ADMIN, "JP", 2022), (ADMIN, "13", 2025), (HOKKAIDO, "01", 2026)])
def test_summed_figures_equal_a_row_by_row_count(scale_db, generated, principal, scope_area, fiscal_year):
    summed, counted = figures(scale_db, principal, scope_area, fiscal_year)
    assert summed == counted
    if fiscal_year <= 2025:
        assert sum(a["events_held"]["total"] for a in summed.values()) > 0


def test_scope_and_fiscal_year_boundary_and_changes_after_the_figures_were_kept(scale_db, generated):
    # 2024-03-31 is FY2023 (R5), 2024-04-01 FY2024 (R6); 札幌市 is in 石狩, not in 胆振.
    last_r5 = held_event(scale_db, NOBORIBETSU, "012301", "2024-03-31", type="symposium")
    first_r6 = held_event(scale_db, NOBORIBETSU, "012301", "2024-04-01", type="symposium")
    sapporo = planned_event(scale_db, SAPPORO, "011002", "2024-03-31", type="symposium")
    assert (last_r5["fiscal_year"], first_r6["fiscal_year"], sapporo["fiscal_year"]) == (2023, 2024, 2023)

    iburi_r5, counted = figures(scale_db, IBURI, "01B04", 2023)
    assert iburi_r5 == counted
    assert all(scope_contains("01B04", code) for code in iburi_r5) and "011002" not in iburi_r5
    nobori = iburi_r5["012301"]["events_held"]["by_type_and_month"]["symposium"]
    assert nobori.get("2024-03", 0) >= 1 and "2024-04" not in nobori
    hokkaido_r6, counted = figures(scale_db, HOKKAIDO, "01", 2024)
    assert hokkaido_r6 == counted
    assert hokkaido_r6["012301"]["events_held"]["by_type_and_month"]["symposium"].get("2024-04", 0) >= 1
    with unit(scale_db) as uow:
        with pytest.raises(NotFound):
            statistics.statistics(uow, NOBORIBETSU, "01B04", 2023, NOW)

    # Outcomes recorded and an event cancelled after the figures were kept: each next call shows the change.
    before = iburi_r5["012301"]
    with unit(scale_db) as uow:
        outcomes.record_attendance(uow, NOBORIBETSU, last_r5["id"],
                                   AttendanceSchema().load({"head_counts": {"commissioner": 27, "general": 46}}))
    after, counted = figures(scale_db, IBURI, "01B04", 2023)
    assert after == counted
    assert after["012301"]["attendance"]["total"] == before["attendance"]["total"] + 73
    with unit(scale_db) as uow:
        outcomes.record_survey(uow, NOBORIBETSU, last_r5["id"], SurveySchema().load({"respondents": 50, "questions": [
            {"template_code": "intention_to_act", "answered": 50, "counts": {"act_with_perspective": 29, "none": 4}},
            {"template_code": "understanding", "answered": 41, "counts": {"4": 30, "3": 9}}]}))
    after, counted = figures(scale_db, IBURI, "01B04", 2023)
    assert after == counted
    assert after["012301"]["survey_respondents"] == before["survey_respondents"] + 50
    intention = after["012301"]["survey_kpis"]["intention_to_act"]
    assert intention["positive"] == before["survey_kpis"].get("intention_to_act", {}).get("positive", 0) + 46
    with unit(scale_db) as uow:
        event_catalogue.change_status(uow, SAPPORO, sapporo["id"], "cancelled", NOW)
    hokkaido_r5, counted = figures(scale_db, HOKKAIDO, "01", 2023)
    assert hokkaido_r5 == counted and hokkaido_r5["011002"]["events_cancelled"] >= 1


@pytest.mark.parametrize("template_code, counts, answered", [
    ("awareness_anyone", {"first_time": 32, "knew": 76}, 108),
    ("understanding", {"4": 47, "3": 56, "2": 5}, 108),
    ("understanding", {}, 10),
    ("intention_to_act", {"act_with_perspective": 23, "review_methods": 11, "none": 0}, 47),
    ("intention_to_act", {"act_with_perspective": 29, "none": 4}, 50),
    ("navi_learned_how", {"training_meeting": 8, "handout": 9, "website": 12}, 17),
    ("navi_learned_how", {"website": 3}, 17),
])
def test_the_sql_kpi_counts_positive_answers_as_the_survey_rule_does(scale_db, template_code, counts, answered):
    with scale_db.connection() as conn:
        assert statistics_repository.question_positive(conn, template_code, counts, answered) == \
            kpi(template_code, counts, answered)["positive"]
