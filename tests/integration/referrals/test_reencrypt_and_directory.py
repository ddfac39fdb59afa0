"""Against real PostgreSQL: key rotation by the re-encrypt command, and the directory copy's revision rule."""
import base64
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from services.referrals import directory, repository as repo
from services.referrals.personal_data import Keyring, keyring_from_environment
from services.servicekit import migrations, settings
from services.servicekit.caller import Principal
from tests.support.fixtures import connect

REPO_ROOT = Path(__file__).resolve().parents[3]
PERSON = {"name": "鍵 回転", "phone": "011-222-3333", "email": "rotate@example.jp"}


@pytest.fixture(scope="module")
def referrals_db(namespace):
    migrations.ensure_database("referrals")
    migrations.apply_migrations(settings.database_url("referrals"), "referrals")
    return settings.database_url("referrals")


def b64():
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _insert(conn, ring):
    rid = str(uuid.uuid4())
    row = {
        "id": rid, "status": "requested", "category": "isolation", "urgency": "routine", "summary": "s",
        "area_code": "012301", "sender_organization_id": str(uuid.uuid4()),
        "target_organization_id": str(uuid.uuid4()), "pool_area_code": None, "pool_category": None,
        "do_not_contact": False, "consent": {"method": "written"}, "legal_basis": None, "partner_reference": None,
        "forwarded_from_id": None, "part_of_id": None, "created_by": "t",
        "created_at": "2026-11-22T00:00:00Z", "requested_at": "2026-11-22T00:00:00Z"}
    actor = Principal("t", "partner", organization_id=row["sender_organization_id"])
    conn.execute(*repo.new_referrals_statement([(row, ring.seal(PERSON, rid), ring.identity_hash(PERSON), actor, None,
                                                 None)]))
    return rid


def test_reencrypt_command_moves_every_person_to_the_active_key(referrals_db):
    old, new, ident = b64(), b64(), b64()
    env_old = {"REFERRALS_ENCRYPTION_KEYS": f"old:{old}", "REFERRALS_ACTIVE_KEY_ID": "old",
               "REFERRALS_IDENTITY_HMAC_KEY": ident}
    ring_old = keyring_from_environment(env_old)
    with connect("referrals") as conn:
        ids = [_insert(conn, ring_old) for _ in range(7)]
    env_new = {**os.environ, "REFERRALS_ENCRYPTION_KEYS": f"old:{old},new:{new}", "REFERRALS_ACTIVE_KEY_ID": "new",
               "REFERRALS_IDENTITY_HMAC_KEY": ident, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run([sys.executable, "-m", "services.referrals.reencrypt", "--batch", "3"], env=env_new,
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "re-encrypted" in run.stdout and "鍵" not in run.stdout
    only_new = Keyring({"new": base64.b64decode(new)}, "new", base64.b64decode(ident))
    with connect("referrals") as conn:
        for rid in ids:
            sealed = repo.load_person(conn, rid)
            assert sealed.key_id == "new"
            assert only_new.open(sealed, rid) == PERSON
    again = subprocess.run([sys.executable, "-m", "services.referrals.reencrypt"], env=env_new, cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "re-encrypted 0" in again.stdout


def test_directory_copy_applies_only_newer_revisions(referrals_db):
    org = str(uuid.uuid4())
    base = {"organization_id": org, "name": "n", "active": True, "published": True, "taxonomy_codes": ["hikikomori"],
            "service_area_codes": ["012301"], "home_area_code": "012301", "referral_capacity": "accepting"}
    with connect("referrals") as conn:
        assert directory.apply_organization(conn, {**base, "revision": 5})
        assert not directory.apply_organization(conn, {**base, "revision": 4, "referral_capacity": "paused"})
        assert not directory.apply_organization(conn, {**base, "revision": 5, "referral_capacity": "paused"})
        assert directory.organization(conn, org).referral_capacity == "accepting"
        assert directory.organization(conn, org).active_memberships == 0
        assert org not in directory.eligible_organizations(conn, "012301", "hikikomori")
        membership = {"membership_id": str(uuid.uuid4()), "organization_id": org, "platform_id": str(uuid.uuid4()),
                      "platform_area_code": "012301", "membership_class": "member", "effective_on": None}
        assert directory.apply_membership(conn, {**membership, "revision": 2, "status": "active"})
        assert not directory.apply_membership(conn, {**membership, "revision": 1, "status": "applied"})
        assert org in directory.eligible_organizations(conn, "012301", "hikikomori")
        assert org in directory.eligible_organizations(conn, "012301", "isolation")  # hikikomori is below it
        assert org not in directory.eligible_organizations(conn, "012335", "hikikomori")
        assert directory.apply_membership(conn, {**membership, "revision": 3, "status": "suspended"})
        assert org not in directory.eligible_organizations(conn, "012301", "hikikomori")
        assert directory.apply_deactivation(conn, {"organization_id": org, "revision": 6})
        assert directory.organization(conn, org).active is False
        assert not directory.apply_organization(conn, {**base, "revision": 6})


def test_demo_seed_is_idempotent_and_waits_for_the_directory(referrals_db):
    from collections import Counter

    from services.referrals import demo_data
    with connect("referrals") as conn:
        conn.execute("TRUNCATE directory_organizations, directory_memberships")
        conn.execute("DELETE FROM referrals WHERE created_by = 'demo-seed'")
    assert "skipped" in demo_data.seed()
    names = set(demo_data.SENDERS.values()) | set(demo_data.TARGETS.values())
    with connect("referrals") as conn:
        for name in sorted(names):
            org = str(uuid.uuid4())
            directory.apply_organization(conn, {"organization_id": org, "revision": 1, "name": name, "active": True,
                                                "published": True, "taxonomy_codes": ["isolation"],
                                                "service_area_codes": ["01"], "home_area_code": "011002",
                                                "referral_capacity": "accepting"})
            directory.apply_membership(conn, {"membership_id": str(uuid.uuid4()), "revision": 1, "organization_id": org,
                                              "platform_id": str(uuid.uuid4()), "platform_area_code": "01",
                                              "membership_class": "member", "status": "active", "effective_on": None})
    total = sum(count for *_, count, _pattern in demo_data.PLAN)
    assert demo_data.seed() == f"referrals demo data: {total} referral(s) created, 0 already present"
    assert demo_data.seed() == f"referrals demo data: 0 referral(s) created, {total} already present"
    # The final states follow the plan's patterns (counted here from the plan, not from the service).
    final = {"C": "completed", "A": "accepted", "P": "in-progress", "R": "rejected", "X": "cancelled", "W": "requested"}
    expected = Counter(final[pattern[i % len(pattern)]] for *_, count, pattern in demo_data.PLAN for i in range(count))
    with connect("referrals") as conn:
        rows = conn.execute("SELECT status, count(*) AS n FROM referrals WHERE created_by = 'demo-seed' "
                            "GROUP BY status").fetchall()
        assert {r["status"]: r["n"] for r in rows} == dict(expected)
        fy = conn.execute("SELECT min(created_at) AS a, max(created_at) AS b FROM referrals "
                          "WHERE created_by = 'demo-seed'").fetchone()
        assert fy["a"].isoformat() >= "2023-04-01" and fy["b"].isoformat() < "2024-04-01"


def test_expired_idempotency_keys_are_pruned(referrals_db):
    from services.referrals import referral_use_cases as uc
    from services.servicekit.database import UnitOfWork
    ring = keyring_from_environment({"REFERRALS_ENCRYPTION_KEYS": f"a:{b64()}", "REFERRALS_IDENTITY_HMAC_KEY": b64()})
    with connect("referrals") as conn:
        rid = _insert(conn, ring)
        for key, age in (("old-key", "8 days"), ("new-key", "1 day")):
            conn.execute("INSERT INTO idempotency_keys (organization_id, idempotency_key, fingerprint, referral_id, "
                         "response_status, response_body, created_at) VALUES (%s, %s, '\\x00', %s, 201, '{}', "
                         "now() - %s::interval)", (str(uuid.uuid4()), key, rid, age))
        ctx = uc.Context(UnitOfWork(conn, "referrals", None, "t"), None, None, ring, uc.utcnow())
        assert uc.prune_idempotency_keys(ctx, 7) >= 1
        keys = {r["idempotency_key"] for r in conn.execute("SELECT idempotency_key FROM idempotency_keys")}
        assert "old-key" not in keys and "new-key" in keys
        assert repo.get(conn, rid) is not None
