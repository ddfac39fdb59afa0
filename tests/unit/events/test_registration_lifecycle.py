import pytest

from services.events.registration_lifecycle import (COUNTED_STATUSES, STATUS_TYPES, TRANSITIONS, NoPlace,
                                                    TransitionRefused, check_transition, initial_status,
                                                    is_full, offers_for_freed_places)


def test_status_classes_and_counting_follow_civievent():
    assert STATUS_TYPES["registered"].klass == "Positive" and STATUS_TYPES["registered"].is_counted
    assert STATUS_TYPES["attended"].klass == "Positive" and STATUS_TYPES["attended"].is_counted
    assert STATUS_TYPES["on_waitlist"].klass == "Waiting" and not STATUS_TYPES["on_waitlist"].is_counted
    assert STATUS_TYPES["awaiting_approval"].klass == "Waiting" and not STATUS_TYPES["awaiting_approval"].is_counted
    assert STATUS_TYPES["pending_from_waitlist"].klass == "Pending" and STATUS_TYPES["pending_from_waitlist"].is_counted
    assert STATUS_TYPES["pending_from_approval"].is_counted
    for code in ("no_show", "cancelled", "rejected", "expired"):
        assert STATUS_TYPES[code].klass == "Negative" and not STATUS_TYPES[code].is_counted
    assert COUNTED_STATUSES == {"registered", "attended", "pending_from_waitlist", "pending_from_approval"}


@pytest.mark.parametrize("current,target", [
    ("on_waitlist", "cancelled"), ("on_waitlist", "pending_from_waitlist"),
    ("pending_from_waitlist", "registered"), ("pending_from_waitlist", "cancelled"),
    ("awaiting_approval", "cancelled"), ("awaiting_approval", "pending_from_approval"),
    ("pending_from_approval", "registered"), ("pending_from_approval", "cancelled"),
    ("registered", "attended"), ("registered", "cancelled")])
def test_civievent_transitions_are_allowed(current, target):
    check_transition(current, target)


@pytest.mark.parametrize("current,target", [
    ("on_waitlist", "registered"),          # must be offered the place first
    ("awaiting_approval", "registered"),    # must be approved first
    ("cancelled", "registered"), ("rejected", "pending_from_approval"), ("expired", "registered"),
    ("registered", "on_waitlist"), ("attended", "cancelled"), ("registered", "nonsense")])
def test_forbidden_transitions_are_refused(current, target):
    with pytest.raises(TransitionRefused):
        check_transition(current, target)


def test_terminal_statuses_have_no_way_out():
    for code in ("cancelled", "rejected", "expired"):
        assert TRANSITIONS[code] == frozenset()


def test_a_new_registration_gets_a_place_while_it_fits():
    kw = dict(waitlist_enabled=True, approval_required=False)
    assert initial_status(capacity=10, counted_seats=7, waiting_count=0, seats=3, **kw) == "registered"
    assert initial_status(capacity=10, counted_seats=8, waiting_count=0, seats=3, **kw) == "on_waitlist"
    assert initial_status(capacity=None, counted_seats=10_000, waiting_count=0, seats=5, **kw) == "registered"


def test_someone_already_waiting_keeps_their_turn():
    # CiviEvent counts an event with anyone on the waitlist as full.
    assert is_full(10, 2, 1)
    assert initial_status(capacity=10, counted_seats=2, waiting_count=1, seats=1, waitlist_enabled=True,
                          approval_required=False) == "on_waitlist"


def test_full_event_without_waitlist_refuses():
    with pytest.raises(NoPlace):
        initial_status(capacity=2, counted_seats=2, waiting_count=0, seats=1, waitlist_enabled=False,
                       approval_required=False)


def test_approval_required_means_awaiting_approval_whatever_the_seats():
    assert initial_status(capacity=2, counted_seats=0, waiting_count=0, seats=1, waitlist_enabled=False,
                          approval_required=True) == "awaiting_approval"


def test_freed_places_go_to_the_first_on_the_waitlist_in_order():
    waitlist = [("a", 2), ("b", 1), ("c", 1)]
    assert offers_for_freed_places(10, 8, waitlist) == ["a"]
    assert offers_for_freed_places(10, 7, waitlist) == ["a", "b"]
    # The head of the queue needs 2 seats and only 1 is free: nobody overtakes it.
    assert offers_for_freed_places(10, 9, waitlist) == []
    assert offers_for_freed_places(None, 9, waitlist) == ["a", "b", "c"]
