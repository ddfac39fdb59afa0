"""database.run_together: several statements in one round trip, each with its own snapshot, values quoted."""
import threading

import pytest

from services.servicekit.database import run_together
from tests.support.fixtures import connect
from tests.support.processes import wait_until

pytestmark = pytest.mark.integration


def test_each_statement_returns_its_own_rows_in_order_with_values_quoted(probe_databases):
    with connect("probe") as conn:
        first, second, third = run_together(conn, ("SELECT %s::int AS n", (7,)),
                                            ("SELECT %s AS text, %s::uuid[] AS ids", ("it's; DROP", ["0" * 32])),
                                            ("SELECT n FROM generate_series(1, %s) AS n", (3,)))
    assert first == [{"n": 7}]
    assert [{**r, "ids": [str(i) for i in r["ids"]]} for r in second] == [
        {"text": "it's; DROP", "ids": ["00000000-0000-0000-0000-000000000000"]}]
    assert [r["n"] for r in third] == [1, 2, 3]


def test_a_statement_after_a_lock_sees_what_the_previous_holder_committed(probe_databases):
    """What the referral idempotency key relies on: the read runs after the lock is taken, with a fresh snapshot
    (one statement with both would read with a snapshot taken before the lock)."""
    with connect("probe") as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS run_together_probe (key text PRIMARY KEY)")
        setup.execute("DELETE FROM run_together_probe")
    holder, reader = connect("probe"), connect("probe")
    try:
        holder.autocommit = False
        holder.execute("SELECT pg_advisory_xact_lock(4711)")
        holder.execute("INSERT INTO run_together_probe VALUES ('k')")
        reader.autocommit = False
        outcome = {}

        def read():
            # Blocks on the lock while the holder's transaction runs, then reads.
            outcome["rows"] = run_together(reader, ("SELECT pg_advisory_xact_lock(4711)", ()),
                                           ("SELECT key FROM run_together_probe", ()))[1]
        reader_pid = reader.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        reader.rollback()
        thread = threading.Thread(target=read)
        thread.start()
        with connect("probe") as watcher:
            wait_until(lambda: watcher.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory' "
                                               "AND NOT granted", (reader_pid,)).fetchone(), 10, 0.02,
                       "the reader to wait for the lock")
        holder.commit()
        thread.join(10)
        assert outcome["rows"] == [{"key": "k"}]
    finally:
        reader.rollback()
        holder.close()
        reader.close()
