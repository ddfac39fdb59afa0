"""Japanese fiscal years (April–March), named by the calendar year they start in, and their 令和 labels:
FY2023 = 令和5年度 = R5 runs 2023-04-01 … 2024-03-31, so 2024-03-31 is R5 and 2024-04-01 is R6."""
from __future__ import annotations

from datetime import date

REIWA_OFFSET = 2018  # 令和1 = 2019


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day (inclusive) of a fiscal year."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def short_label(fiscal_year: int) -> str:
    """'R5' for FY2023. Fiscal years before 令和 (FY2018 and earlier) have no R label."""
    if fiscal_year <= REIWA_OFFSET:
        raise ValueError("fiscal years before 令和 have no R label")
    return f"R{fiscal_year - REIWA_OFFSET}"


def era_label(fiscal_year: int) -> str:
    """'令和5年度' for FY2023 ('令和元年度' for FY2019); plain '2018年度' before 令和."""
    n = fiscal_year - REIWA_OFFSET
    if n < 1:
        return f"{fiscal_year}年度"
    return f"令和{'元' if n == 1 else n}年度"


def parse_fiscal_year(value) -> int:
    """Accepts 2023, '2023', 'R5', 'r5', '令和5', '令和5年度' → 2023."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    for prefix in ("令和", "R", "r"):
        if text.startswith(prefix):
            number = int(text[len(prefix):].replace("年度", ""))
            if number < 1:
                raise ValueError("令和 years start at 1")
            return number + REIWA_OFFSET
    return int(text)


def month_index(day: date) -> int:
    """1 for April … 12 for March: months in fiscal-year order."""
    return (day.month - 4) % 12 + 1
