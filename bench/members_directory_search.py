"""Directory search over N generated organisations (default 200,000) with text + area + field filters.

Runs the members service's search use case (the code behind GET /v1/organizations: query building, the SQL with
its n-gram / area / taxonomy GIN indexes, row mapping) against PostgreSQL, as prefecture staff (scope filter on)
and as an admin, and prints throughput and p50/p95/p99. Target: p95 <= 50 ms.

  PYTHONPATH=. python bench/members_directory_search.py [--n 200000] [--queries 400] [--through-gateway]

--through-gateway also starts the whole stack (as the e2e tests do) on the same data and measures
GET /v1/organizations over HTTP (gunicorn → RPC → members → PostgreSQL).

Uses its own database (namespace tsunagu_bench_members); the data is generated once and reused.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TSUNAGU_NAMESPACE", "tsunagu_bench_members")
os.environ.pop("AMQP_URI", None)

import psycopg  # noqa: E402

from services.members import organizations, scale_data  # noqa: E402
from services.members.schemas import OrganizationQuerySchema  # noqa: E402
from services.servicekit import migrations, settings  # noqa: E402
from services.servicekit.areas.registry import default_registry  # noqa: E402
from services.servicekit.caller import Principal  # noqa: E402
from services.servicekit.database import DatabaseSession  # noqa: E402
from services.servicekit.pg_pool import open_pool  # noqa: E402

TEXTS = ["ひきこもり", "ヒキコモリ", "ﾋｷｺﾓﾘ", "食堂", "見守り", "サロン", "フードバンク", "相談", "居場所", "カフェ",
         "ひまわり", "いのちの電話", "ヤングケアラー", "家族会", "さくら"]
FIELDS = ["hikikomori", "isolation", "poverty", "kodomo_shokudo", "mimamori", "ibasho", "children_family", "elderly"]


def prepare(n: int) -> None:
    migrations.ensure_database("members")
    migrations.apply_migrations(settings.database_url("members"), "members")
    with psycopg.connect(settings.database_url("members")) as conn:
        have = conn.execute("SELECT count(*) FROM organizations").fetchone()[0]
        if have == n:
            print(f"reusing {n} generated organisations in {settings.database_name('members')}")
            return
        conn.execute("TRUNCATE organization_changes, membership_history, memberships, platform_phase_history, "
                     "platforms, organizations CASCADE")
        started = time.perf_counter()
        scale_data.load(conn, n)
        conn.commit()
    scale_data.vacuum_analyze(settings.database_url("members"))
    print(f"generated {n} organisations (COPY, indexes, VACUUM ANALYZE) in {time.perf_counter() - started:.1f}s")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(session, principal, queries) -> tuple[list[float], list[int]]:
    latencies, hits = [], []
    schema = OrganizationQuerySchema()
    for raw in queries:
        q = schema.load(raw)
        started = time.perf_counter()
        with session.unit_of_work() as uow:
            page = organizations.search(uow, principal, q)
        latencies.append((time.perf_counter() - started) * 1000)
        hits.append(page["total_items"])
    return latencies, hits


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--through-gateway", action="store_true")
    parser.add_argument("--connections", type=int, default=4, help="concurrent HTTP connections (--through-gateway)")
    args = parser.parse_args(argv)
    prepare(args.n)
    rng = random.Random(11)
    hokkaido = [a.code for a in default_registry().municipalities_in("01")]
    queries = [{"q": rng.choice(TEXTS), "service_area": rng.choice(hokkaido), "taxonomy_term": [rng.choice(FIELDS)],
                "per_page": "50"} for _ in range(args.queries)]
    pool = open_pool(settings.database_url("members"), min_size=1, max_size=2, name="bench")
    session = DatabaseSession(pool, producer="members", correlation_id=None, consumer=None)
    try:
        run(session, Principal("bench", "admin"), queries[:20])  # warm the cache
        for label, principal in (("prefecture staff (01)", Principal("bench", "prefecture", "01")),
                                 ("admin", Principal("bench", "admin"))):
            started = time.perf_counter()
            latencies, hits = run(session, principal, queries)
            elapsed = time.perf_counter() - started
            print(f"{label}: {len(queries)} searches (text + area + field) over {args.n} organisations: "
                  f"{len(queries) / elapsed:.0f}/s, p50 {percentile(latencies, 50):.1f} ms, "
                  f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
                  f"max {max(latencies):.1f} ms; matches per query median {statistics.median(hits):.0f}, "
                  f"max {max(hits)}")
        text_only = [{"q": rng.choice(TEXTS), "per_page": "50"} for _ in range(args.queries // 2)]
        latencies, hits = run(session, Principal("bench", "prefecture", "01"), text_only)
        print(f"text only (prefecture staff): p50 {percentile(latencies, 50):.1f} ms, "
              f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms; "
              f"matches median {statistics.median(hits):.0f}")
    finally:
        pool.close()
    if args.through_gateway:
        through_gateway(queries, args.n, args.connections)
    return 0


def through_gateway(queries, n: int, connections: int) -> None:
    import tempfile
    from pathlib import Path

    from bench.loadgen import run_load
    from services.servicekit.provision import provision
    from tests.support.stack import Stack
    provision()
    stack = Stack(Path(tempfile.mkdtemp(prefix="bench-keys-"))).start()
    try:
        url = stack.url + "/v1/organizations"
        token = stack.token("prefecture", "01")

        def setup(session):
            session.headers["Authorization"] = f"Bearer {token}"

        def search(session, i):
            return session.get(url, params=queries[i % len(queries)], timeout=30)
        run_load("warm-up", search, concurrency=1, max_requests=20, session_setup=setup)
        for concurrency in (1, connections):
            result = run_load(f"through the gateway (HTTP, prefecture staff, {concurrency} connection(s), "
                              f"{n} organisations)", search, concurrency=concurrency, seconds=60,
                              max_requests=len(queries), session_setup=setup)
            print(result.report())
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
