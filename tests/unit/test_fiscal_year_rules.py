from datetime import date

import pytest

from services.servicekit.fiscal_year import (fiscal_year_bounds, fiscal_year_of, month_index, parse_fiscal_year,
                                         short_label)


def test_march_31_2024_is_fy_r5_and_april_1_is_r6():
    assert fiscal_year_of(date(2024, 3, 31)) == 2023
    assert short_label(fiscal_year_of(date(2024, 3, 31))) == "R5"
    assert fiscal_year_of(date(2024, 4, 1)) == 2024
    assert short_label(fiscal_year_of(date(2024, 4, 1))) == "R6"


def test_january_events_belong_to_the_previous_calendar_years_fiscal_year():
    assert fiscal_year_of(date(2024, 1, 29)) == 2023
    assert fiscal_year_of(date(2023, 10, 26)) == 2023
    assert fiscal_year_of(date(2023, 3, 31)) == 2022


def test_bounds_and_labels():
    assert fiscal_year_bounds(2023) == (date(2023, 4, 1), date(2024, 3, 31))
    assert short_label(2019) == "R1"
    with pytest.raises(ValueError):
        short_label(2018)
    assert parse_fiscal_year("R5") == parse_fiscal_year("令和5") == parse_fiscal_year("2023") == 2023
    with pytest.raises(ValueError):
        parse_fiscal_year("R0")


def test_months_run_in_fiscal_order():
    assert month_index(date(2023, 4, 1)) == 1
    assert month_index(date(2024, 1, 29)) == 10
    assert month_index(date(2024, 3, 31)) == 12
