"""The webhook dispatcher against real PostgreSQL and a real HTTP receiver: concurrent dispatchers never send
a delivery twice (FOR UPDATE SKIP LOCKED + lease), a crashed dispatcher's claim comes back after its lease,
slow partners time out, redirects are not followed, disabling stops retries, old logs are purged.

Runs the dispatcher in-process on its own database (not the stack's), so no other dispatcher interferes."""
from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timezone

import eventlet
import pytest

from services.referrals import webhook_repository as repo
from services.referrals.webhook_dispatch import Dispatcher, plan_deliveries
from services.referrals.webhook_registrations import WebhookRegistrations
from services.referrals.webhook_settings import WebhookSettings
from services.servicekit.caller import Principal
from services.servicekit.database import DatabaseSession
from services.servicekit.pg_pool import open_pool
from tests.integration.referrals.webhook_receiver import Receiver
from tests.support.processes import wait_until
from tests.support.fixtures import scratch_database

pytestmark = pytest.mark.integration

COMPONENT = "webhook_dispatch_it"
SETTINGS = WebhookSettings(allow_private_targets="loopback", retry_base_seconds=0.05, retry_max_attempts=3,
                           retry_jitter=0.0, timeout_seconds=0.3, dispatch_batch=5, dispatch_concurrency=3,
                           lease_seconds=5.0)


@pytest.fixture(scope="module")
def db(namespace):
    with scratch_database(COMPONENT, migrations_of="referrals") as dsn:
        pool = open_pool(dsn, min_size=1, max_size=12, name=COMPONENT)
        yield DatabaseSession(pool, producer="referral_webhooks", correlation_id=None, consumer="it")
        pool.close()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


def partner(org: str) -> Principal:
    return Principal(subject=f"api-key:{uuid.uuid4()}", role="partner", organization_id=org, via="api_key")


def event(org: str, event_type: str = "referral.accepted") -> dict:
    return {"event_id": str(uuid.uuid4()), "type": event_type, "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "producer": "referrals", "correlation_id": None,
            "area": "012301", "payload": {"referral_id": str(uuid.uuid4()), "interested_organization_ids": [org]}}


def setup_endpoint(db, receiver, path, settings=SETTINGS):
    org = str(uuid.uuid4())
    registrations = WebhookRegistrations(db.unit_of_work, settings)
    endpoint = registrations.register(partner(org), {"url": receiver.url(path), "description": "", "event_types": None})
    return org, endpoint, registrations


def plan(db, *events) -> int:
    created = 0
    for e in events:
        with db.single_statement() as conn:
            created += plan_deliveries(conn, e, db.consumer)
    return created


def rows(db, sql, params=()):
    with db.unit_of_work() as uow:
        return uow.conn.execute(sql, params).fetchall()


def drain(dispatcher, until, timeout=20):
    def step():
        dispatcher.dispatch_due()
        return until()
    return wait_until(step, timeout, 0.02, "the dispatcher to finish")


def test_two_dispatchers_deliver_each_delivery_exactly_once(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/concurrent")
    events = [event(org) for _ in range(40)]
    assert plan(db, *events) == 40
    assert plan(db, *events[:5]) == 0  # a redelivered event adds nothing

    def run():
        dispatcher = Dispatcher(db.unit_of_work, SETTINGS, spawn_pool=eventlet.GreenPool(3))
        while dispatcher.dispatch_due():
            pass
    first, second = eventlet.spawn(run), eventlet.spawn(run)
    first.wait(), second.wait()
    wait_until(lambda: len(receiver.at("/concurrent")) >= 40, 20, message="40 POSTs")
    ids = [json.loads(r["body"])["id"] for r in receiver.at("/concurrent")]
    assert len(ids) == 40 and len(set(ids)) == 40
    counts = rows(db, "SELECT d.status, count(a.id) AS attempts FROM webhook_deliveries d "
                      "JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.endpoint_id = %s GROUP BY d.id",
                  (endpoint["id"],))
    assert len(counts) == 40 and {(c["status"], c["attempts"]) for c in counts} == {("succeeded", 1)}


def test_planning_marks_the_event_processed_with_its_deliveries_and_an_event_for_nobody_leaves_no_trace(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/planned")
    mine, nobodys = event(org), event(str(uuid.uuid4()))
    assert plan(db, mine, nobodys) == 1
    marked = {str(r["event_id"]) for r in rows(db, "SELECT event_id FROM processed_messages WHERE consumer = %s "
                                                  "AND event_id = ANY(%s::uuid[])",
                                               (db.consumer, [mine["event_id"], nobodys["event_id"]]))}
    assert marked == {mine["event_id"]}
    (delivery,) = rows(db, "SELECT id, endpoint_id, body FROM webhook_deliveries WHERE event_id = %s",
                       (mine["event_id"],))
    assert str(delivery["endpoint_id"]) == str(endpoint["id"])
    # Each delivery's body names that delivery's own id.
    assert json.loads(delivery["body"]) == {"id": str(delivery["id"]), "type": mine["type"],
                                            "event_id": mine["event_id"],
                                            "referral_id": mine["payload"]["referral_id"],
                                            "occurred_at": mine["occurred_at"]}
    assert plan(db, mine) == 0  # redelivered: recognised by its processed mark
    drain(Dispatcher(db.unit_of_work, SETTINGS), lambda: receiver.at("/planned"))  # leave nothing due behind
    assert json.loads(receiver.at("/planned")[0]["body"])["id"] == str(delivery["id"])


def test_a_crashed_dispatchers_claim_comes_back_after_its_lease(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/crashed")
    plan(db, event(org))
    with db.unit_of_work() as uow:  # a dispatcher claims the delivery with a 1 s lease, then dies
        [claimed] = repo.claim_due(uow.conn, 10, 1.0)
    dispatcher = Dispatcher(db.unit_of_work, SETTINGS)
    assert dispatcher.dispatch_due() == 0  # hidden while the lease runs
    assert receiver.at("/crashed") == []
    drain(dispatcher, lambda: receiver.at("/crashed"), timeout=10)
    assert json.loads(receiver.at("/crashed")[0]["body"])["id"] == str(claimed["id"])
    [delivery] = rows(db, "SELECT status, attempt_count FROM webhook_deliveries WHERE id = %s", (claimed["id"],))
    assert delivery == {"status": "succeeded", "attempt_count": 1}


def test_a_slow_partner_times_out_and_is_retried(db, receiver):
    receiver.delays["/slow"] = [1.0]
    org, endpoint, _ = setup_endpoint(db, receiver, "/slow")
    plan(db, event(org))
    dispatcher = Dispatcher(db.unit_of_work, SETTINGS)
    drain(dispatcher, lambda: rows(db, "SELECT 1 FROM webhook_deliveries WHERE endpoint_id = %s "
                                       "AND status = 'succeeded'", (endpoint["id"],)))
    attempts = rows(db, "SELECT a.outcome, a.status_code, a.error_class, a.duration_ms FROM webhook_attempts a "
                        "JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = %s "
                        "ORDER BY a.number", (endpoint["id"],))
    assert [(a["outcome"], a["status_code"]) for a in attempts] == [("timeout", None), ("succeeded", 200)]
    assert attempts[0]["error_class"] == "ReadTimeoutError" and 250 <= attempts[0]["duration_ms"] < 1000


def test_redirects_are_not_followed(db, receiver):
    receiver.always["/moved"] = 302
    receiver.headers["/moved"] = {"Location": receiver.url("/elsewhere")}
    org, endpoint, _ = setup_endpoint(db, receiver, "/moved")
    plan(db, event(org))
    dispatcher = Dispatcher(db.unit_of_work, SETTINGS)
    drain(dispatcher, lambda: rows(db, "SELECT 1 FROM webhook_deliveries WHERE endpoint_id = %s "
                                       "AND status = 'failed'", (endpoint["id"],)))
    outcomes = rows(db, "SELECT a.outcome, a.status_code FROM webhook_attempts a JOIN webhook_deliveries d "
                        "ON d.id = a.delivery_id WHERE d.endpoint_id = %s", (endpoint["id"],))
    assert {(o["outcome"], o["status_code"]) for o in outcomes} == {("http_error", 302)}
    assert len(outcomes) == SETTINGS.retry_max_attempts and receiver.at("/elsewhere") == []


def test_disabling_an_endpoint_stops_its_pending_retries(db, receiver):
    receiver.always["/disable-me"] = 500
    slow = dataclasses.replace(SETTINGS, retry_base_seconds=0.5, retry_max_attempts=10)
    org, endpoint, registrations = setup_endpoint(db, receiver, "/disable-me", slow)
    plan(db, event(org))
    dispatcher = Dispatcher(db.unit_of_work, slow)
    drain(dispatcher, lambda: receiver.at("/disable-me"))
    updated = registrations.update(partner(org), endpoint["id"], {"active": False})
    assert updated["active"] is False and updated["disabled_at"] is not None
    [delivery] = rows(db, "SELECT status, next_attempt_at, last_outcome FROM webhook_deliveries "
                          "WHERE endpoint_id = %s", (endpoint["id"],))
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    plan(db, event(org))  # nothing is planned for a disabled endpoint either
    assert rows(db, "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = %s",
                (endpoint["id"],))[0]["n"] == 1
    with db.unit_of_work() as uow:  # well after the next retry would have been due
        uow.conn.execute("SELECT pg_sleep(0.8)")
    assert dispatcher.dispatch_due() == 0 and len(receiver.at("/disable-me")) == 1


def test_finished_deliveries_are_purged_after_the_retention(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/purge")
    plan(db, event(org), event(org))
    dispatcher = Dispatcher(db.unit_of_work, SETTINGS)
    drain(dispatcher, lambda: len(receiver.at("/purge")) == 2)
    wait_until(lambda: rows(db, "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = %s "
                                "AND status = 'succeeded'", (endpoint["id"],))[0]["n"] == 2, 5, message="done")
    with db.unit_of_work() as uow:
        uow.conn.execute("UPDATE webhook_deliveries SET completed_at = now() - interval '91 days' WHERE id = "
                         "(SELECT id FROM webhook_deliveries WHERE endpoint_id = %s LIMIT 1)", (endpoint["id"],))
        assert repo.purge_finished(uow.conn, 90, 1000) == 1
    left = rows(db, "SELECT d.id, count(a.id) AS n FROM webhook_deliveries d LEFT JOIN webhook_attempts a "
                    "ON a.delivery_id = d.id WHERE d.endpoint_id = %s GROUP BY d.id", (endpoint["id"],))
    assert len(left) == 1 and left[0]["n"] == 1
    assert rows(db, "SELECT count(*) AS n FROM webhook_attempts a LEFT JOIN webhook_deliveries d "
                    "ON d.id = a.delivery_id WHERE d.id IS NULL")[0]["n"] == 0


def test_secrets_are_sealed_at_rest_and_reencrypt_moves_them_to_the_new_key(db, receiver):
    from services.referrals.webhook_secret_box import SecretBox, new_key, parse_keys, reencrypt
    from services.referrals.webhook_signing import verify_signature
    first = parse_keys(f"k1:{new_key()}")
    sealed_settings = dataclasses.replace(SETTINGS, secret_keys=first)
    org, endpoint, _ = setup_endpoint(db, receiver, "/sealed", sealed_settings)
    [stored] = rows(db, "SELECT secret FROM webhook_secrets WHERE endpoint_id = %s", (endpoint["id"],))
    assert stored["secret"].startswith("aesgcm:k1:") and endpoint["secret"] not in stored["secret"]
    # The operator adds a new key in front and re-encrypts; deliveries still sign with the same secret.
    rotated = parse_keys(f"k2:{new_key()}") + first
    with db.unit_of_work() as uow:
        assert reencrypt(uow.conn, SecretBox(rotated)) >= 1
    [stored] = rows(db, "SELECT secret FROM webhook_secrets WHERE endpoint_id = %s", (endpoint["id"],))
    assert stored["secret"].startswith("aesgcm:k2:")
    plan(db, event(org))
    drain(Dispatcher(db.unit_of_work, dataclasses.replace(SETTINGS, secret_keys=rotated[:1])),
          lambda: receiver.at("/sealed"))
    got = receiver.at("/sealed")[0]
    assert verify_signature(endpoint["secret"], got["headers"]["Tsunagu-Signature"], got["body"])


def test_the_delivery_log_pages_newest_first(db, receiver):
    org, endpoint, registrations = setup_endpoint(db, receiver, "/paged")
    plan(db, *[event(org) for _ in range(5)])
    owner = partner(org)
    first = registrations.deliveries(owner, endpoint["id"], {"limit": 2})["items"]
    second = registrations.deliveries(owner, endpoint["id"], {"limit": 2, "before": first[-1]["id"]})["items"]
    third = registrations.deliveries(owner, endpoint["id"], {"limit": 2, "before": second[-1]["id"]})["items"]
    ids = [d["id"] for d in first + second + third]
    assert len(ids) == 5 and len(set(ids)) == 5
    created = [d["created_at"] for d in first + second + third]
    assert created == sorted(created, reverse=True)
    assert registrations.deliveries(owner, endpoint["id"], {"limit": 10, "status": "failed"})["items"] == []


def test_enabling_again_rechecks_the_url(db, receiver):
    from services.servicekit.errors import InvalidInput
    org, endpoint, registrations = setup_endpoint(db, receiver, "/reenable")
    owner = partner(org)
    registrations.update(owner, endpoint["id"], {"active": False})
    with db.unit_of_work() as uow:  # meanwhile the name points somewhere private
        uow.conn.execute("UPDATE webhook_endpoints SET url = 'https://10.1.2.3/hook' WHERE id = %s", (endpoint["id"],))
    with pytest.raises(InvalidInput) as refused:
        registrations.update(owner, endpoint["id"], {"active": True})
    assert refused.value.errors[0]["pointer"] == "#/url"
    assert registrations.get(owner, endpoint["id"])["active"] is False


def test_the_backlog_gauge_counts_pending_deliveries(db, receiver):
    from services.referrals.webhook_dispatch import PENDING
    receiver.always["/backlog"] = 500
    slow = dataclasses.replace(SETTINGS, retry_base_seconds=30)
    org, endpoint, _ = setup_endpoint(db, receiver, "/backlog", slow)
    plan(db, event(org), event(org))
    dispatcher = Dispatcher(db.unit_of_work, slow)
    pending = "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'"
    before = dispatcher.measure_backlog()
    assert before >= 2 and before == rows(db, pending)[0]["n"] and PENDING._value.get() == before
    drain(dispatcher, lambda: len(receiver.at("/backlog")) == 2)
    # Failed once, both still pending (next retry in 30 s), and counted.
    assert rows(db, "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = %s AND status = 'pending'",
                (endpoint["id"],))[0]["n"] == 2
    after = dispatcher.measure_backlog()
    assert after >= 2 and after == rows(db, pending)[0]["n"] and PENDING._value.get() == after


def test_an_organisation_may_register_only_so_many_endpoints_even_concurrently(db, receiver):
    from services.servicekit.errors import Conflict
    limited = dataclasses.replace(SETTINGS, max_endpoints_per_organization=3)
    registrations = WebhookRegistrations(db.unit_of_work, limited)
    owner = partner(str(uuid.uuid4()))

    def attempt(i):
        try:
            return registrations.register(owner, {"url": receiver.url(f"/limit{i}"), "description": "",
                                                  "event_types": None})
        except Conflict:
            return None
    results = list(eventlet.GreenPool(6).imap(attempt, range(6)))
    assert sum(r is not None for r in results) == 3
    assert len(registrations.list(owner, {"limit": 100})["items"]) == 3
