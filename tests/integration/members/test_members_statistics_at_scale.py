"""The dashboard's as-of figures (read per scope in one SQL pass) against a replay of the raw histories, on
generated organisations, PFs and memberships; and the PF/membership generator's idempotence. In a database of its
own: thousands of generated organisations would crowd the shared one's search results in the e2e tests."""
from collections import Counter, defaultdict
from datetime import date

import psycopg
import pytest

from psycopg.rows import dict_row

from services.members import access, scale_data, statistics
from services.servicekit.areas.scope import scope_contains
from services.servicekit.caller import Principal
from services.servicekit.database import DatabaseSession
from services.servicekit.pg_pool import open_pool
from tests.integration.members.conftest import ADMIN
from tests.support.fixtures import scratch_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def scale_dsn(namespace):
    with scratch_database("members_scale", migrations_of="members") as dsn:
        yield dsn


@pytest.fixture(scope="module")
def generated(scale_dsn):
    with psycopg.connect(scale_dsn) as conn:
        scale_data.load(conn, 3000, seed=5)
        conn.commit()
        first = scale_data.load_memberships(conn, seed=0.4)
    pool = open_pool(scale_dsn, min_size=1, max_size=2, name="members-scale-tests")
    yield DatabaseSession(pool, producer="members", correlation_id="req-integration", consumer=None), first
    pool.close()


def replayed(scale_dsn: str, scope_area: str, as_of: date) -> dict:
    """The same figures from the raw rows: each PF's and each membership's latest step on or before the date."""
    areas = set(access.areas_within(scope_area))
    with psycopg.connect(scale_dsn, row_factory=dict_row) as conn:
        pfs = {p["id"]: p for p in conn.execute("SELECT * FROM platforms") if p["area_code"] in areas}
        phases = conn.execute("SELECT * FROM platform_phase_history WHERE effective_on <= %s "
                              "ORDER BY effective_on, id", (as_of,)).fetchall()
        members = {m["id"]: m for m in conn.execute("SELECT m.*, o.legal_form, o.taxonomy_codes FROM memberships m "
                                                    "JOIN organizations o ON o.id = m.organization_id")
                   if m["platform_id"] in pfs}
        steps = conn.execute("SELECT * FROM membership_history WHERE effective_on <= %s ORDER BY effective_on, id",
                             (as_of,)).fetchall()
    phase = {h["platform_id"]: h for h in phases}  # the last one wins
    state = {h["membership_id"]: h for h in steps}
    first_active: dict = {}
    for h in steps:
        if h["to_status"] == "active":
            first_active.setdefault(h["membership_id"], h["effective_on"])
    listed = {str(i): p for i, p in pfs.items() if i in phase}
    by_area: dict = defaultdict(lambda: defaultdict(Counter))
    for mid, m in members.items():
        if mid not in state:
            continue
        s, area = state[mid], by_area[pfs[m["platform_id"]]["area_code"]]
        if str(m["platform_id"]) in listed:  # status and class only where the PF itself existed by then
            area["by_status"][s["to_status"]] += 1
            if s["to_status"] == "active":
                area["by_class"][s["membership_class"]] += 1
        if s["to_status"] == "active":
            area["by_legal_form"][m["legal_form"]] += 1
            for field in m["taxonomy_codes"]:
                area["by_field"][field] += 1
        if mid in first_active:
            area["new_by_month"][first_active[mid].strftime("%Y-%m")] += 1
    return {"platforms": sorted((str(i), phase[i]["to_phase"], phase[i]["effective_on"].isoformat())
                                for i in pfs if i in phase),
            "by_area": {code: {k: dict(v) for k, v in figures.items() if v} for code, figures in by_area.items()}}


def summed(result: dict) -> dict:
    return {"platforms": sorted((p["platform_id"], p["phase"], p["phase_since"]) for p in result["platforms"]),
            "by_area": {code: {k: v for k, v in figures.items() if k != "members" and v}
                        for code, figures in result["by_area"].items()}}


@pytest.mark.parametrize("principal, scope_area, as_of", [
    (Principal("p", "prefecture", "01"), "01", date(2026, 3, 31)),
    (Principal("p", "prefecture", "01"), "01", date(2023, 3, 31)),
    (Principal("b", "bureau", "01B04"), "01B04", date(2025, 3, 31)),
    (Principal("m", "municipality", "012301"), "012301", date(2024, 3, 31)),
    (ADMIN, "JP", date(2024, 9, 30)),
])
def test_figures_equal_a_replay_of_the_histories(generated, scale_dsn, principal, scope_area, as_of):
    members_db, _ = generated
    with members_db.unit_of_work() as uow:
        result = statistics.compute(uow, principal, scope_area, as_of)
    expected = replayed(scale_dsn, scope_area, as_of)
    assert summed(result) == expected
    assert all(scope_contains(scope_area, code) for code in result["by_area"])
    assert result["totals"]["members"] == sum(f["members"] for f in result["by_area"].values())
    if scope_area in ("01", "JP") and as_of.year >= 2024:
        assert result["totals"]["members"] > 0 and len(result["platforms"]) > 0


def test_a_bureau_sees_only_its_own_municipalities(generated):
    members_db, _ = generated
    with members_db.unit_of_work() as uow:
        iburi = statistics.compute(uow, Principal("b", "bureau", "01B04"), "01B04", date(2026, 3, 31))
        hokkaido = statistics.compute(uow, Principal("p", "prefecture", "01"), "01", date(2026, 3, 31))
    outside = {code for code in hokkaido["by_area"] if not scope_contains("01B04", code)}
    assert outside and not outside & set(iburi["by_area"])
    assert {p["area_code"] for p in iburi["platforms"]} <= set(access.areas_within("01B04"))


def test_memberships_are_generated_once_at_the_sizes_of_real_pfs(generated, scale_dsn):
    _, first = generated
    with psycopg.connect(scale_dsn) as conn:
        assert scale_data.load_memberships(conn, seed=0.9) == first
        sizes = {r[0]: r[1] for r in conn.execute(
            "SELECT p.level, max(n) FROM (SELECT platform_id, count(*) AS n FROM memberships GROUP BY 1) c "
            "JOIN platforms p ON p.id = c.platform_id GROUP BY p.level")}
        steps = conn.execute("SELECT count(*) FROM memberships m WHERE NOT EXISTS (SELECT 1 FROM membership_history h "
                             "WHERE h.membership_id = m.id)").fetchone()[0]
    assert first["platforms"] > 100 and first["memberships"] > 1000
    assert sizes["municipality"] <= 60 and sizes["bureau"] <= 100 and sizes["prefecture"] <= 300
    assert steps == 0  # every membership has its dated history
