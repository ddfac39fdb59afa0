"""pytest fixtures: an isolated namespace (databases + vhost) per test session, and the probe stack."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg.rows import dict_row

from services.servicekit import broker_topology, migrations, settings
from tests.support.processes import free_port, nameko_service, relay

PROBE_MIGRATIONS = Path(__file__).parent / "probe" / "migrations"


def _drop_database(name: str):
    with psycopg.connect(f"{settings.postgres_base_url()}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(name: str, migrations_of: str | None = None):
    """A database of its own in the test namespace, created afresh and dropped afterwards, for tests whose data
    would crowd the shared one. With `migrations_of`, that service's migrations are applied. Yields its DSN."""
    database = settings.database_name(name)
    _drop_database(database)
    with psycopg.connect(f"{settings.postgres_base_url()}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    dsn = f"{settings.postgres_base_url()}/{database}"
    try:
        if migrations_of:
            migrations.apply_migrations(dsn, migrations_of)
        yield dsn
    finally:
        _drop_database(database)


@pytest.fixture(scope="session")
def namespace():
    """Every test session works in its own databases and RabbitMQ vhost, created fresh."""
    name = os.environ.get("TSUNAGU_TEST_NAMESPACE", "tsunagu_test")
    os.environ["TSUNAGU_NAMESPACE"] = name
    os.environ.pop("AMQP_URI", None)
    os.environ["AMQP_URI"] = settings.amqp_uri()
    for component in settings.SERVICES + ("gateway", "probe", "probe_consumer"):
        os.environ.pop(f"{component.upper()}_DATABASE_URL", None)
        _drop_database(settings.database_name(component))
    broker_topology.delete_vhost(settings.vhost())
    broker_topology.ensure_vhost(settings.vhost())
    return name


def connect(component: str):
    return psycopg.connect(settings.database_url(component), autocommit=True, row_factory=dict_row)


def provision_probe() -> None:
    """Databases (kit tables + probe tables) and broker topology for the probe producer and consumer."""
    broker_topology.ensure_vhost(settings.vhost())
    for component in ("probe", "probe_consumer"):
        migrations.ensure_database(component)
        plan = migrations.plan_for(component) + [(f"probe/{p.name}", p)
                                                  for p in migrations.migration_files(PROBE_MIGRATIONS)]
        migrations.apply_migrations(settings.database_url(component), component, plan=plan)
    from tests.support.probe.service import ProbeConsumer, ProbeProducer
    broker_topology.declare_topology(service_classes=[ProbeProducer, ProbeConsumer], delivery_limit=3)


@pytest.fixture(scope="session")
def probe_databases(namespace):
    provision_probe()
    return namespace


def write_nameko_config(tmp_dir: Path, component: str, ops_port: int, extra: dict | None = None) -> Path:
    config = {"AMQP_URI": settings.amqp_uri(), "WEB_SERVER_ADDRESS": f"127.0.0.1:{ops_port}",
              "DATABASE_URL": settings.database_url(component), "EVENT_DELIVERY_LIMIT": 3,
              "max_workers": 10, **(extra or {})}
    path = tmp_dir / f"{component}-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(yaml.safe_dump(config))
    return path


class ProbeStack:
    """The probe producer, its relay and the consumer, each a real process that tests may kill and restart."""

    def __init__(self, tmp_dir: Path, consumer_config: dict | None = None):
        self.ports = {name: free_port() for name in ("probe", "probe_consumer", "relay")}
        env = {"TSUNAGU_NAMESPACE": settings.namespace(), "AMQP_URI": settings.amqp_uri()}
        self.producer = nameko_service("probe", "tests.support.probe.service:ProbeProducer",
                                       write_nameko_config(tmp_dir, "probe", self.ports["probe"]), env,
                                       self.ports["probe"])
        self.consumer = nameko_service("probe_consumer", "tests.support.probe.service:ProbeConsumer",
                                       write_nameko_config(tmp_dir, "probe_consumer", self.ports["probe_consumer"],
                                                           consumer_config),
                                       env, self.ports["probe_consumer"])
        self.relay = relay("probe", env, self.ports["relay"])

    def start(self):
        for process in (self.producer, self.consumer, self.relay):
            process.start()
        return self

    def stop(self):
        for process in (self.relay, self.consumer, self.producer):
            process.stop()

    def rpc(self, context_data=None):
        from nameko.standalone.rpc import ClusterRpcProxy
        return ClusterRpcProxy({"AMQP_URI": settings.amqp_uri()}, context_data=context_data, timeout=30)


@pytest.fixture
def probe_stack(probe_databases, tmp_path):
    stack = ProbeStack(tmp_path).start()
    yield stack
    stack.stop()


@pytest.fixture(autouse=False)
def clean_probe_tables(probe_databases):
    with connect("probe") as conn:
        conn.execute("TRUNCATE probe_records, outbox")
    with connect("probe_consumer") as conn:
        conn.execute("TRUNCATE probe_handled, probe_poison, probe_attempts, processed_messages")
    yield


@pytest.fixture(scope="session")
def stack(namespace, tmp_path_factory):
    """The whole stack, provisioned in the test namespace, for end-to-end tests through the gateway."""
    from services.servicekit.provision import provision
    from tests.support.stack import Stack
    provision()
    started = Stack(tmp_path_factory.mktemp("dev-keys")).start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def demo_stack(namespace, tmp_path_factory):
    """A second whole stack in its own namespace (`<namespace>_demo`) loaded with the demo data exactly as
    `make up` loads it, so figures can be checked against the demo sources without other tests' data."""
    import subprocess
    import sys

    from services.servicekit.provision import provision
    from tests.support.processes import REPO_ROOT
    from tests.support.stack import Stack

    saved = {k: os.environ.get(k) for k in ("TSUNAGU_NAMESPACE", "AMQP_URI")}
    os.environ["TSUNAGU_NAMESPACE"] = f"{namespace}_demo"
    os.environ.pop("AMQP_URI")
    os.environ["AMQP_URI"] = settings.amqp_uri()
    try:
        for component in settings.SERVICES + ("gateway",):
            _drop_database(settings.database_name(component))
        broker_topology.delete_vhost(settings.vhost())
        provision()
        started = Stack(tmp_path_factory.mktemp("demo-keys")).start()
        env = {**os.environ, **started.env, "PYTHONPATH": str(REPO_ROOT)}
        for command in (["services.members.demo_data"], ["services.events.demo_data"],
                        ["services.referrals.demo_data", "--wait", "120"]):
            subprocess.run([sys.executable, "-m", *command], cwd=REPO_ROOT, env=env, check=True,
                           capture_output=True, timeout=180)
    finally:
        for key, value in saved.items():
            os.environ[key] = value
    yield started
    started.stop()
