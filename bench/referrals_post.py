"""POST /v1/referrals through the gateway with partner (API key) authentication, side by side in the same run
with the bare skeleton (Flask → nameko RPC → INSERT, bench/skeleton/). Prints throughput and p50/p95/p99.

  python bench/referrals_post.py                  # starts its own stack in the tsunagu_bench_referrals namespace
  python bench/referrals_post.py --seconds 5 --rounds 1   # a quick run
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TSUNAGU_NAMESPACE", "tsunagu_bench_referrals")
os.environ.pop("AMQP_URI", None)

import psycopg  # noqa: E402
import requests  # noqa: E402

from services.servicekit import broker_topology, migrations, settings  # noqa: E402
from bench.loadgen import KeepAliveClient, run_load  # noqa: E402
from tests.support.processes import BIN, Process, free_port, wait_until  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """user + system CPU of a process and its children that were waited for (gunicorn workers: see below)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


def process_tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            children = []
        todo += [int(c) for c in children]
    return out


def shared_server_pids() -> dict[str, list[int]]:
    """The broker, and the PostgreSQL backends serving this run's databases (their names carry the namespace;
    other people's backends and the server's own background processes are left out)."""
    found: dict[str, list[int]] = {"rabbitmq": [], "postgres": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if comm == "beam.smp":
            found["rabbitmq"].append(int(entry.name))
        elif comm == "postgres" and settings.namespace() in cmdline:
            found["postgres"].append(int(entry.name))
    return found


class CpuMeter:
    """CPU used by each named process (with its children, e.g. gunicorn workers) during a load phase, and by
    RabbitMQ and this run's PostgreSQL backends: they share the machine's CPU too (pooled backends live as long
    as the phase; one that ends in between loses its share)."""

    def __init__(self, processes: dict):
        self.pids = {name: process_tree(p.popen.pid) for name, p in processes.items() if p.popen}
        self.pids.update(shared_server_pids())

    def snapshot(self) -> dict:
        found = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in self.pids.items()}
        own = os.times()
        found["loadgen"] = own.user + own.system  # this process: the load generator's threads
        found[_IDLE], found[_ALL] = machine_cpu()
        return found

    @staticmethod
    def per_request(before: dict, after: dict, requests_done: int) -> str:
        parts = [f"{name} {(after[name] - before[name]) / max(requests_done, 1) * 1000:.2f}"
                 for name in after if name not in (_IDLE, _ALL) and after[name] - before[name] > 0.005]
        idle = (after[_IDLE] - before[_IDLE]) / max(after[_ALL] - before[_ALL], 1e-9)
        return "CPU ms/request: " + ", ".join(parts) + f"; machine idle {idle:.0%}"


_IDLE, _ALL = "(idle)", "(all)"


def machine_cpu() -> tuple[float, float]:
    """(idle, total) CPU time of the whole machine so far, from /proc/stat, in clock ticks."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return ticks[3] + ticks[4], sum(ticks[:8])


def batch_sizes(stack) -> tuple[float, float, float]:
    """(batches, requests, seconds spent handling them) of the referrals service's create_referrals entrypoint."""
    text = requests.get(f"http://127.0.0.1:{stack.ports['referrals']}/metrics", timeout=5).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if 'method="create_referrals"' in line and line.startswith(("tsunagu_coalesced_batch_requests_sum",
                                                                    "tsunagu_coalesced_batch_requests_count",
                                                                    "tsunagu_rpc_duration_seconds_sum")):
            name = line.split("{")[0]
            found[name] = found.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return (found.get("tsunagu_coalesced_batch_requests_count", 0.0),
            found.get("tsunagu_coalesced_batch_requests_sum", 0.0), found.get("tsunagu_rpc_duration_seconds_sum", 0.0))


def load(label, url, make_headers, body, connections, seconds, client="http.client"):
    if client == "requests":
        return run_load(label, lambda session, i: session.post(url, json=body, headers=make_headers(), timeout=30),
                        concurrency=connections, seconds=seconds)
    parts = urlsplit(url)
    data = json.dumps(body).encode()
    return run_load(label, lambda session, i: session.post_json(parts.path, data, make_headers()),
                    concurrency=connections, seconds=seconds,
                    new_session=lambda: KeepAliveClient(f"{parts.scheme}://{parts.netloc}"))


def start_skeleton(env):
    migrations.ensure_database("bench_skeleton")
    dsn = settings.database_url("bench_skeleton")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute((Path(__file__).parent / "skeleton" / "schema.sql").read_text())
    port, ops = free_port(), free_port()
    config = Path(tempfile.mkdtemp()) / "skeleton.yml"
    config.write_text(f"AMQP_URI: {settings.amqp_uri()}\nWEB_SERVER_ADDRESS: 127.0.0.1:{ops}\nmax_workers: 10\n")
    service_env = {**env, "SKELETON_DATABASE_URL": dsn}
    service = Process("bench-skeleton-service", [str(BIN / "nameko"), "run", "--config", str(config),
                                                 "bench.skeleton.service:SkeletonService"], service_env)
    app = Process("bench-skeleton-app", [str(BIN / "gunicorn"), "-c", "gateway/gunicorn.conf.py",
                                         "bench.skeleton.app:app"], {**env, "GATEWAY_BIND": f"127.0.0.1:{port}"},
                  ready_url=f"http://127.0.0.1:{port}/readyz")
    service.start(wait=False)
    app.start()

    def answers():
        try:
            return requests.post(f"http://127.0.0.1:{port}/v1/referrals", json={"x": 1}, timeout=5).status_code == 201
        except requests.RequestException:
            return False
    wait_until(answers, 60, 0.2, "the skeleton to answer")
    return f"http://127.0.0.1:{port}", [app, service]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client", choices=("http.client", "requests"), default="http.client",
                        help="the load generator's HTTP client (requests costs a few times more CPU per request)")
    args = parser.parse_args()

    from services.servicekit.provision import provision
    from tests.e2e.referrals_support import referral_body, register_member_organization, wait_in_directory
    from tests.support.stack import Stack

    broker_topology.ensure_vhost(settings.vhost())
    provision()
    stack = Stack(Path(tempfile.mkdtemp()))
    processes = []
    try:
        stack.start()
        env = {"TSUNAGU_NAMESPACE": settings.namespace(), "AMQP_URI": settings.amqp_uri()}
        skeleton_url, processes = start_skeleton(env)

        sender = register_member_organization(name="bench sender", areas=("012301",), fields_=("isolation",))
        target = register_member_organization(name="bench target", home="012335", areas=("012335",),
                                              fields_=("hikikomori",))
        key = stack.session("admin").post(stack.url + "/v1/admin/api-keys",
                                          json={"organization_id": sender, "name": "bench"}).json()["key"]
        wait_in_directory(sender, target)
        body = referral_body(target=target)
        partner = lambda: {"X-API-Key": key, "Idempotency-Key": str(uuid.uuid4())}  # noqa: E731
        probe = requests.post(stack.url + "/v1/referrals", json=body, headers=partner(), timeout=10)
        assert probe.status_code == 201, probe.text

        warm = min(3.0, args.seconds / 3)
        load("warm-up", skeleton_url + "/v1/referrals", dict, body, args.connections, warm, args.client)
        load("warm-up", stack.url + "/v1/referrals", partner, body, args.connections, warm, args.client)
        meter = CpuMeter({**stack.processes, "skeleton-app": processes[0], "skeleton-service": processes[1]})
        print(f"\n{args.connections} connections ({args.client}), {args.rounds} round(s) of {args.seconds:g} s per side, "
              f"alternating (the machine's speed drifts: each round compares the two within a minute), "
              f"{os.cpu_count()} CPUs")
        totals = {"skeleton": [0, 0.0], "referrals": [0, 0.0]}
        for round_number in range(1, args.rounds + 1):
            c0 = meter.snapshot()
            skeleton = load("skeleton (Flask→RPC→INSERT)", skeleton_url + "/v1/referrals", dict, body,
                            args.connections, args.seconds, args.client)
            c1 = meter.snapshot()
            batches_before = batch_sizes(stack)
            referrals = load("POST /v1/referrals (gateway, API key)", stack.url + "/v1/referrals", partner, body,
                             args.connections, args.seconds, args.client)
            c2 = meter.snapshot()
            batches = [after - before for after, before in zip(batch_sizes(stack), batches_before)]
            print(f"round {round_number} (1-min load average at its end: {os.getloadavg()[0]:.1f})")
            print(skeleton.report())
            print("   " + CpuMeter.per_request(c0, c1, len(skeleton.latencies)))
            print(referrals.report())
            print("   " + CpuMeter.per_request(c1, c2, len(referrals.latencies)))
            print(f"   coalesced batches: {batches[1]:.0f} requests in {batches[0]:.0f} batches "
                  f"(mean {batches[1] / max(batches[0], 1):.1f} per batch, handled in "
                  f"{batches[2] / max(batches[0], 1) * 1000:.1f} ms each by the service)")
            print(f"   referrals / skeleton throughput: {referrals.throughput / skeleton.throughput:.2f}")
            for name, result in (("skeleton", skeleton), ("referrals", referrals)):
                totals[name][0] += len(result.latencies)
                totals[name][1] += result.elapsed
        rates = {name: n / elapsed for name, (n, elapsed) in totals.items()}
        print(f"all rounds: referrals {rates['referrals']:.0f} req/s, skeleton {rates['skeleton']:.0f} req/s, "
              f"referrals / skeleton throughput: {rates['referrals'] / rates['skeleton']:.2f}")
    finally:
        for p in processes:
            p.stop()
        stack.stop()


if __name__ == "__main__":
    main()
