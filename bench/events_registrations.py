"""Registration throughput and latency under contention, against real PostgreSQL (use cases, no broker).

Several threads register anonymous head counts for a handful of events with little capacity and a waitlist,
so most calls queue on the events' row locks. Prints throughput and p50/p95/p99 latency, and checks that no
event was overbooked.

  TSUNAGU_NAMESPACE=tsunagu_bench_events python bench/events_registrations.py --registrations 2000 --threads 8
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

from services.events import event_catalogue, local_copies, registration_desk
from services.events.personal_data import KeyRing
from services.events.schemas import EventCreateSchema
from services.servicekit import migrations, settings
from services.servicekit.caller import Principal
from services.servicekit.database import UnitOfWork
from services.servicekit.pg_pool import open_pool

STAFF = Principal("bench", "municipality", "012301")
KEYRING = KeyRing.parse("b:" + "B" * 43 + "=", "b")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--events", type=int, default=4)
    parser.add_argument("--capacity", type=int, default=50)
    parser.add_argument("--named-share", type=float, default=0.25, help="share of named (encrypted) registrations")
    args = parser.parse_args()
    migrations.ensure_database("events")
    dsn = settings.database_url("events")
    migrations.apply_migrations(dsn, "events")
    pool = open_pool(dsn, min_size=args.threads, max_size=args.threads + 2, name="bench")

    @contextmanager
    def unit():
        with pool.connection() as conn, conn.transaction():
            yield UnitOfWork(conn, "events", None, "bench")

    now = datetime.now(timezone.utc)
    pf = str(uuid.uuid4())
    with unit() as u:
        local_copies.apply_platform(u.conn, {"platform_id": pf, "revision": 1, "level": "municipality",
                                                     "area_code": "012301", "parent_platform_id": None,
                                                     "name": "bench", "phase": "established",
                                                     "secretariat_organization_ids": []})
    events = []
    for i in range(args.events):
        with unit() as u:
            ev = event_catalogue.create_event(u, STAFF, str(uuid.uuid4()), EventCreateSchema().load({
                "host_platform_id": pf, "type": "training", "title": f"bench {i}", "audiences": ["supporters"],
                "capacity": args.capacity, "waitlist_enabled": True,
                "sessions": [{"date": "2099-01-01", "venue_name": "bench"}]}))
            event_catalogue.change_status(u, STAFF, ev["id"], "open", now)
            events.append(ev["id"])
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(args.registrations))

    def worker():
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            named = (n % 100) < args.named_share * 100
            body = ({"participant_kind": "individual", "people": 1, "attendee_category": "general",
                     "person": {"name": f"参加者{n}"}} if named else
                    {"participant_kind": "anonymous", "people": 1 + n % 3, "attendee_category": "general"})
            start = time.perf_counter()
            with unit() as u:
                registration_desk.register(u, STAFF, events[n % len(events)], body, KEYRING, now)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    with unit() as u:
        for event_id in events:
            seats = u.conn.execute("SELECT coalesce(sum(people) FILTER (WHERE status = 'registered'), 0) AS taken "
                                   "FROM registrations WHERE event_id = %s", (event_id,)).fetchone()["taken"]
            assert seats <= args.capacity, f"event {event_id} overbooked: {seats} > {args.capacity}"
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print(f"registrations: {len(latencies)} over {args.events} events (capacity {args.capacity}, waitlist on), "
          f"{args.threads} threads, {args.named_share:.0%} named/encrypted")
    print(f"throughput: {len(latencies) / wall:.1f} registrations/s (wall {wall:.2f}s)")
    print(f"latency ms: p50 {pct(50):.1f}  p95 {pct(95):.1f}  p99 {pct(99):.1f}  "
          f"mean {statistics.mean(latencies) * 1000:.1f}  max {latencies[-1] * 1000:.1f}")
    print("no event overbooked")
    pool.close()


if __name__ == "__main__":
    main()
