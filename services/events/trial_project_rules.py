"""Trial projects (試行的事業): budget lines, KPI targets and outcome verification (成果検証).

A KPI has a numeric target and, once verified, a measured value. Attainment is measured / target for a
KPI where more is better ("at_least"), and target / measured where less is better ("at_most"), capped
at neither end so over-attainment shows.
"""
from __future__ import annotations

from decimal import Decimal

STATUSES = ("planned", "in_progress", "verified")
TRANSITIONS = {"planned": {"in_progress", "verified"}, "in_progress": {"verified"}, "verified": set()}


def attainment(target, measured, direction: str = "at_least") -> float | None:
    if target is None or measured is None:
        return None
    target, measured = Decimal(str(target)), Decimal(str(measured))
    if direction == "at_most":
        if measured == 0:
            return None if target == 0 else float("inf")
        return round(float(target / measured), 4)
    if target == 0:
        return None
    return round(float(measured / target), 4)


def achieved(target, measured, direction: str = "at_least") -> bool | None:
    if target is None or measured is None:
        return None
    target, measured = Decimal(str(target)), Decimal(str(measured))
    return measured >= target if direction != "at_most" else measured <= target


def budget_total(contractors: list[dict]) -> int:
    return sum(int(c.get("amount_yen") or 0) for c in contractors)


def verification_problems(kpis: list[dict], measured: dict[str, object]) -> list[dict]:
    codes = {k["code"] for k in kpis}
    problems = [{"pointer": f"#/measurements/{code}", "detail": "no such KPI in this project"}
                for code in measured if code not in codes]
    return problems
