"""Webhook dispatcher throughput: N referral events written to the outbox (one transaction each; the outbox
trigger plans their deliveries to endpoints on a local receiver), delivered by one or more in-process dispatchers
(eventlet, as in the service) against real PostgreSQL. Prints planning and delivery throughput and p50/p95/p99
of the POST duration and of planned → delivered latency.

  TSUNAGU_NAMESPACE=tsunagu_bench python bench/referrals_webhooks_dispatch.py --events 500 --endpoints 4
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import services.servicekit.bootstrap  # noqa: E402,F401
import psycopg  # noqa: E402

from services.referrals import integration_events as referral_events  # noqa: E402
from services.referrals.webhook_dispatch import Dispatcher  # noqa: E402
from services.referrals.webhook_registrations import WebhookRegistrations  # noqa: E402
from services.referrals.webhook_secret_box import new_key, parse_keys  # noqa: E402
from services.referrals.webhook_settings import WebhookSettings  # noqa: E402
from services.servicekit import migrations, outbox, settings  # noqa: E402
from services.servicekit.caller import Principal  # noqa: E402
from services.servicekit.database import DatabaseSession  # noqa: E402
from services.servicekit.pg_pool import open_pool  # noqa: E402
from tests.integration.referrals.webhook_receiver import Receiver  # noqa: E402


RECEIVER_CODE = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a):
        pass
class S(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


class ExternalReceiver:
    """A partner's server in its own process (plain threads, no eventlet), as in real life."""

    def __init__(self):
        import subprocess
        from tests.support.processes import free_port, wait_until
        import requests
        self.port = free_port()
        self.requests = []
        self.process = subprocess.Popen([sys.executable, "-c", RECEIVER_CODE, str(self.port)])

        def up():
            try:
                return requests.get(f"http://127.0.0.1:{self.port}/", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_until(up, 10, 0.05, "the receiver")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.process.terminate()
        self.process.wait(5)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=4, help="endpoints of the one interested organisation")
    parser.add_argument("--dispatchers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--in-process-receiver", dest="external_receiver", action="store_false",
                        help="run the receiver inside this (eventlet) process instead of a separate one")
    args = parser.parse_args()

    name = settings.database_name("webhook_bench")
    with psycopg.connect(f"{settings.postgres_base_url()}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = f"{settings.postgres_base_url()}/{name}"
    migrations.apply_migrations(dsn, "referrals", plan=migrations.plan_for("referrals"))
    pool = open_pool(dsn, min_size=2, max_size=20, name="bench")
    db = DatabaseSession(pool, producer="referral_webhooks", correlation_id=None, consumer="bench")
    config = WebhookSettings(allow_private_targets="loopback", dispatch_batch=50,
                             dispatch_concurrency=args.concurrency, secret_keys=parse_keys(f"b:{new_key()}"))
    receiver = ExternalReceiver() if args.external_receiver else Receiver()
    org = str(uuid.uuid4())
    principal = Principal(subject="bench", role="partner", organization_id=org, via="api_key")
    registrations = WebhookRegistrations(db.unit_of_work, config)
    for i in range(args.endpoints):
        registrations.register(principal, {"url": receiver.url(f"/e{i}"), "description": "", "event_types": None})

    started = time.perf_counter()
    for _ in range(args.events):
        envelope = referral_events.ACCEPTED.envelope(
            {"referral_id": str(uuid.uuid4()), "revision": 2, "status": "accepted", "category": "hikikomori",
             "urgency": "routine", "sender_organization_id": str(uuid.uuid4()), "target_organization_id": org,
             "pool": None, "area_code": "012301", "interested_organization_ids": [org]},
            producer="referrals", area="012301")
        with db.unit_of_work() as uow:  # the event and its deliveries, in one transaction (outbox trigger)
            outbox.append(uow.conn, envelope)
    planning = time.perf_counter() - started
    total = args.events * args.endpoints

    def run():
        dispatcher = Dispatcher(db.unit_of_work, config, spawn_pool=eventlet.GreenPool(args.concurrency))
        while dispatcher.dispatch_due():
            pass
    started = time.perf_counter()
    threads = [eventlet.spawn(run) for _ in range(args.dispatchers)]
    for thread in threads:
        thread.wait()
    delivering = time.perf_counter() - started

    with db.unit_of_work() as uow:
        stats = uow.conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'succeeded') AS ok, count(*) AS n FROM webhook_deliveries"
        ).fetchone()
        durations = [r["duration_ms"] for r in uow.conn.execute("SELECT duration_ms FROM webhook_attempts")]
        lag = [r["s"] for r in uow.conn.execute(
            "SELECT extract(epoch FROM a.attempted_at - d.created_at) * 1000 AS s FROM webhook_attempts a "
            "JOIN webhook_deliveries d ON d.id = a.delivery_id")]
    received = len(receiver.requests) if not args.external_receiver else "n/a (external)"
    receiver.close()
    pool.close()
    print(f"events {args.events} x endpoints {args.endpoints} = {total} deliveries; "
          f"{args.dispatchers} dispatcher(s) x concurrency {args.concurrency}")
    print(f"planning:   {args.events / planning:8.1f} events/s written to the outbox "
          f"({total / planning:.1f} deliveries planned/s by its trigger)")
    print(f"delivering: {total / delivering:8.1f} deliveries/s (succeeded {stats['ok']}/{stats['n']}, "
          f"receiver got {received}, attempts {len(durations)})")
    print(f"POST duration ms   p50 {percentile(durations, 50):.0f}  p95 {percentile(durations, 95):.0f}  "
          f"p99 {percentile(durations, 99):.0f}  mean {statistics.mean(durations):.1f}")
    print(f"planned→sent ms    p50 {percentile(lag, 50):.0f}  p95 {percentile(lag, 95):.0f}  "
          f"p99 {percentile(lag, 99):.0f}  (includes the planning phase backlog)")


if __name__ == "__main__":
    main()
