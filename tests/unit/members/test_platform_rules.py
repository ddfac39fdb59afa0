from datetime import date

import pytest

from services.members.platform_rules import (PlatformRuleViolation, change_phase, check_level_and_area, check_parent,
                                             is_subcommittee)


def test_level_must_match_the_area():
    check_level_and_area("prefecture", "01")
    check_level_and_area("bureau", "01B13")
    check_level_and_area("municipality", "012301")
    check_level_and_area("cross_area", "xa-nishi-iburi")
    for level, area in (("prefecture", "012301"), ("bureau", "01"), ("municipality", "01B04"), ("national", "JP")):
        with pytest.raises(PlatformRuleViolation):
            check_level_and_area(level, area)
    with pytest.raises(PlatformRuleViolation) as exc:
        check_level_and_area("municipality", "999999")
    assert exc.value.field == "area_code"


def test_a_parent_must_cover_the_child():
    check_parent("012301", "01")
    check_parent("012301", "01B04")
    check_parent("xa-nishi-iburi", "01")
    with pytest.raises(PlatformRuleViolation):
        check_parent("012301", "01B13")  # 登別 is not in 釧路
    with pytest.raises(PlatformRuleViolation):
        check_parent("01", "012301")
    assert is_subcommittee("012301", "012301") and not is_subcommittee("012301", "01")


def test_phase_changes_are_dated_and_backward_moves_need_a_reason():
    since = date(2023, 10, 26)
    assert change_phase("initial", since, "established", date(2024, 4, 1), None).to_phase == "established"
    with pytest.raises(PlatformRuleViolation):
        change_phase("initial", since, "initial", date(2024, 4, 1), None)
    with pytest.raises(PlatformRuleViolation) as exc:
        change_phase("initial", since, "preparation", date(2023, 1, 1), None)
    assert exc.value.field == "effective_on"
    with pytest.raises(PlatformRuleViolation) as exc:
        change_phase("established", since, "preparation", date(2024, 4, 1), "")
    assert exc.value.field == "reason"
    assert change_phase("established", since, "preparation", date(2024, 4, 1), "事務局体制の見直し").reason
