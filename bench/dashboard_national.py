"""National-scale dashboard benchmark (issue 6).

Generates, in its own namespace (`tsunagu_bench_national`):
- a synthetic national municipality list (the real Hokkaido 179 and named ones, plus ~35 synthetic municipalities in
  each other prefecture, with valid check digits) in var/bench-areas/, read by every process via
  TSUNAGU_AREAS_EXTRA_DIR, so referrals and organisations spread over the whole country;
- N referrals (default 10,000,000) over five fiscal years (FY2021–FY2025), with realistic status mixes, accept and
  close times, and a keyed identity hash per person (random bytes stand in for ciphertext: nothing is decrypted);
- M organisations (default 200,000) with the members service's own scale generator, and PFs (every prefecture
  and bureau, half the municipalities) with members and dated histories;
- E events (default 100,000) over the same five fiscal years with the events service's scale generator (sessions,
  head counts, anonymous registration counts, survey results, handouts, trial projects).
Then it starts the real stack there and measures GET /v1/dashboard for 北海道 (prefecture staff), 胆振 and 登別市,
printing p50/p95/p99. Generation is idempotent: rerunning only tops up what is missing.

  python bench/dashboard_national.py [--referrals 10000000] [--organizations 200000] [--events 100000]
                                     [--requests 50]
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
AREAS_DIR = ROOT / "var" / "bench-areas"
os.environ["TSUNAGU_NAMESPACE"] = os.environ.get("TSUNAGU_BENCH_NAMESPACE", "tsunagu_bench_national")
os.environ["TSUNAGU_AREAS_EXTRA_DIR"] = str(AREAS_DIR)
os.environ.pop("AMQP_URI", None)

import psycopg  # noqa: E402
import requests  # noqa: E402

from services.servicekit import settings, taxonomy  # noqa: E402
from services.servicekit.areas.check_digit import check_digit  # noqa: E402

STATUS_MIX = [("requested", .08), ("accepted", .07), ("in-progress", .15), ("on-hold", .03), ("completed", .50),
              ("failed", .04), ("rejected", .08), ("cancelled", .05)]


def write_synthetic_areas(per_prefecture: int = 35) -> int:
    """Municipalities for prefectures 02..47 that the registry does not know, with valid check digits."""
    AREAS_DIR.mkdir(parents=True, exist_ok=True)
    path = AREAS_DIR / "bench_national.csv"
    if path.exists():
        return sum(1 for _ in path.open()) - 1
    from services.servicekit.areas import registry as registry_module
    base = registry_module.default_registry()
    rows = []
    for pref in range(2, 48):
        pcode = f"{pref:02d}"
        pname = base.get(pcode).name
        n = 0
        for serial in range(201, 900):
            code5 = f"{pcode}{serial:03d}"
            code = code5 + check_digit(code5)
            if base.find(code):
                continue
            rows.append({"code": code, "name": f"{pname}第{serial}市（ベンチ）", "name_kana": "", "kind": "city",
                         "prefecture_code": pcode, "bureau_code": ""})
            n += 1
            if n == per_prefecture:
                break
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["code", "name", "name_kana", "kind", "prefecture_code", "bureau_code"])
        writer.writeheader()
        writer.writerows(rows)
    registry_module.default_registry.cache_clear()  # it was loaded above, before this file existed
    return len(rows)


def generate_referrals(target: int, chunk: int = 1_000_000) -> int:
    from services.servicekit.areas.registry import default_registry
    areas = [a.code for a in default_registry().municipalities_in("JP")]
    categories = list(taxonomy.terms())
    edges, acc = [], 0.0
    for status, share in STATUS_MIX:
        acc += share
        edges.append((status, acc))
    status_case = "CASE " + " ".join(f"WHEN r1 < {edge:.4f} THEN '{status}'" for status, edge in edges) + \
                  " ELSE 'completed' END"
    with psycopg.connect(settings.database_url("referrals"), autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM referrals WHERE created_by = 'bench'").fetchone()[0]
        while have < target:
            n = min(chunk, target - have)
            started = time.monotonic()
            # Each chunk's persons are written from the chunk's own ids (an anti-join over every referral so far
            # made each chunk slower than the last).
            conn.execute(f"""
                WITH chunk AS (
                INSERT INTO referrals (id, status, category, urgency, summary, area_code, sender_organization_id,
                       target_organization_id, consent, created_by, created_at, requested_at, accepted_at,
                       closed_at, overdue_at, modified_at)
                SELECT gen_random_uuid(), status, (%(cats)s::text[])[1 + floor(r2 * %(ncats)s)::int],
                       CASE WHEN r5 < 0.1 THEN 'urgent' ELSE 'routine' END, 'bench',
                       (%(areas)s::text[])[1 + floor(r3 * %(nareas)s)::int],
                       '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002',
                       '{{}}'::jsonb, 'bench', t, t,
                       CASE WHEN status IN ('accepted','in-progress','on-hold','completed','failed')
                            THEN t + make_interval(mins => (30 + r4 * 4320)::int) END,
                       CASE WHEN status IN ('completed','failed','rejected','cancelled')
                            THEN t + make_interval(days => (1 + r4 * 60)::int) END,
                       CASE WHEN status = 'requested' AND r5 < 0.4 THEN t + interval '3 days' END, t
                FROM (SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                             timestamptz '2021-04-01 00:00+09' + random() * interval '1825 days' AS t
                      FROM generate_series(1, %(n)s) g) x
                CROSS JOIN LATERAL (SELECT {status_case} AS status) s
                RETURNING id)
                INSERT INTO referral_persons (referral_id, key_id, nonce, ciphertext, identity_hash)
                SELECT id, 'bench', '\\x00', '\\x00', decode(md5(floor(random() * 3000000)::text), 'hex')
                FROM chunk""",
                {"cats": categories, "ncats": len(categories), "areas": areas, "nareas": len(areas), "n": n})
            have += n
            print(f"  referrals: {have:,} ({n / (time.monotonic() - started):,.0f} rows/s)", flush=True)
    # The trigger wrote a statistics delta for every row; fold them now rather than waiting for the timer.
    from services.referrals.statistics_fold import cluster, fold_everything
    started = time.monotonic()
    folded = fold_everything(settings.database_url("referrals"), 500_000)
    if folded:  # a bulk load folds in random order: put each area's rows together again
        cluster(settings.database_url("referrals"))
    print(f"  statistics deltas folded: {folded:,} in {time.monotonic() - started:.0f} s", flush=True)
    with psycopg.connect(settings.database_url("referrals"), autocommit=True) as conn:
        for table in ("referrals", "referral_persons", "referral_counts_by_status", "referral_counts_by_category",
                      "referral_duration_histogram", "referral_statistics_deltas"):
            conn.execute(f"VACUUM ANALYZE {table}")
    return have


def generate_organizations(target: int) -> int:
    from services.members import scale_data
    dsn = settings.database_url("members")
    with psycopg.connect(dsn) as conn:
        have = conn.execute("SELECT count(*) FROM organizations").fetchone()[0]
        if have < target:
            scale_data.load(conn, target - have, seed=have + 1)
            conn.commit()
        print(f"  PFs and memberships: {scale_data.load_memberships(conn)}")
    scale_data.vacuum_analyze(dsn)
    return max(have, target)


def generate_events(target: int) -> int:
    from services.events import scale_data
    dsn = settings.database_url("events")
    with psycopg.connect(dsn) as conn:
        scale_data.load(conn, target)
    scale_data.vacuum_analyze(dsn)
    return target


def measure(stack, token, label, params, requests_n):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for _ in range(3):
        assert session.get(stack.url + "/v1/dashboard", params=params).status_code == 200
    times = []
    for _ in range(requests_n):
        started = time.perf_counter()
        response = session.get(stack.url + "/v1/dashboard", params=params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:300]
    times.sort()
    pick = lambda p: times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))] * 1000  # noqa: E731
    print(f"{label}: {requests_n} requests, p50 {pick(50):.0f} ms, p95 {pick(95):.0f} ms, p99 {pick(99):.0f} ms, "
          f"mean {statistics.fmean(times) * 1000:.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--referrals", type=int, default=10_000_000)
    parser.add_argument("--organizations", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--fy", type=int, default=2025)
    args = parser.parse_args()
    print(f"synthetic national municipalities: {write_synthetic_areas()}")
    from services.servicekit.provision import provision
    provision()
    started = time.monotonic()
    print(f"referrals: {generate_referrals(args.referrals):,}")
    print(f"organisations: {generate_organizations(args.organizations):,}")
    print(f"events: {generate_events(args.events):,}")
    print(f"data ready in {time.monotonic() - started:.0f} s")
    from tests.support.stack import Stack
    stack = Stack(Path(tempfile.mkdtemp()), extra_env={"TSUNAGU_AREAS_EXTRA_DIR": str(AREAS_DIR)}).start()
    try:
        fy = {"fy": args.fy}
        measure(stack, stack.token("prefecture", "01"), "prefecture 北海道", {**fy, "area": "01"}, args.requests)
        measure(stack, stack.token("bureau", "01B04"), "bureau 胆振", {**fy, "area": "01B04"}, args.requests)
        measure(stack, stack.token("municipality", "012301"), "municipality 登別市", {**fy, "area": "012301"},
                args.requests)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
