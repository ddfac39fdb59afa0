"""Membership lifecycle: invited → applied → active → suspended → withdrawn, with dates, who acted and why.

  invite     (new)                         → invited     the PF invites an organisation
  apply      (new) | invited               → applied     the organisation applies (or accepts an invitation)
  approve    applied                       → active      the PF secretariat approves
  reinstate  suspended                     → active      a suspension is lifted
  suspend    active                        → suspended
  withdraw   invited|applied|active|suspended → withdrawn  either side ends it (final)
  change_class  any status but withdrawn, class must differ

Plain Python, no I/O: `transition()` answers the new status or raises LifecycleViolation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .vocabulary import MEMBERSHIP_CLASSES

NEW = None

TRANSITIONS: dict[str, tuple[tuple[str | None, ...], str]] = {
    "invite": ((NEW,), "invited"),
    "apply": ((NEW, "invited"), "applied"),
    "approve": (("applied",), "active"),
    "reinstate": (("suspended",), "active"),
    "suspend": (("active",), "suspended"),
    "withdraw": (("invited", "applied", "active", "suspended"), "withdrawn"),
}

# The integration event each action emits (DEVELOPERS.md contract).
EVENT_OF_ACTION = {"invite": "membership.invited", "apply": "membership.applied", "approve": "membership.activated",
                   "reinstate": "membership.activated", "suspend": "membership.suspended",
                   "withdraw": "membership.withdrawn", "change_class": "membership.class_changed"}

# Actions the organisation itself may take; the rest belong to whoever manages the PF.
ORGANISATION_ACTIONS = frozenset({"apply", "withdraw"})
REASON_REQUIRED = frozenset({"suspend"})


class LifecycleViolation(ValueError):
    def __init__(self, message: str, field: str = "action"):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Step:
    action: str
    from_status: str | None
    to_status: str
    membership_class: str
    effective_on: date
    reason: str | None


def transition(action: str, status: str | None, membership_class: str, effective_on: date,
               reason: str | None = None, last_effective_on: date | None = None,
               new_class: str | None = None) -> Step:
    if membership_class not in MEMBERSHIP_CLASSES:
        raise LifecycleViolation("unknown membership class", "membership_class")
    if last_effective_on is not None and effective_on < last_effective_on:
        raise LifecycleViolation("the change cannot take effect before the membership's previous change",
                                 "effective_on")
    reason = reason.strip() if reason and reason.strip() else None
    if action in REASON_REQUIRED and not reason:
        raise LifecycleViolation(f"'{action}' needs a reason", "reason")
    if action == "change_class":
        if status in (NEW, "withdrawn"):
            raise LifecycleViolation("a withdrawn membership cannot change class", "action")
        if new_class not in MEMBERSHIP_CLASSES:
            raise LifecycleViolation("unknown membership class", "membership_class")
        if new_class == membership_class:
            raise LifecycleViolation("the membership already has this class", "membership_class")
        return Step(action, status, status, new_class, effective_on, reason)
    if action not in TRANSITIONS:
        raise LifecycleViolation(f"unknown action '{action}'")
    allowed_from, to_status = TRANSITIONS[action]
    if status not in allowed_from:
        current = status or "none"
        raise LifecycleViolation(f"cannot {action} a membership that is {current}")
    return Step(action, status, to_status, membership_class, effective_on, reason)
