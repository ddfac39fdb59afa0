"""An event's own status: planned → open → closed → held, or cancelled; an event without registration goes
planned → held directly. Plus the checks on its sessions and registration window."""
from __future__ import annotations

from datetime import date, datetime

EVENT_TRANSITIONS = {
    "planned": frozenset({"open", "held", "cancelled"}),
    "open": frozenset({"closed", "cancelled"}),
    "closed": frozenset({"held", "open", "cancelled"}),
    "held": frozenset(),
    "cancelled": frozenset(),
}

# The integration event each status change publishes.
STATUS_EVENT = {"open": "event.opened", "closed": "event.closed", "held": "event.held",
                "cancelled": "event.cancelled"}


class EventTransitionRefused(ValueError):
    pass


def check_event_transition(current: str, target: str, *, registration_enabled: bool) -> None:
    if target not in EVENT_TRANSITIONS.get(current, frozenset()):
        raise EventTransitionRefused(f"an event cannot go from '{current}' to '{target}'")
    if target == "open" and not registration_enabled:
        raise EventTransitionRefused("an event without registration is not opened for registration")
    if current == "planned" and target == "held" and registration_enabled:
        raise EventTransitionRefused("an event with registration is opened and closed before it is held")


def registration_window_open(now: datetime, opens_at: datetime | None, closes_at: datetime | None) -> bool:
    if opens_at is not None and now < opens_at:
        return False
    if closes_at is not None and now >= closes_at:
        return False
    return True


def session_problems(sessions: list[dict]) -> list[dict]:
    """Field errors for a list of sessions: end after start, a venue (with area code) or an online URL."""
    problems = []
    if not sessions:
        problems.append({"pointer": "#/sessions", "detail": "an event has at least one session"})
    for i, s in enumerate(sessions):
        start, end = s.get("start_time"), s.get("end_time")
        if start and end and end <= start:
            problems.append({"pointer": f"#/sessions/{i}/end_time", "detail": "ends before it starts"})
        if not s.get("online_url") and not s.get("venue_name"):
            problems.append({"pointer": f"#/sessions/{i}/venue_name",
                             "detail": "a session has a venue or an online URL"})
    return problems


def first_and_last_day(sessions: list[dict]) -> tuple[date, date]:
    days = sorted(s["date"] for s in sessions)
    return days[0], days[-1]
