"""The demo data loads, is idempotent, and matches the sources' figures."""
from datetime import date

import pytest

from services.members import demo_data, statistics
from tests.integration.members.conftest import ADMIN
from tests.support.fixtures import connect

pytestmark = pytest.mark.integration


def test_demo_data_is_idempotent_and_matches_the_sources(members_db):
    first = demo_data.seed(members_db)
    with connect("members") as conn:
        counts = {t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]
                  for t in ("organizations", "platforms", "memberships", "outbox")}
    assert demo_data.seed(members_db) == first
    with connect("members") as conn:
        again = {t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]
                 for t in ("organizations", "platforms", "memberships", "outbox")}
        steering = conn.execute("SELECT count(*) AS n FROM memberships WHERE platform_id = %s AND "
                                "membership_class = 'steering' AND status = 'active'", (first["hokkaido"],)).fetchone()
        pf = conn.execute("SELECT phase, phase_since, first_meeting_on FROM platforms WHERE id = %s",
                          (first["hokkaido"],)).fetchone()
        kushiro = conn.execute("SELECT phase FROM platforms WHERE id = %s", (first["kushiro"],)).fetchone()
    assert again == counts
    assert steering["n"] == 14
    assert pf["phase"] == "established" and pf["phase_since"] == date(2023, 10, 26)
    assert kushiro["phase"] == "preparation"
    with members_db.unit_of_work() as uow:
        stats = statistics.compute(uow, ADMIN, "01", date(2024, 3, 15))
    hokkaido = next(p for p in stats["platforms"] if p["platform_id"] == first["hokkaido"])
    # 14 steering members, 9 named members, 178 other municipalities and 179 municipal councils.
    assert hokkaido["members_by_class"]["steering"] == 14
    assert hokkaido["members_by_status"]["active"] == 14 + 9 + 178 + 179
    assert len([p for p in stats["platforms"] if p["area_code"] == "012301"]) == 1
    assert stats["by_area"]["01"]["by_class"]["steering"] == 14


def test_the_dashboard_composes_the_members_statistics(members_db):
    """The gateway's dashboard composition (gateway/dashboard/composition.py) reads these figures: PF formation
    per bureau, members per area and class."""
    from gateway.dashboard.composition import compose
    ids = demo_data.seed(members_db)
    with members_db.unit_of_work() as uow:
        stats = statistics.compute(uow, ADMIN, "01", date(2024, 3, 31))
    board = compose("01", 2023, stats, {}, {}, 3)
    tables = {t["id"]: t for t in board["tables"]}
    pf_rows = tables["pf_formation"]["rows"]
    own = next(r for r in pf_rows if r["platform"] == demo_data.HOKKAIDO_PF)
    assert own["phase"] == "設立" and own["since"] == "2023-10-26"
    kushiro = next(r for r in pf_rows if r["area_code"] == "01B13")
    assert kushiro["phase"] == "準備" and kushiro["since"] == "2024-01-18"
    assert next(r for r in pf_rows if r["area_code"] == "01B14")["platform"] == "未設置"  # 根室
    iburi = next(r for r in pf_rows if r["area_code"] == "01B04")
    assert iburi["platform"] == "登別市孤独・孤立対策官民連携プラットフォーム"
    members = {r["area_code"]: r for r in tables["members_by_area"]["rows"]}
    assert members["01B04"]["members"] == 14  # 登別市's PF: 登別市 + its 13 roster members
    assert members[None]["steering"] == 14  # the prefecture-wide PF's own row
    classes = {r["class"]: r["count"] for r in tables["members_by_class"]["rows"]}
    assert classes["幹事会員"] == 14
    assert next(c for c in board["cards"] if c["id"] == "members")["value"] == stats["totals"]["members"]
    assert ids["hokkaido"]
