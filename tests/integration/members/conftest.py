"""The members database in the test namespace, and units of work on it without a nameko container."""
import pytest

from services.servicekit import migrations, settings
from services.servicekit.caller import Principal
from services.servicekit.database import DatabaseSession
from services.servicekit.pg_pool import open_pool
from tests.support.fixtures import connect

ADMIN = Principal(subject="integration-admin", role="admin")


@pytest.fixture(scope="session")
def members_pool(namespace):
    migrations.ensure_database("members")
    migrations.apply_migrations(settings.database_url("members"), "members")
    pool = open_pool(settings.database_url("members"), min_size=1, max_size=4, name="members-tests")
    yield pool
    pool.close()


@pytest.fixture
def members_db(members_pool):
    with connect("members") as conn:
        conn.execute("TRUNCATE membership_history, memberships, platform_phase_history, platforms, "
                     "organization_changes, organizations, outbox, processed_messages")
    return DatabaseSession(members_pool, producer="members", correlation_id="req-integration", consumer=None)
