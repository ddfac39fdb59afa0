"""Attendance, surveys, handouts, trial projects and the dashboard statistics against real PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.events import event_catalogue, outcomes, statistics, trial_projects
from services.events.schemas import (AttendanceSchema, EventCreateSchema, HandoutCreateSchema, SurveySchema,
                                     TrialProjectCreateSchema, TrialProjectVerifySchema)
from services.servicekit.caller import Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from .conftest import outbox
from .test_registration_desk import BUREAU, KOTO, NOBORIBETSU, _dsn

pytestmark = pytest.mark.integration
LATER = datetime(2024, 6, 1, tzinfo=timezone.utc)
PREF = Principal("staff-hokkaido", "prefecture", "01")


def held_event(units, world, day="2024-02-16", **fields):
    body = {"host_platform_id": world["pf"], "type": "pf_meeting", "title": "PF推進会議", "audiences": ["pf_members"],
            "registration_enabled": False, "sessions": [{"date": day, "venue_name": "ヌプル"}], **fields}
    with units() as uow:
        ev = event_catalogue.create_event(uow, NOBORIBETSU, str(uuid.uuid4()), EventCreateSchema().load(body))
    with units() as uow:
        return event_catalogue.change_status(uow, NOBORIBETSU, ev["id"], "held", LATER)


NOBORIBETSU_73 = {"pf_member": 14, "commissioner": 27, "support_agency": 5, "councillor": 1, "government": 5,
                  "contractor": 6, "secretariat": 15}


def test_head_counts_by_category_for_an_event_without_registration(units, world):
    ev = held_event(units, world)
    with units() as uow:
        result = outcomes.record_attendance(uow, NOBORIBETSU, ev["id"],
                                            AttendanceSchema().load({"head_counts": NOBORIBETSU_73}))
    assert result == {"total": 73, "by_category": NOBORIBETSU_73, "source": "head_counts"}
    with units() as uow:
        assert outcomes.get_attendance(uow, BUREAU, ev["id"])["total"] == 73
        with pytest.raises(NotFound):
            outcomes.get_attendance(uow, KOTO, ev["id"])
        with pytest.raises(Forbidden):
            outcomes.record_attendance(uow, BUREAU, ev["id"], AttendanceSchema().load({"head_counts": {"general": 1}}))
    recorded = [e for e in outbox(_dsn(units), {"attendance.recorded"}) if e["payload"]["event_id"] == ev["id"]]
    assert recorded[-1]["payload"]["total"] == 73 and recorded[-1]["area"] == "012301"


def test_attendance_per_registration(units, world):
    from .test_registration_desk import new_event, register
    ev = new_event(units, world, capacity=None)
    a = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general", people=5)
    b = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="commissioner")
    with units() as uow:
        with pytest.raises(Conflict):  # still open
            outcomes.record_attendance(uow, NOBORIBETSU, ev["id"], AttendanceSchema().load(
                {"registrations": [{"registration_id": a["id"], "attended": True}]}))
    with units() as uow:
        event_catalogue.change_status(uow, NOBORIBETSU, ev["id"], "closed", LATER)
    with units() as uow:
        with pytest.raises(InvalidInput):
            outcomes.record_attendance(uow, NOBORIBETSU, ev["id"], AttendanceSchema().load(
                {"registrations": [{"registration_id": a["id"], "attended": True, "attended_people": 6}]}))
    with units() as uow:
        with pytest.raises(Conflict):  # head counts are for events without registration
            outcomes.record_attendance(uow, NOBORIBETSU, ev["id"], AttendanceSchema().load({"head_counts": {"general": 1}}))
    with units() as uow:
        result = outcomes.record_attendance(uow, NOBORIBETSU, ev["id"], AttendanceSchema().load(
            {"registrations": [{"registration_id": a["id"], "attended": True, "attended_people": 4},
                               {"registration_id": b["id"], "attended": False}]}))
    assert result == {"total": 4, "by_category": {"general": 4}, "source": "registrations"}


def hokkaido_training_survey():
    return {"respondents": 108, "questions": [
        {"template_code": "awareness_anyone", "answered": 108, "counts": {"first_time": 32, "knew": 76}},
        {"template_code": "understanding", "answered": 108, "counts": {"4": 47, "3": 56, "2": 5}},
        {"template_code": "navi_first_learned", "answered": 108, "counts": {"first_time": 91, "knew": 17}},
        {"kind": "free_text", "text": "ご意見・ご感想", "answered": 40, "free_text_answers": 40}]}


def test_survey_aggregation_and_response_rate(units, world):
    ev = held_event(units, world)
    with units() as uow:
        outcomes.record_attendance(uow, NOBORIBETSU, ev["id"], AttendanceSchema().load({"head_counts": {"general": 342}}))
    with units() as uow:
        s = outcomes.record_survey(uow, NOBORIBETSU, ev["id"], SurveySchema().load(hokkaido_training_survey()))
    assert s["respondents"] == 108 and s["participants"] == 342 and s["response_rate"] == 0.3158
    understanding = s["questions"][1]
    assert understanding["counts"] == {"4": 47, "3": 56, "2": 5, "1": 0}
    assert understanding["shares"]["4"] == 0.4352 and understanding["kpi"]["rate"] == 0.9537
    assert s["questions"][2]["kpi"]["rate"] == 0.8426  # 84.3% learned of the navi for the first time
    with units() as uow:
        with pytest.raises(InvalidInput) as bad:
            outcomes.record_survey(uow, NOBORIBETSU, ev["id"], SurveySchema().load(
                {"respondents": 10, "questions": [{"template_code": "understanding", "answered": 11}]}))
    assert bad.value.errors[0]["pointer"] == "#/questions/0/answered"
    payload = [e for e in outbox(_dsn(units), {"survey.recorded"}) if e["payload"]["event_id"] == ev["id"]][-1]["payload"]
    assert payload["respondents"] == 108 and payload["standard_questions"] == ["awareness_anyone", "understanding",
                                                                                "navi_first_learned"]


def test_handouts_by_site(units, world):
    body = {"platform_id": world["pf"], "item": "孤独・孤立対策パンフレット", "kind": "pamphlet", "copies_printed": 23000,
            "distributed_on": "2024-02-01", "distributions": [
                {"site_kind": "市報折込", "copies": 19000}, {"site_kind": "保健福祉部各課", "copies": 1370},
                {"site_kind": "市民相談・納税相談", "copies": 230}, {"site_kind": "社会福祉協議会", "copies": 400},
                {"site_kind": "民生委員児童委員協議会", "copies": 1500},
                {"site_kind": "地域包括支援センター", "site_count": 3, "copies": 150},
                {"site_kind": "総合相談支援センター en", "copies": 300},
                {"site_kind": "若者サポートステーション", "copies": 50}]}
    with units() as uow:
        h = outcomes.record_handout(uow, NOBORIBETSU, HandoutCreateSchema().load(body))
    assert h["fiscal_year"] == 2023 and h["totals"]["copies_distributed"] == 23000
    with units() as uow:
        with pytest.raises(InvalidInput):
            outcomes.record_handout(uow, NOBORIBETSU, HandoutCreateSchema().load({**body, "copies_printed": 20000}))
        with pytest.raises(InvalidInput):
            outcomes.record_handout(uow, BUREAU, HandoutCreateSchema().load(body))
        assert outcomes.get_handout(uow, BUREAU, h["id"])["item"] == "孤独・孤立対策パンフレット"
        with pytest.raises(NotFound):
            outcomes.get_handout(uow, KOTO, h["id"])


def test_trial_project_verification_and_statistics_with_fiscal_year_boundary(units, world):
    with units() as uow:
        p = trial_projects.create(uow, NOBORIBETSU, TrialProjectCreateSchema().load({
            "platform_id": world["pf"], "name": "PF推進会議・つながりサポーター養成講座", "starts_on": "2024-02-16",
            "contractors": [{"name": "有限会社ビジュアル・アートバウ", "amount_yen": 500000},
                            {"name": "社会福祉法人ホープ", "amount_yen": 120000}],
            "kpis": [{"code": "understanding", "label": "理解が深まった割合", "unit": "%", "target": 80},
                     {"code": "intention", "label": "行動意向", "unit": "%", "target": 60}]}))
    assert p["fiscal_year"] == 2023 and p["fiscal_year_label"] == "R5" and p["budget_yen"] == 620000
    with units() as uow:
        with pytest.raises(InvalidInput):
            trial_projects.verify(uow, NOBORIBETSU, p["id"], TrialProjectVerifySchema().load(
                {"verification_text": "x", "verified_on": "2024-03-15", "measurements": {"nope": {"measured": 1}}}))
    with units() as uow:
        with pytest.raises(Forbidden):
            trial_projects.verify(uow, BUREAU, p["id"], TrialProjectVerifySchema().load(
                {"verification_text": "x", "verified_on": "2024-03-15"}))
    with units() as uow:
        v = trial_projects.verify(uow, NOBORIBETSU, p["id"], TrialProjectVerifySchema().load({
            "verification_text": "95%が理解を深め、58%が行動意向", "verified_on": "2024-03-15",
            "measurements": {"understanding": {"measured": 95}, "intention": {"measured": 58}}}))
    assert [(k["attainment"], k["achieved"]) for k in v["kpis"]] == [(1.1875, True), (0.9667, False)]
    verified = [e for e in outbox(_dsn(units), {"trial_project.verified"})
                if e["payload"]["trial_project_id"] == p["id"]][-1]["payload"]
    assert verified["kpis_achieved"] == 1 and verified["budget_yen"] == 620000

    # Fiscal-year boundary: 2024-03-31 is FY R5 (2023), 2024-04-01 is FY R6 (2024).
    last_day_r5 = held_event(units, world, day="2024-03-31", type="lecture")
    first_day_r6 = held_event(units, world, day="2024-04-01", type="lecture")
    assert (last_day_r5["fiscal_year"], first_day_r6["fiscal_year"]) == (2023, 2024)
    with units() as uow:
        outcomes.record_survey(uow, NOBORIBETSU, last_day_r5["id"], SurveySchema().load(
            {"respondents": 10, "questions": [{"template_code": "understanding", "answered": 10, "counts": {"4": 5}}]}))
        outcomes.record_survey(uow, NOBORIBETSU, first_day_r6["id"], SurveySchema().load(
            {"respondents": 10, "questions": [{"template_code": "understanding", "answered": 10, "counts": {"4": 9}}]}))
    with units() as uow:
        r5 = statistics.statistics(uow, BUREAU, "01B04", 2023, LATER)
        r6 = statistics.statistics(uow, PREF, "01", 2024, LATER)
        with pytest.raises(NotFound):
            statistics.statistics(uow, KOTO, "01B04", 2023, LATER)
    area = r5["areas"]["012301"]
    assert area["events_held"]["by_month"].get("2024-03", 0) >= 1 and "2024-04" not in area["events_held"]["by_month"]
    assert r5["fiscal_year_label"] == "R5" and r5["as_of"].startswith("2024-06-01")
    assert area["trial_projects"]["budget_yen"] >= 620000 and area["trial_projects"]["kpis_achieved"] >= 1
    r6_understanding = r6["areas"]["012301"]["survey_kpis"]["understanding"]
    assert r6_understanding["positive"] == 9 and r6_understanding["answered"] == 10
    # The previous fiscal year (R5) beside it: includes the 2024-03-31 lecture's 5 of 10.
    assert r6_understanding["previous"]["answered"] >= 10
    assert r6["totals"]["events_held"]["by_type"] == {"lecture": 1}
