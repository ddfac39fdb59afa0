"""The events and members statistics use cases at national scale, timed directly (no broker, no gateway), so a
change to their SQL shows without the noise of the whole stack (issue 6: each should stay within ~50 ms of the
dashboard's 300 ms budget).

Uses the national benchmark's namespace and synthetic areas (bench/dashboard_national.py), tops up its
organisations and events with the services' scale generators, then calls events `statistics` and members
`compute` for each scope several times and prints p50/p95 wall time and the CPU time per call of this process
and of its database backend.

  python bench/dashboard_statistics.py [--organizations 200000] [--events 100000] [--runs 30] [--fy 2025]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_national as national  # noqa: E402  (sets the namespace and the synthetic areas' directory)

from services.servicekit import settings  # noqa: E402
from services.servicekit.caller import Principal  # noqa: E402
from services.servicekit.database import UnitOfWork  # noqa: E402
from services.servicekit.pg_pool import open_pool  # noqa: E402

SCOPES = [("prefecture", "01"), ("bureau", "01B04"), ("municipality", "012301")]


def backend_pid(pool) -> int:
    with pool.connection() as conn:
        return conn.info.backend_pid


@contextmanager
def unit_of_work(pool, service):
    with pool.connection() as conn, conn.transaction():
        yield UnitOfWork(conn, service, "bench", "bench.dashboard_statistics")


def backend_cpu_ms(pid: int) -> float:
    """CPU time (user + system) of a PostgreSQL backend on this machine, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def timed(label, runs, call, backend_pid):
    """Wall time is noisy on a shared machine; the CPU time of this process and of its one database backend
    is what a change to the code or the SQL moves."""
    first = time.perf_counter()
    call()  # warm caches (area registry, plans) and recompute stale buckets, as a running service would have
    print(f"{label}: first call {(time.perf_counter() - first) * 1000:.0f} ms", flush=True)
    wall, cpu = [], []
    server = backend_cpu_ms(backend_pid)
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    server = (backend_cpu_ms(backend_pid) - server) / runs
    wall.sort()
    pick = lambda p: wall[min(len(wall) - 1, int(round(p / 100 * (len(wall) - 1))))]  # noqa: E731
    print(f"{label}: {runs} runs, wall p50 {pick(50):.1f} ms, p95 {pick(95):.1f} ms; CPU per call: "
          f"client {statistics.fmean(cpu):.1f} ms, database {server:.1f} ms", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organizations", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--fy", type=int, default=2025)
    args = parser.parse_args()
    print(f"synthetic national municipalities: {national.write_synthetic_areas()}")
    from services.servicekit import migrations
    for component in ("members", "events"):
        migrations.ensure_database(component)
        migrations.apply_migrations(settings.database_url(component), component)
    print(f"organisations: {national.generate_organizations(args.organizations):,}")
    print(f"events: {national.generate_events(args.events):,}")

    from services.events import statistics as events_statistics
    from services.members import statistics as members_statistics
    now = datetime.now(timezone.utc)
    as_of = date(args.fy + 1, 3, 31)  # what the dashboard asks the members service for
    events_pool = open_pool(settings.database_url("events"), min_size=1, max_size=1, name="bench-events")
    members_pool = open_pool(settings.database_url("members"), min_size=1, max_size=1, name="bench-members")
    try:
        for role, area in SCOPES:
            principal = Principal(f"bench-{role}", role, area)

            def events_call():
                with unit_of_work(events_pool, "events") as uow:
                    return events_statistics.statistics(uow, principal, area, args.fy, now)

            def members_call():
                with unit_of_work(members_pool, "members") as uow:
                    return members_statistics.compute(uow, principal, area, as_of)

            timed(f"events statistics {area} FY{args.fy}", args.runs, events_call, backend_pid(events_pool))
            timed(f"members statistics {area} as of {as_of}", args.runs, members_call, backend_pid(members_pool))
    finally:
        events_pool.close()
        members_pool.close()


if __name__ == "__main__":
    main()
