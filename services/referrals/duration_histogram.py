"""Percentiles of durations from log-scale histograms (the pre-aggregated form of time to accept / to close).

A duration of s seconds falls in bucket round(ln(1 + s) * BUCKETS_PER_E) — the same expression as the SQL function
`referral_duration_bucket` (migration 0003). Buckets are 2 % wide, so a percentile read back as its bucket's centre
is within 1 % of the exact value, however many referrals the histogram holds.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

BUCKETS_PER_E = 50


def bucket_of(seconds: float) -> int:
    return round(math.log1p(max(seconds, 0.0)) * BUCKETS_PER_E)


def seconds_of(bucket: int) -> float:
    """The centre of a bucket, in seconds."""
    return math.expm1(bucket / BUCKETS_PER_E)


def merge(parts: Iterable[tuple[int, int]]) -> dict[int, int]:
    """(bucket, count) pairs → one histogram; counts may be negative deltas (an undone state)."""
    histogram: dict[int, int] = {}
    for bucket, n in parts:
        histogram[bucket] = histogram.get(bucket, 0) + n
    return {b: n for b, n in histogram.items() if n}


def percentiles(histogram: Mapping[int, int], fractions: Iterable[float]) -> dict[float, float | None]:
    """Like percentile_cont: the value at rank fraction × (n − 1), interpolated between the two neighbouring ranks,
    each read as the centre of the bucket holding it."""
    ordered = sorted((b, n) for b, n in histogram.items() if n > 0)
    total = sum(n for _, n in ordered)

    def at_rank(k: int) -> float:
        seen = 0
        for bucket, n in ordered:
            seen += n
            if k < seen:
                return seconds_of(bucket)
        return seconds_of(ordered[-1][0])

    result: dict[float, float | None] = {}
    for fraction in fractions:
        if not total:
            result[fraction] = None
            continue
        rank = fraction * (total - 1)
        low, high = at_rank(math.floor(rank)), at_rank(math.ceil(rank))
        result[fraction] = low + (rank - math.floor(rank)) * (high - low)
    return result
