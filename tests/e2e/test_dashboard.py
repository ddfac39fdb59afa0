"""The dashboard against the demo data: every figure checked against what the demo sources imply (counted here
from the demo definitions, not through the statistics code), each role's scope, and small-count suppression."""
from collections import Counter
from datetime import date

import pytest
import requests

from services.events import demo_data as events_demo
from services.referrals import demo_data as referrals_demo
from services.servicekit.areas.scope import scope_contains
from services.servicekit.fiscal_year import fiscal_year_of

pytestmark = pytest.mark.e2e
FY = 2023


def dashboard(stack, role, home=None, **params):
    """The dashboard as a `role` user working for area `home`; params go to the query (area=, fy=)."""
    response = stack.session(role, home).get(stack.url + "/v1/dashboard", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def table(data, table_id):
    return next(t for t in data["tables"] if t["id"] == table_id)


def card(data, card_id):
    return next(c for c in data["cards"] if c["id"] == card_id)["value"]


# --- what the demo sources imply -----------------------------------------------------------------------------
def demo_events(scope):
    return [e for e in events_demo.EVENTS if scope_contains(scope, e[1])
            and fiscal_year_of(date.fromisoformat(e[3]["sessions"][0]["date"])) == FY]


def demo_attendance(scope):
    return sum(sum(e[4]["head_counts"].values()) for e in demo_events(scope) if e[4])


def demo_budget(scope):
    return sum(c.get("amount_yen", 0) for slug, area, body, _ in events_demo.TRIAL_PROJECTS
               if scope_contains(scope, area) and body["fiscal_year"] == FY for c in body["contractors"])


FINAL = {"C": "completed", "A": "accepted", "P": "in-progress", "R": "rejected", "X": "cancelled", "W": "requested"}


def demo_referrals(scope):
    """Final status of each demo referral in the scope."""
    return Counter(FINAL[pattern[i % len(pattern)]] for area, _c, _u, count, pattern in referrals_demo.PLAN
                   if scope_contains(scope, area) for i in range(count))


def funnel(statuses: Counter) -> dict:
    return {"requested": sum(statuses.values()),
            "accepted": sum(statuses[s] for s in ("accepted", "in-progress", "completed")),
            "completed": statuses["completed"]}


# --- prefecture ----------------------------------------------------------------------------------------------
def test_the_prefecture_sees_every_bureau_with_the_demo_figures(demo_stack):
    data = dashboard(demo_stack, "prefecture", "01", fy=FY)
    assert data["area"]["code"] == "01" and data["fiscal_year_label"].startswith("令和5年度")
    pf = {r["area_code"]: r for r in table(data, "pf_formation")["rows"] if r["area_code"]}
    assert len({code for code in pf}) == 14
    assert pf["01B13"]["phase"] == "準備"  # 釧路's bureau PF in preparation
    assert pf["01B10"]["platform"] == "未設置"  # 宗谷 has none
    assert "登別市" in pf["01B04"]["platform"]  # 胆振: 登別市's municipal PF
    assert card(data, "events_held") == len(demo_events("01"))
    assert card(data, "attendance") == demo_attendance("01") == 342 + 73
    assert card(data, "trial_budget") == demo_budget("01") == 7_650_000  # 310万+180万+170万+105万
    steps = {s["label"]: s["value"] for s in data["charts"]["funnel"]["steps"]}
    expected = funnel(demo_referrals("01"))
    assert steps == {"依頼": expected["requested"], "受入": expected["accepted"], "完了": expected["completed"]}
    kpis = {r["question"]: r for r in table(data, "survey_kpis")["rows"]}
    assert kpis, "survey KPIs of the demo events"
    for value in (c["as_of"] for c in data["cards"]):
        assert value  # every figure carries its as-of time


def test_referral_rows_below_prefecture_level_are_suppressed_and_unrecoverable(demo_stack):
    data = dashboard(demo_stack, "prefecture", "01", fy=FY)
    rows = {r["area_code"]: r for r in table(data, "referrals_by_area")["rows"]}
    assert rows["01B04"]["requested"] == sum(demo_referrals("01B04").values())  # 胆振: 18, shown
    assert rows["01B10"]["requested"] == "< 3"  # 宗谷: none, hidden like any small count
    for column in ("requested", "accepted", "completed", "overdue"):
        hidden = [r for r in rows.values() if r[column] == "< 3"]
        assert len(hidden) != 1, column  # one hidden cell could be recovered from the prefecture total

    bureau = dashboard(demo_stack, "bureau", "01B04", fy=FY)
    by_city = {r["area_code"]: r for r in table(bureau, "referrals_by_area")["rows"]}
    assert by_city["012301"]["requested"] == sum(demo_referrals("012301").values())
    assert by_city["012335"]["requested"] == "< 3"  # 伊達市: 2 referrals
    for column in ("requested", "accepted", "completed", "overdue"):
        assert len([r for r in by_city.values() if r[column] == "< 3"]) != 1, column
    categories = {r["category"]: r["count"] for r in table(bureau, "referrals_by_category")["rows"]}
    assert categories["8050問題"] == "< 3"
    assert list(categories.values()).count("< 3") >= 2  # and a second one, so the total does not reveal it


def test_each_role_sees_only_its_scope(demo_stack):
    assert dashboard(demo_stack, "bureau", "01B04", fy=FY)["area"]["code"] == "01B04"
    drilled = dashboard(demo_stack, "prefecture", "01", area="012301", fy=FY)
    assert [c["name"] for c in drilled["breadcrumb"]] == ["北海道", "胆振総合振興局", "登別市"]
    muni = dashboard(demo_stack, "municipality", "012301", fy=FY)
    assert muni["area"]["code"] == "012301"
    assert card(muni, "attendance") == demo_attendance("012301") == 73
    for role, area, asked in (("bureau", "01B04", "01"), ("bureau", "01B04", "01B13"),
                              ("municipality", "012301", "012050"), ("municipality", "012301", "01B04")):
        response = demo_stack.session(role, area).get(demo_stack.url + "/v1/dashboard", params={"area": asked})
        assert response.status_code == 404, (role, asked)
    org = demo_stack.session("organization", org="7f0c1a36-3c7c-4b44-9a8e-0d3c7d2c9b10")
    assert org.get(demo_stack.url + "/v1/dashboard").status_code == 403
    assert requests.get(demo_stack.url + "/v1/dashboard").status_code == 401


def test_tables_download_as_csv_and_xlsx_with_the_same_figures(demo_stack):
    import io

    from openpyxl import load_workbook
    session = demo_stack.session("bureau", "01B04")
    params = {"fy": FY}
    csv_response = session.get(demo_stack.url + "/v1/dashboard/tables/events_by_area.csv", params=params)
    assert csv_response.status_code == 200 and "attachment" in csv_response.headers["Content-Disposition"]
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("地域,開催数,参加者数")
    noboribetsu = next(line for line in lines if line.startswith("登別市,"))
    assert noboribetsu.split(",")[2] == "73"
    xlsx = session.get(demo_stack.url + "/v1/dashboard/tables/referrals_by_area.xlsx", params=params)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert values["伊達市"] == "< 3"
    assert session.get(demo_stack.url + "/v1/dashboard/tables/nope.csv").status_code == 404


def test_the_dashboard_carries_no_personal_data(demo_stack):
    text = demo_stack.session("prefecture", "01").get(demo_stack.url + "/v1/dashboard", params={"fy": FY}).text
    for _key, _area, _cat, _urg, _at, _letter, person in referrals_demo.plan():
        assert person["name"] not in text and person["name_kana"] not in text


def test_a_period_narrows_the_referral_figures(demo_stack):
    from datetime import timedelta, timezone
    jst = timezone(timedelta(hours=9))
    start, end = date(2023, 10, 1), date(2023, 12, 31)
    data = dashboard(demo_stack, "prefecture", "01", fy=FY, **{"from": start.isoformat(), "to": end.isoformat()})
    assert data["period"] == {"from": "2023-10-01", "to": "2023-12-31"}
    expected = sum(1 for _k, area, _c, _u, at, _l, _p in referrals_demo.plan()
                   if scope_contains("01", area) and start <= at.astimezone(jst).date() <= end)
    steps = {s["label"]: s["value"] for s in data["charts"]["funnel"]["steps"]}
    assert steps["依頼"] == expected
    assert expected < sum(demo_referrals("01").values())  # the period really narrows it
    bad = demo_stack.session("prefecture", "01").get(demo_stack.url + "/v1/dashboard",
                                                     params={"fy": FY, "from": "2023-12-31", "to": "2023-10-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/to"
    half = demo_stack.session("prefecture", "01").get(demo_stack.url + "/v1/dashboard", params={"from": "2023-10-01"})
    assert half.status_code == 422
