"""Outbox-to-handler propagation latency at a steady event rate.

A producer commits business row + outbox row transactions at `--rate` per second (as a service's unit of work
does); the real relay process publishes them with confirms; the real nameko consumer handles each idempotently
and records when. Latency = handler commit time - event time. Prints p50/p95/p99/max and the achieved rate.

  python bench/propagation.py --rate 200 --seconds 20
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TSUNAGU_NAMESPACE", "tsunagu_bench")

import psycopg  # noqa: E402

from services.servicekit import outbox, settings  # noqa: E402
from tests.support.fixtures import ProbeStack, provision_probe  # noqa: E402
from tests.support.probe.service import PROBE_RECORDED  # noqa: E402
from tests.support.processes import wait_until  # noqa: E402


def provision():
    provision_probe()
    with psycopg.connect(settings.database_url("probe_consumer"), autocommit=True) as conn:
        conn.execute("TRUNCATE probe_handled, probe_attempts, processed_messages, probe_poison")
    with psycopg.connect(settings.database_url("probe"), autocommit=True) as conn:
        conn.execute("TRUNCATE probe_records, outbox")


def produce(rate: float, seconds: float, label: str) -> int:
    interval = 1.0 / rate
    total = int(rate * seconds)
    with psycopg.connect(settings.database_url("probe")) as conn:
        start = time.perf_counter()
        for i in range(total):
            target = start + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # pacing the producer, not synchronisation
            record_id = str(uuid.uuid4())
            with conn.transaction():
                conn.execute("INSERT INTO probe_records (id, label) VALUES (%s, %s)", (record_id, label))
                outbox.append(conn, PROBE_RECORDED.envelope({"record_id": record_id, "label": label},
                                                            producer="probe", area="012301"))
        achieved = total / (time.perf_counter() - start)
    print(f"produced {total} events at {achieved:.1f} events/s (target {rate}/s)")
    return total


def latencies(label: str) -> list[float]:
    with psycopg.connect(settings.database_url("probe_consumer")) as conn:
        rows = conn.execute("SELECT extract(epoch FROM handled_at - occurred_at) FROM probe_handled WHERE label = %s",
                            (label,)).fetchall()
    return sorted(float(r[0]) for r in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    provision()
    stack = ProbeStack(Path(tempfile.mkdtemp()), consumer_config={"PROBE_LOG_ATTEMPTS": False})
    stack.consumer.start()
    stack.relay.start()
    try:
        produce(args.rate / 10, 1.0, "warmup")
        wait_until(lambda: len(latencies("warmup")) >= int(args.rate / 10), 30, 0.1, "warm-up events")
        total = produce(args.rate, args.seconds, "measured")
        values = wait_until(lambda: (v := latencies("measured")) and len(v) >= total and v, 120, 0.2,
                            "all events to be handled")
    finally:
        stack.stop()
    with psycopg.connect(settings.database_url("probe")) as conn:
        relay = sorted(float(r[0]) for r in conn.execute(
            "SELECT extract(epoch FROM published_at - (envelope->>'occurred_at')::timestamptz) FROM outbox "
            "WHERE envelope->'payload'->>'label' = 'measured'").fetchall())
    pct = lambda vals, p: vals[min(len(vals) - 1, int(round(p / 100 * (len(vals) - 1))))] * 1000  # noqa: E731
    print(f"  of which event -> relay marked published: p50 {pct(relay, 50):.1f} ms, p99 {pct(relay, 99):.1f} ms")
    pick = lambda p: pct(values, p)  # noqa: E731
    print(f"outbox -> handler latency over {len(values)} events at {args.rate:.0f}/s: "
          f"p50 {pick(50):.1f} ms, p95 {pick(95):.1f} ms, p99 {pick(99):.1f} ms, max {values[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
