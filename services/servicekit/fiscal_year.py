"""Japanese fiscal years (April to March), also shown in the 令和 era: FY2023 = 令和5年度 (R5).
2024-03-31 belongs to FY R5 and 2024-04-01 to FY R6."""
from __future__ import annotations

from datetime import date

REIWA_FIRST_YEAR = 2019  # 令和元年


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day (inclusive) of the fiscal year."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def reiwa_label(fiscal_year: int) -> str:
    n = fiscal_year - REIWA_FIRST_YEAR + 1
    era = "令和元" if n == 1 else f"令和{n}"
    return f"{era}年度" if n >= 1 else f"{fiscal_year}年度"


def short_label(fiscal_year: int) -> str:
    return f"R{fiscal_year - REIWA_FIRST_YEAR + 1}"
