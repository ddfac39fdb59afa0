"""Rules for platforms (PFs): a PF's level must match its area, a parent PF must cover its child's area, and
formation phases move with a dated history (initial 初期 → preparation 準備 → established 設立 → self_running 自走).
Plain Python, no I/O."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.servicekit.areas.registry import AreaRegistry, default_registry
from services.servicekit.areas.scope import scope_contains

from .vocabulary import PHASE_ORDER, PHASES, PLATFORM_LEVELS


class PlatformRuleViolation(ValueError):
    """A PF rule was broken. `field` names the input field at fault; the message contains no personal data."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def check_level_and_area(level: str, area_code: str, registry: AreaRegistry | None = None) -> None:
    registry = registry or default_registry()
    if level not in PLATFORM_LEVELS:
        raise PlatformRuleViolation("level", f"level must be one of {', '.join(PLATFORM_LEVELS)}")
    area = registry.find(area_code)
    if area is None:
        raise PlatformRuleViolation("area_code", "unknown area code")
    if area.level != level:
        raise PlatformRuleViolation("area_code", f"a {level} PF needs a {level} area code, not a {area.level}")


def check_parent(child_area: str, parent_area: str | None) -> None:
    """A parent PF (a wider PF, or the PF a subcommittee 分科会 belongs to) must cover the child's area."""
    if parent_area is None:
        return
    if not scope_contains(parent_area, child_area):
        raise PlatformRuleViolation("parent_platform_id", "the parent PF's area does not contain this PF's area")


def is_subcommittee(area_code: str, parent_area: str | None) -> bool:
    """A subcommittee (分科会) is a PF whose parent works in the same area."""
    return parent_area is not None and parent_area == area_code


@dataclass(frozen=True)
class PhaseChange:
    from_phase: str
    to_phase: str
    effective_on: date
    reason: str | None


def change_phase(current: str, since: date, to_phase: str, effective_on: date, reason: str | None) -> PhaseChange:
    """Validate a phase change. Forward moves may skip phases (a PF built on an existing council can start
    established); moving back needs a reason; the date cannot precede the current phase's start."""
    if to_phase not in PHASES:
        raise PlatformRuleViolation("to_phase", f"phase must be one of {', '.join(PHASES)}")
    if to_phase == current:
        raise PlatformRuleViolation("to_phase", "the PF is already in this phase")
    if effective_on < since:
        raise PlatformRuleViolation("effective_on", "the change cannot take effect before the current phase began")
    if PHASE_ORDER[to_phase] < PHASE_ORDER[current] and not (reason and reason.strip()):
        raise PlatformRuleViolation("reason", "moving a PF back to an earlier phase needs a reason")
    return PhaseChange(current, to_phase, effective_on, reason.strip() if reason else None)
