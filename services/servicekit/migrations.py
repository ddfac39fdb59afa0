"""Plain numbered SQL migrations: each file applied once, in its own transaction, and recorded.

Every service database first gets the kit's own tables (outbox, processed_messages), then the service's
files from `services/<name>/migrations/NNNN_*.sql`. Safe to re-run; concurrent runners serialise on an
advisory lock.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import re
from pathlib import Path

import psycopg

from . import settings

log = logging.getLogger(__name__)
KIT_SQL = Path(__file__).parent / "sql"
SERVICES_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = SERVICES_DIR.parent
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migration_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    files = sorted(p for p in directory.iterdir() if p.suffix == ".sql")
    for path in files:
        if not _NAME.match(path.name):
            raise ValueError(f"migration file name must look like 0001_name.sql: {path}")
    return files


def plan_for(component: str) -> list[tuple[str, Path]]:
    """(version, file) pairs in order: kit tables first, then the component's own migrations."""
    plan = [(f"servicekit/{p.name}", p) for p in migration_files(KIT_SQL)]
    own = (REPO_ROOT / "gateway" if component == "gateway" else SERVICES_DIR / component) / "migrations"
    plan += [(f"{component}/{p.name}", p) for p in migration_files(own)]
    return plan


def apply_migrations(dsn: str, component: str, plan: list[tuple[str, Path]] | None = None) -> list[str]:
    plan = plan if plan is not None else plan_for(component)
    applied: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
            version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())""")
        conn.execute("SELECT pg_advisory_lock(hashtext('tsunagu.migrations'))")
        try:
            done = {row[0]: row[1] for row in conn.execute("SELECT version, checksum FROM schema_migrations")}
            for version, path in plan:
                sql = path.read_text(encoding="utf-8")
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if version in done:
                    if done[version] != checksum:
                        log.warning("migration %s changed after it was applied; not re-applied", version)
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute("INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                                 (version, checksum))
                applied.append(version)
                log.info("applied migration %s", version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('tsunagu.migrations'))")
    return applied


def ensure_database(component: str) -> None:
    """Create the component's database if it does not exist (connects to the server's `postgres` db)."""
    name = settings.database_name(component)
    with psycopg.connect(f"{settings.postgres_base_url()}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            log.info("created database %s", name)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Create the databases and apply migrations")
    parser.add_argument("components", nargs="*", default=list(settings.SERVICES) + ["gateway"])
    args = parser.parse_args(argv)
    for component in args.components:
        ensure_database(component)
        applied = apply_migrations(settings.database_url(component), component)
        print(f"{component}: {len(applied)} migration(s) applied")


if __name__ == "__main__":
    main()
