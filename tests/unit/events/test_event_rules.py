from datetime import date, datetime, time, timezone

import pytest

from services.events.event_lifecycle import (EventTransitionRefused, check_event_transition,
                                             registration_window_open, session_problems)
from services.events.handouts import distribution_problems, totals
from services.events.trial_project_rules import achieved, attainment, budget_total


def test_event_status_path():
    for current, target in (("planned", "open"), ("open", "closed"), ("closed", "held"), ("open", "cancelled")):
        check_event_transition(current, target, registration_enabled=True)
    check_event_transition("planned", "held", registration_enabled=False)
    for current, target, reg in (("planned", "held", True), ("held", "open", True), ("cancelled", "open", True),
                                 ("planned", "closed", True), ("planned", "open", False), ("open", "planned", True)):
        with pytest.raises(EventTransitionRefused):
            check_event_transition(current, target, registration_enabled=reg)


def test_registration_window():
    t = lambda h: datetime(2024, 1, 10, h, tzinfo=timezone.utc)
    assert registration_window_open(t(10), t(9), t(11))
    assert not registration_window_open(t(8), t(9), t(11))
    assert not registration_window_open(t(11), t(9), t(11))
    assert registration_window_open(t(11), None, None)


def test_sessions_need_a_place_and_a_sane_time():
    ok = {"date": date(2024, 1, 29), "start_time": time(9, 30), "end_time": time(12, 0), "venue_name": "共済ホール"}
    assert session_problems([ok]) == []
    assert session_problems([]) != []
    bad = {"date": date(2024, 1, 29), "start_time": time(12, 0), "end_time": time(9, 0)}
    pointers = {p["pointer"] for p in session_problems([bad])}
    assert pointers == {"#/sessions/0/end_time", "#/sessions/0/venue_name"}
    assert session_problems([{**bad, "start_time": time(8), "online_url": "https://example.jp/live"}]) == []


def test_handout_distribution_cannot_exceed_print_run():
    noboribetsu = [{"site_kind": "市報折込", "copies": 19000}, {"site_kind": "窓口等", "site_count": 26, "copies": 4000}]
    assert distribution_problems(23000, noboribetsu) == []
    assert totals(23000, noboribetsu) == {"copies_printed": 23000, "copies_distributed": 23000, "sites": 27,
                                          "site_kinds": 2, "copies_remaining": 0}
    assert distribution_problems(22000, noboribetsu)[0]["pointer"] == "#/distributions"


def test_kpi_attainment_and_budget():
    assert attainment(300, 342) == 1.14
    assert achieved(300, 342) is True
    assert achieved(100, 78) is False
    assert attainment(10, 5, "at_most") == 2.0 and achieved(10, 5, "at_most") is True
    assert attainment(None, 5) is None
    assert budget_total([{"amount_yen": 2_000_000}, {"amount_yen": 300_000}]) == 2_300_000
