"""The staged unit of work (database.py): one transaction in two round trips — BEGIN with the first reads, the
writes and outbox rows with COMMIT — that commits all or nothing, releases its locks, and hands its pooled
connection back as it found it. Real PostgreSQL."""
import uuid

import pytest
from marshmallow import Schema, fields

from services.servicekit.database import DatabaseSession
from services.servicekit.envelope import IntegrationEvent
from services.servicekit.pg_pool import open_pool
from services.servicekit import settings
from tests.support.fixtures import connect

pytestmark = pytest.mark.integration

class _Counted(Schema):
    n = fields.Integer(required=True)


HAPPENED = IntegrationEvent("probe.staged", 1, _Counted)


@pytest.fixture
def session(probe_databases):
    with connect("probe") as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS staged_probe (id uuid PRIMARY KEY, n int NOT NULL CHECK (n >= 0))")
        setup.execute("TRUNCATE staged_probe, outbox")
    pool = open_pool(settings.database_url("probe"), min_size=1, max_size=1, name="staged-probe")
    yield DatabaseSession(pool, producer="probe", correlation_id="req-staged", consumer="probe.staged")
    pool.close()


def written():
    with connect("probe") as conn:
        rows = conn.execute("SELECT n FROM staged_probe ORDER BY n").fetchall()
        events = conn.execute("SELECT envelope FROM outbox ORDER BY id").fetchall()
    return [r["n"] for r in rows], [e["envelope"]["payload"]["n"] for e in events]


def insert(n: int) -> tuple[str, tuple]:
    return "INSERT INTO staged_probe (id, n) VALUES (%s, %s)", (str(uuid.uuid4()), n)


def lock_is_free(key: int) -> bool:
    with connect("probe") as other:
        return other.execute("SELECT pg_try_advisory_lock(%s) AS ok", (key,)).fetchone()["ok"]


def test_reads_then_staged_writes_and_events_commit_together(session):
    with session.unit_of_work(staged=True) as uow:
        [[locked], [count]] = uow.read_together(("SELECT pg_try_advisory_xact_lock(4712) AS ok", ()),
                                                ("SELECT count(*) AS n FROM staged_probe", ()))
        assert locked["ok"] and count["n"] == 0
        uow.write(*insert(1))
        uow.write(*insert(2))
        uow.emit_all([(HAPPENED, {"n": 1}, None), (HAPPENED, {"n": 2}, None)])
        assert written() == ([], [])  # held until the commit
        assert not lock_is_free(4712)  # the transaction began with the reads: its lock is held
    assert written() == ([1, 2], [1, 2])
    assert lock_is_free(4712)
    with session.pool.connection() as conn:  # lent back as the pool lends it to everyone
        assert not conn.autocommit and conn.info.transaction_status.name == "IDLE"


def test_a_failing_write_at_commit_leaves_nothing_and_the_connection_usable(session):
    with pytest.raises(Exception, match="staged_probe_n_check"):
        with session.unit_of_work(staged=True) as uow:
            uow.read_together(("SELECT pg_try_advisory_xact_lock(4713) AS ok", ()))
            uow.write(*insert(3))
            uow.emit_all([(HAPPENED, {"n": 3}, None)])
            uow.write(*insert(-1))  # violates the check: the whole message fails
    assert written() == ([], [])
    assert lock_is_free(4713)
    with session.unit_of_work() as uow:  # the same pooled connection, an ordinary unit of work
        uow.write(*insert(4))
    assert written() == ([4], [])


def test_an_error_between_the_reads_and_the_commit_rolls_back(session):
    with pytest.raises(RuntimeError, match="refused"):
        with session.unit_of_work(staged=True) as uow:
            uow.read_together(("SELECT pg_try_advisory_xact_lock(4714) AS ok", ()))
            uow.write(*insert(5))
            raise RuntimeError("refused")
    assert written() == ([], [])
    assert lock_is_free(4714)
    with session.pool.connection() as conn:
        assert not conn.autocommit and conn.info.transaction_status.name == "IDLE"


def test_writes_without_reads_commit_all_or_nothing(session):
    with pytest.raises(Exception, match="staged_probe_n_check"):
        with session.unit_of_work(staged=True) as uow:
            uow.write(*insert(6))
            uow.write(*insert(-6))
    assert written() == ([], [])
    with session.unit_of_work(staged=True) as uow:
        uow.write(*insert(7))
    assert written() == ([7], [])
    with session.pool.connection() as conn:
        assert not conn.autocommit and conn.info.transaction_status.name == "IDLE"


def test_an_event_handlers_idempotency_record_is_refused(session):
    """processed_messages must commit with the handler's writes; a staged unit would write it outside its
    transaction before the first read."""
    with pytest.raises(TypeError, match="ordinary unit of work"):
        with session.unit_of_work(staged=True) as uow:
            uow.already_processed({"event_id": str(uuid.uuid4())})
    with connect("probe") as conn:
        assert conn.execute("SELECT count(*) AS n FROM processed_messages WHERE consumer = 'probe.staged'"
                            ).fetchone()["n"] == 0
