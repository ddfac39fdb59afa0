from datetime import date

import pytest

from services.members.membership_lifecycle import LifecycleViolation, transition

D = date(2024, 3, 15)


def test_the_happy_path_invited_applied_active_suspended_active_withdrawn():
    status = None
    for action, expected in (("invite", "invited"), ("apply", "applied"), ("approve", "active"),
                             ("suspend", "suspended"), ("reinstate", "active"), ("withdraw", "withdrawn")):
        step = transition(action, status, "member", D, reason="理由" if action == "suspend" else None)
        assert step.from_status == status and step.to_status == expected
        status = step.to_status


@pytest.mark.parametrize("action,status", [
    ("approve", None), ("approve", "invited"), ("approve", "active"), ("suspend", "applied"),
    ("reinstate", "active"), ("withdraw", "withdrawn"), ("withdraw", None), ("invite", "active"),
    ("apply", "active"), ("apply", "suspended")])
def test_disallowed_transitions_are_refused(action, status):
    with pytest.raises(LifecycleViolation):
        transition(action, status, "member", D, reason="x")


def test_an_organisation_may_apply_without_an_invitation():
    assert transition("apply", None, "member", D).to_status == "applied"


def test_suspension_needs_a_reason():
    with pytest.raises(LifecycleViolation) as exc:
        transition("suspend", "active", "member", D, reason="  ")
    assert exc.value.field == "reason"


def test_dates_cannot_go_backwards():
    with pytest.raises(LifecycleViolation) as exc:
        transition("approve", "applied", "member", date(2024, 1, 1), last_effective_on=D)
    assert exc.value.field == "effective_on"
    assert transition("approve", "applied", "member", D, last_effective_on=D).to_status == "active"


def test_class_changes_keep_the_status_and_need_a_different_class():
    step = transition("change_class", "active", "member", D, new_class="steering")
    assert step.to_status == "active" and step.membership_class == "steering"
    with pytest.raises(LifecycleViolation):
        transition("change_class", "active", "member", D, new_class="member")
    with pytest.raises(LifecycleViolation):
        transition("change_class", "withdrawn", "member", D, new_class="core")
    with pytest.raises(LifecycleViolation):
        transition("change_class", "active", "member", D, new_class="chair")
