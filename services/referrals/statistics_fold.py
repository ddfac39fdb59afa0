"""Fold every pending statistics delta now, e.g. after a bulk load, instead of waiting for the service's timer.

  python -m services.referrals.statistics_fold [--batch 500000] [--cluster]

Each batch is its own transaction, serialised with the timer by the same advisory lock; safe while the service
runs. `--cluster` then rewrites the aggregate tables in key order (a bulk load folds in random order, scattering a
prefecture's rows over thousands of pages); it locks them while it runs, so readers wait. Prints counts only.
"""
from __future__ import annotations

import argparse
import sys
import time

import psycopg
from psycopg.rows import dict_row

from services.servicekit import settings

from . import statistics_repository as repo
from .statistics import scope_map


def fold_everything(dsn: str, batch: int) -> int:
    folded = 0
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        with conn.transaction():
            repo.sync_scopes(conn, scope_map())
        while True:
            with conn.transaction():
                n = repo.fold(conn, batch)
            folded += n
            if n < batch:
                return folded


AGGREGATES = ("referral_counts_by_status", "referral_counts_by_category", "referral_duration_histogram")


def cluster(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in AGGREGATES:
            conn.execute(f"CLUSTER {table} USING {table}_pkey")
            conn.execute(f"ANALYZE {table}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Fold pending referral statistics deltas into the aggregates")
    parser.add_argument("--database-url", default=settings.database_url("referrals"))
    parser.add_argument("--batch", type=int, default=500_000)
    parser.add_argument("--cluster", action="store_true", help="rewrite the aggregates in key order afterwards")
    args = parser.parse_args(argv)
    started = time.monotonic()
    folded = fold_everything(args.database_url, args.batch)
    print(f"folded {folded} deltas in {time.monotonic() - started:.1f} s")
    if args.cluster:
        cluster(args.database_url)
        print(f"aggregates clustered in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
