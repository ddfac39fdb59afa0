"""Numbered SQL migrations: applied once each, recorded, in one transaction each, safe to re-run."""
import psycopg
import pytest

from services.servicekit import migrations
from tests.support.fixtures import scratch_database

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch_db(namespace):
    with scratch_database("migration_scratch") as dsn:
        yield dsn


def test_migrations_apply_once_and_rerun_safely(scratch_db, tmp_path):
    (tmp_path / "0001_things.sql").write_text("CREATE TABLE things (id int primary key);")
    (tmp_path / "0002_more.sql").write_text("INSERT INTO things VALUES (1);")
    plan = migrations.plan_for("nothing") + [(f"x/{p.name}", p) for p in migrations.migration_files(tmp_path)]
    first = migrations.apply_migrations(scratch_db, "x", plan=plan)
    assert first[-2:] == ["x/0001_things.sql", "x/0002_more.sql"]
    assert "servicekit/0001_outbox.sql" in first
    assert migrations.apply_migrations(scratch_db, "x", plan=plan) == []
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("SELECT count(*) FROM things").fetchone()[0] == 1


def test_a_failing_migration_leaves_nothing_behind(scratch_db, tmp_path):
    (tmp_path / "0001_half.sql").write_text("CREATE TABLE half (id int); INSERT INTO nowhere VALUES (1);")
    plan = [(f"x/{p.name}", p) for p in migrations.migration_files(tmp_path)]
    with pytest.raises(psycopg.errors.UndefinedTable):
        migrations.apply_migrations(scratch_db, "x", plan=plan)
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("SELECT to_regclass('half')").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 0


def test_migration_files_must_be_numbered(tmp_path):
    (tmp_path / "create_things.sql").write_text("SELECT 1")
    with pytest.raises(ValueError):
        migrations.migration_files(tmp_path)
