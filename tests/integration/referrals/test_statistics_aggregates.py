"""Against real PostgreSQL: pre-aggregated referral statistics give the same figures as counting the referrals.

Referrals are written with plain SQL (the trigger sees every write, whoever makes it) in fiscal year 2019 and in
areas no other test uses, then changed, marked entered-in-error and deleted; the figures are compared with counts
made here in Python before any fold, after a partial fold and after a full fold, for whole fiscal years, for
periods with partial months at both edges, for a cross-area group and with medians read from the histograms.
"""
import os
import random
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.referrals import statistics as stats, statistics_repository
from services.referrals.referral_use_cases import Context
from services.servicekit import migrations, settings
from services.servicekit.caller import SYSTEM, Principal
from services.servicekit.database import UnitOfWork
from tests.support.fixtures import connect

REPO_ROOT = Path(__file__).resolve().parents[3]
JST = timezone(timedelta(hours=9))
AICHI = ["232025", "232068", "232114"]
KIRIN = ["312011", "285854"]       # 鳥取市 (Tottori) and 香美町 (Hyogo), both in 麒麟のまち圏域
ELSEWHERE = "131083"               # 江東区: must never be counted in Aichi
FY2019 = (datetime(2019, 4, 1, tzinfo=JST), datetime(2020, 4, 1, tzinfo=JST))
STATUSES = ["requested", "accepted", "in-progress", "completed", "rejected", "cancelled"]


@pytest.fixture(scope="module")
def referrals_db(namespace):
    migrations.ensure_database("referrals")
    migrations.apply_migrations(settings.database_url("referrals"), "referrals")
    return settings.database_url("referrals")


def run(use_case, *args, principal=SYSTEM):
    with connect("referrals") as conn, conn.transaction():
        return use_case(Context(UnitOfWork(conn, "test", None, None), principal, None, None,
                                datetime.now(timezone.utc)), *args)


def figures(scope, start, end, exact_limit=20_000):
    query = {"scope": scope, "period_start": start.isoformat(), "period_end": end.isoformat()}
    return run(stats.statistics, query, exact_limit, principal=Principal("t", "admin"))


def fold_all():
    while run(stats.fold):
        pass


def insert(conn, rows):
    for r in rows:
        conn.execute(
            """INSERT INTO referrals (id, status, category, urgency, summary, area_code, sender_organization_id,
                                      target_organization_id, consent, created_by, created_at, requested_at,
                                      accepted_at, closed_at)
               VALUES (%(id)s, %(status)s, %(category)s, 'routine', 'stat', %(area_code)s, %(org)s, %(org)s,
                       '{}'::jsonb, 'statistics-test', %(created_at)s, %(requested_at)s, %(accepted_at)s,
                       %(closed_at)s)""", r)
        conn.execute("""INSERT INTO referral_persons (referral_id, key_id, nonce, ciphertext, identity_hash)
                        VALUES (%s, 't', '\\x00', '\\x00', %s)""", (r["id"], r["person"]))


@pytest.fixture(scope="module")
def referrals(referrals_db):
    """About 600 referrals over FY2019 ± a month, some changed later, some erroneous, one deleted."""
    rnd = random.Random(2019)
    org = str(uuid.uuid4())
    edges = [datetime(2019, 4, 1, tzinfo=JST), datetime(2020, 3, 31, 23, 59, 59, tzinfo=JST),
             datetime(2020, 4, 1, tzinfo=JST), datetime(2019, 3, 31, 23, 59, 59, tzinfo=JST)]
    rows = []
    for i in range(600):
        created = edges[i] if i < len(edges) else \
            datetime(2019, 3, 1, tzinfo=JST) + timedelta(seconds=rnd.randrange(int(timedelta(days=425).total_seconds())))
        status = rnd.choice(STATUSES)
        accepted = created + timedelta(minutes=rnd.randrange(10, 5000)) \
            if status in ("accepted", "in-progress", "completed") else None
        closed = created + timedelta(hours=rnd.randrange(24, 1500)) \
            if status in ("completed", "rejected", "cancelled") else None
        rows.append({"id": str(uuid.uuid4()), "status": status, "category": rnd.choice(["isolation", "8050"]),
                     "area_code": rnd.choice(AICHI + KIRIN + [ELSEWHERE]), "org": org, "created_at": created,
                     "requested_at": created, "accepted_at": accepted, "closed_at": closed,
                     "person": rnd.randrange(150).to_bytes(4, "big")})
    with connect("referrals") as conn:
        insert(conn, rows)
        # Later changes: accept some requested ones, mark some entered-in-error, delete one.
        for r in rows[10:60]:
            if r["status"] == "requested":
                r.update(status="accepted", accepted_at=r["created_at"] + timedelta(hours=5))
                conn.execute("UPDATE referrals SET status = 'accepted', accepted_at = %s, revision = revision + 1 "
                             "WHERE id = %s", (r["accepted_at"], r["id"]))
        for r in rows[60:80]:
            r["status"] = "entered-in-error"
            conn.execute("UPDATE referrals SET status = 'entered-in-error' WHERE id = %s", (r["id"],))
        conn.execute("UPDATE referrals SET revision = revision + 1 WHERE id = %s", (rows[80]["id"],))  # no figure
        gone = rows.pop(90)
        conn.execute("DELETE FROM referral_persons WHERE referral_id = %s", (gone["id"],))
        conn.execute("DELETE FROM referrals WHERE id = %s", (gone["id"],))
    return rows


def expected(rows, codes, start, end):
    inside = [r for r in rows if r["area_code"] in codes and start <= r["created_at"] < end]
    by_area = {}
    for r in inside:
        e = by_area.setdefault(r["area_code"], {"total": 0, "by_status": {}, "by_category": {}, "overdue_backlog": 0})
        e["total"] += 1
        e["by_status"][r["status"]] = e["by_status"].get(r["status"], 0) + 1
        e["by_category"][r["category"]] = e["by_category"].get(r["category"], 0) + 1

    def durations(column):
        values = sorted((r[column] - r["requested_at"]).total_seconds() for r in inside
                        if r[column] is not None and r["status"] != "entered-in-error")
        return values

    return by_area, durations("accepted_at"), durations("closed_at")


def percentile(values, fraction):
    rank = fraction * (len(values) - 1)
    low, high = values[int(rank)], values[min(int(rank) + 1, len(values) - 1)]
    return low + (rank - int(rank)) * (high - low)


def check(result, rows, codes, start, end, tolerance=0.0):
    by_area, accept, close = expected(rows, codes, start, end)
    assert result["by_area"] == by_area
    assert result["totals"]["total"] == sum(e["total"] for e in by_area.values())
    for got, values in ((result["time_to_accept_seconds"], accept), (result["time_to_close_seconds"], close)):
        assert got["n"] == len(values)
        for key, fraction in (("median", 0.5), ("p90", 0.9)):
            assert got[key] == pytest.approx(percentile(values, fraction), rel=tolerance, abs=1e-6), key


def test_figures_equal_the_referrals_before_during_and_after_folding(referrals):
    start, end = FY2019
    with connect("referrals") as conn:
        assert statistics_repository.pending_deltas(conn) >= len(referrals)  # nothing folded yet
    check(figures("23", start, end), referrals, AICHI, start, end)
    assert run(stats.fold, 37) == 37
    check(figures("23", start, end), referrals, AICHI, start, end)
    fold_all()
    with connect("referrals") as conn:
        assert statistics_repository.pending_deltas(conn) == 0
    result = figures("23", start, end)
    check(result, referrals, AICHI, start, end)
    assert result["time_to_accept_seconds"]["method"] == "exact"
    assert result["unique_persons"] == len({r["person"] for r in referrals if r["area_code"] in AICHI
                                            and start <= r["created_at"] < end and r["status"] != "entered-in-error"})


def test_partial_months_at_the_edges_and_periods_inside_one_month(referrals):
    fold_all()
    for start, end in ((datetime(2019, 5, 15, 13, 30, tzinfo=JST), datetime(2019, 8, 10, tzinfo=JST)),
                       (datetime(2019, 6, 3, tzinfo=JST), datetime(2019, 6, 20, tzinfo=JST)),
                       (datetime(2019, 3, 31, 15, 0, tzinfo=timezone.utc), datetime(2019, 7, 1, tzinfo=JST))):
        check(figures("23", start, end), referrals, AICHI, start, end)


def test_a_change_after_folding_moves_a_referral_between_statuses(referrals):
    fold_all()
    target = next(r for r in referrals if r["status"] == "requested" and r["area_code"] == AICHI[0]
                  and FY2019[0] <= r["created_at"] < FY2019[1])
    target.update(status="rejected", closed_at=target["created_at"] + timedelta(days=2))
    with connect("referrals") as conn:
        conn.execute("UPDATE referrals SET status = 'rejected', closed_at = %s WHERE id = %s",
                     (target["closed_at"], target["id"]))
    check(figures("23", *FY2019), referrals, AICHI, *FY2019)      # from the aggregates + one pending delta
    run_cli = subprocess.run([sys.executable, "-m", "services.referrals.statistics_fold", "--batch", "1",
                              "--cluster"], env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=120)
    assert run_cli.returncode == 0 and "folded" in run_cli.stdout, run_cli.stderr
    assert "clustered" in run_cli.stdout
    with connect("referrals") as conn:
        assert statistics_repository.pending_deltas(conn) == 0
    check(figures("23", *FY2019), referrals, AICHI, *FY2019)


def test_medians_of_large_bureaus_and_prefectures_come_from_histograms_within_one_percent(referrals):
    fold_all()
    for scope, codes in (("23", AICHI), ("13", [ELSEWHERE])):
        result = figures(scope, *FY2019, exact_limit=0)
        assert result["time_to_accept_seconds"]["method"] == "histogram"
        check(result, referrals, codes, *FY2019, tolerance=0.01)
    # Municipalities and cross-area groups have no stored histograms (they would hold a row per referral).
    for scope, codes in (("xa-kirin", KIRIN), (AICHI[0], AICHI[:1])):
        result = figures(scope, *FY2019, exact_limit=0)
        assert result["time_to_accept_seconds"]["method"] == "exact"
        check(result, referrals, codes, *FY2019)
