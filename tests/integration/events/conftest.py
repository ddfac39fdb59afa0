"""Fixtures for the events service's integration tests: its database in the test namespace, units of work
on a real connection pool, and the members service's PFs/organisations seeded as the local copies would be."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import psycopg
import pytest

from services.servicekit import migrations, settings
from services.servicekit.database import UnitOfWork
from services.servicekit.pg_pool import open_pool


@pytest.fixture(scope="session")
def events_db(namespace):
    migrations.ensure_database("events")
    migrations.apply_migrations(settings.database_url("events"), "events")
    return settings.database_url("events")


@pytest.fixture(scope="session")
def pool(events_db):
    p = open_pool(events_db, min_size=2, max_size=20, name="events-tests")
    yield p
    p.close()


class Units:
    def __init__(self, pool):
        self.pool = pool

    @contextmanager
    def __call__(self, correlation_id="test"):
        with self.pool.connection() as conn:
            with conn.transaction():
                yield UnitOfWork(conn, "events", correlation_id, "tests")


@pytest.fixture
def units(pool):
    return Units(pool)


@pytest.fixture
def world(units):
    """A fresh PF per test (unique ids), with its area, plus two member organisations."""
    from services.events import local_copies
    ids = {"pf": str(uuid.uuid4()), "bureau_pf": str(uuid.uuid4()), "org_a": str(uuid.uuid4()),
           "org_b": str(uuid.uuid4()), "org_c": str(uuid.uuid4())}
    with units() as uow:
        local_copies.apply_platform(uow.conn, {
            "platform_id": ids["pf"], "revision": 1, "level": "municipality", "area_code": "012301",
            "parent_platform_id": None, "name": "登別市孤独・孤立対策官民連携プラットフォーム", "phase": "established",
            "secretariat_organization_ids": []})
        local_copies.apply_platform(uow.conn, {
            "platform_id": ids["bureau_pf"], "revision": 1, "level": "bureau", "area_code": "01B04",
            "parent_platform_id": None, "name": "胆振PF", "phase": "preparation", "secretariat_organization_ids": []})
        for key in ("org_a", "org_b", "org_c"):
            local_copies.apply_organization(uow.conn, {"organization_id": ids[key], "revision": 1,
                                                       "name": f"団体{key}", "home_area_code": "012301",
                                                       "active": True})
            local_copies.apply_membership(uow.conn, {
                "membership_id": str(uuid.uuid4()), "revision": 1, "organization_id": ids[key],
                "platform_id": ids["pf"], "platform_area_code": "012301", "membership_class": "member",
                "status": "active"})
    return ids


def outbox(events_db, types=None) -> list[dict]:
    with psycopg.connect(events_db) as conn:
        rows = conn.execute("SELECT envelope FROM outbox ORDER BY id").fetchall()
    return [r[0] for r in rows if types is None or r[0]["type"] in types]
