from services.events.statistics import _blank, roll_up


def area(held_by_type, attendance, kpi, budget, achieved, measured):
    a = _blank()
    for t, months in held_by_type.items():
        for m, n in months.items():
            a["events_held"]["total"] += n
            a["events_held"]["by_type"][t] = a["events_held"]["by_type"].get(t, 0) + n
            a["events_held"]["by_month"][m] = a["events_held"]["by_month"].get(m, 0) + n
            a["events_held"]["by_type_and_month"].setdefault(t, {})[m] = n
    a["attendance"] = {"total": sum(attendance.values()), "by_category": attendance}
    a["survey_kpis"]["understanding"] = {"label": "理解", **kpi, "rate": None,
                                         "previous": {"positive": 1, "answered": 2, "events": 1, "rate": 0.5}}
    a["trial_projects"].update({"count": 1, "budget_yen": budget, "kpis": measured, "kpis_measured": measured,
                                "kpis_achieved": achieved})
    return a


def test_roll_up_keeps_numerators_and_denominators_exact():
    areas = {
        "012301": area({"pf_meeting": {"2024-02": 1}}, {"pf_member": 14, "commissioner": 27},
                       {"positive": 39, "answered": 41, "events": 1}, 0, 1, 3),
        "01": area({"training": {"2024-01": 1}, "pf_meeting": {"2024-02": 1}}, {"other": 342},
                   {"positive": 103, "answered": 108, "events": 1}, 3_100_000, 2, 2),
    }
    total = roll_up(areas)
    assert total["events_held"]["total"] == 3
    assert total["events_held"]["by_type"] == {"pf_meeting": 2, "training": 1}
    assert total["events_held"]["by_type_and_month"]["pf_meeting"] == {"2024-02": 2}
    assert total["attendance"] == {"total": 383, "by_category": {"pf_member": 14, "commissioner": 27, "other": 342}}
    u = total["survey_kpis"]["understanding"]
    assert (u["positive"], u["answered"], u["rate"]) == (142, 149, round(142 / 149, 4))
    assert u["previous"] == {"positive": 2, "answered": 4, "events": 2, "rate": 0.5}
    assert total["trial_projects"]["budget_yen"] == 3_100_000
    assert total["trial_projects"]["kpi_attainment_rate"] == 0.6
    assert roll_up({})["survey_kpis"] == {}
