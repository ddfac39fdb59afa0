"""Registration statuses and the rules of a place at an event, after CiviEvent (standards.md §4.2).

Each status has a class (Positive, Pending, Waiting, Negative) and whether it counts against the event's
capacity. Only the listed transitions are allowed; anything else is refused. The functions here decide,
from plain numbers, what status a new registration gets and who on the waitlist is offered a freed place.
They do no I/O: the registration desk calls them while it holds the event's row lock.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusType:
    code: str
    label: str
    label_ja: str
    klass: str  # Positive | Pending | Waiting | Negative
    is_counted: bool


STATUS_TYPES: dict[str, StatusType] = {s.code: s for s in (
    StatusType("registered", "Registered", "登録済", "Positive", True),
    StatusType("attended", "Attended", "出席", "Positive", True),
    StatusType("no_show", "No-show", "欠席", "Negative", False),
    StatusType("cancelled", "Cancelled", "取消", "Negative", False),
    StatusType("on_waitlist", "On waitlist", "キャンセル待ち", "Waiting", False),
    StatusType("pending_from_waitlist", "Pending from waitlist", "繰上げ確認中", "Pending", True),
    StatusType("awaiting_approval", "Awaiting approval", "承認待ち", "Waiting", False),
    StatusType("pending_from_approval", "Pending from approval", "承認済・確認中", "Pending", True),
    StatusType("rejected", "Rejected", "不承認", "Negative", False),
    StatusType("expired", "Expired", "期限切れ", "Negative", False),
)}

# CiviEvent's $_statusTransitionsRules, plus the moves a host makes around the event itself
# (approval may also be refused; attendance is recorded for registered people and may be corrected).
TRANSITIONS: dict[str, frozenset[str]] = {
    "on_waitlist": frozenset({"cancelled", "pending_from_waitlist"}),
    "pending_from_waitlist": frozenset({"registered", "cancelled", "expired"}),
    "awaiting_approval": frozenset({"cancelled", "pending_from_approval", "rejected"}),
    "pending_from_approval": frozenset({"registered", "cancelled", "expired"}),
    "registered": frozenset({"attended", "no_show", "cancelled"}),
    "attended": frozenset({"no_show"}),
    "no_show": frozenset({"attended"}),
    "cancelled": frozenset(),
    "rejected": frozenset(),
    "expired": frozenset(),
}

ACTIVE_STATUSES = frozenset(code for code, s in STATUS_TYPES.items() if s.klass != "Negative")
COUNTED_STATUSES = frozenset(code for code, s in STATUS_TYPES.items() if s.is_counted)


class TransitionRefused(ValueError):
    """The requested status change is not one of the allowed transitions."""


class NoPlace(ValueError):
    """The event is full and has no waitlist."""


def status_type(code: str) -> StatusType:
    return STATUS_TYPES[code]


def check_transition(current: str, target: str) -> None:
    if target not in STATUS_TYPES:
        raise TransitionRefused(f"unknown registration status '{target}'")
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionRefused(f"a registration cannot go from '{current}' to '{target}'")


def is_full(capacity: int | None, counted_seats: int, waiting_count: int) -> bool:
    """CiviEvent's eventFull(): counted seats reach the capacity, or anyone is already waiting."""
    if waiting_count > 0:
        return True
    return capacity is not None and counted_seats >= capacity


def fits(capacity: int | None, counted_seats: int, seats: int) -> bool:
    return capacity is None or counted_seats + seats <= capacity


def initial_status(*, capacity: int | None, counted_seats: int, waiting_count: int, seats: int,
                   waitlist_enabled: bool, approval_required: bool) -> str:
    """The status a new registration for `seats` people gets.

    Approval first (not counted until approved); otherwise a place if it fits and nobody is waiting
    (people already on the waitlist keep their turn); otherwise the waitlist, if the event has one.
    """
    if approval_required:
        return "awaiting_approval"
    if waiting_count == 0 and fits(capacity, counted_seats, seats):
        return "registered"
    if waitlist_enabled:
        return "on_waitlist"
    raise NoPlace("the event is full")


def offers_for_freed_places(capacity: int | None, counted_seats: int, waitlist: list[tuple[str, int]]) -> list[str]:
    """Registration ids (in waitlist order) to offer a place to: the first on the waitlist, then the next,
    while each fits in the free seats. Strictly first come, first served: a large group at the head of
    the waitlist is not overtaken by a smaller one behind it."""
    offered = []
    seats_taken = counted_seats
    for registration_id, seats in waitlist:
        if not fits(capacity, seats_taken, seats):
            break
        offered.append(registration_id)
        seats_taken += seats
    return offered
