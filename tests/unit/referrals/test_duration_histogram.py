"""Percentiles from log-scale histograms, and splitting a period into whole Japan-time months and edges."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from services.referrals import duration_histogram as dh
from services.referrals.statistics import split_period

JST = timezone(timedelta(hours=9))


def exact(values, fraction):
    values = sorted(values)
    rank = fraction * (len(values) - 1)
    low, high = values[int(rank)], values[min(int(rank) + 1, len(values) - 1)]
    return low + (rank - int(rank)) * (high - low)


def test_bucket_centres_are_within_one_percent_of_every_value_in_the_bucket():
    for seconds in (60, 3599, 86_400, 1_234_567, 31_536_000):
        assert dh.seconds_of(dh.bucket_of(seconds)) == pytest.approx(seconds, rel=0.01)
    assert dh.bucket_of(0) == 0 and dh.bucket_of(-5) == 0  # clock skew never breaks a bucket


def test_percentiles_from_the_histogram_are_within_one_percent_of_percentile_cont():
    rnd = random.Random(7)
    values = [rnd.lognormvariate(11, 1.2) for _ in range(20_000)]
    histogram = dh.merge((dh.bucket_of(v), 1) for v in values)
    got = dh.percentiles(histogram, (0.5, 0.9))
    assert got[0.5] == pytest.approx(exact(values, 0.5), rel=0.01)
    assert got[0.9] == pytest.approx(exact(values, 0.9), rel=0.01)


def test_negative_deltas_undo_counts_and_an_empty_histogram_has_no_percentile():
    histogram = dh.merge([(10, 3), (20, 1), (10, -3)])
    assert histogram == {20: 1}
    assert dh.percentiles(histogram, (0.5,)) == {0.5: dh.seconds_of(20)}
    assert dh.percentiles(dh.merge([(5, 1), (5, -1)]), (0.5, 0.9)) == {0.5: None, 0.9: None}


def test_a_fiscal_year_is_twelve_whole_months_without_edges():
    start, end = datetime(2024, 4, 1, tzinfo=JST), datetime(2025, 4, 1, tzinfo=JST)
    months, bounds, edges = split_period(start, end)
    assert months == (date(2024, 4, 1), date(2025, 4, 1)) and edges == []
    assert bounds == (start, end)


def test_partial_months_become_edges_in_japan_time():
    # 2024-04-30 15:00 UTC is 2024-05-01 00:00 in Japan: a whole month starts there.
    start = datetime(2024, 4, 30, 15, 0, tzinfo=timezone.utc)
    end = datetime(2024, 8, 10, tzinfo=JST)
    months, bounds, edges = split_period(start, end)
    assert months == (date(2024, 5, 1), date(2024, 8, 1))
    assert edges == [(bounds[1], end)]
    start = datetime(2024, 5, 15, tzinfo=JST)
    months, bounds, edges = split_period(start, end)
    assert months == (date(2024, 6, 1), date(2024, 8, 1))
    assert edges == [(start, bounds[0]), (bounds[1], end)]


def test_a_period_inside_one_month_is_all_edge():
    start, end = datetime(2024, 12, 3, tzinfo=JST), datetime(2025, 1, 20, tzinfo=JST)
    assert split_period(start, end) == (None, None, [(start, end)])
    december = split_period(datetime(2024, 12, 1, tzinfo=JST), datetime(2025, 1, 1, tzinfo=JST))
    assert december[0] == (date(2024, 12, 1), date(2025, 1, 1)) and december[2] == []
