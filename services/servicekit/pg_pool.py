"""Opening a psycopg connection pool the same way everywhere (dict rows, bounded, opened eagerly)."""
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool


def open_pool(dsn: str, min_size: int = 2, max_size: int = 10, name: str | None = None) -> ConnectionPool:
    pool = ConnectionPool(dsn, min_size=min_size, max_size=max_size, open=False, name=name,
                          kwargs={"row_factory": dict_row}, timeout=30)
    pool.open(wait=True, timeout=30)
    return pool
