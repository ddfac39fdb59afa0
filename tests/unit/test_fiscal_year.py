from datetime import date

from services.servicekit.fiscal_year import fiscal_year_bounds, fiscal_year_of, era_label, short_label


def test_the_fiscal_year_turns_on_the_first_of_april():
    assert fiscal_year_of(date(2024, 3, 31)) == 2023
    assert fiscal_year_of(date(2024, 4, 1)) == 2024
    assert (short_label(2023), short_label(2024)) == ("R5", "R6")


def test_labels_and_bounds():
    assert era_label(2023) == "令和5年度"
    assert era_label(2019) == "令和元年度"
    assert fiscal_year_bounds(2023) == (date(2023, 4, 1), date(2024, 3, 31))
