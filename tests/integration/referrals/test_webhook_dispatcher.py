"""Webhooks against real PostgreSQL and a real HTTP receiver.

Planning: a referral event written to the outbox plans its deliveries in the same transaction (the outbox trigger,
referrals migration 0101) — one per interested organisation's active endpoint whose filter takes the type, nothing
for anyone else, nothing if the transaction rolls back, for every row of a multi-row INSERT.
Dispatching: concurrent dispatchers never send a delivery twice (FOR UPDATE SKIP LOCKED + lease), a crashed
dispatcher's claim comes back after its lease, slow partners time out, redirects are not followed, disabling stops
retries, old logs are purged.

Runs the dispatcher in-process on its own database (not the stack's), so no other dispatcher interferes."""
from __future__ import annotations

import dataclasses
import json
import uuid

import eventlet
import psycopg
import pytest
from psycopg.rows import dict_row

from services.referrals import integration_events as referral_events
from services.referrals import webhook_repository as repo
from services.referrals.webhook_dispatch import Dispatcher
from services.referrals.webhook_registrations import WebhookRegistrations
from services.referrals.webhook_settings import WebhookSettings
from services.servicekit import migrations, outbox
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


def event(*interested: str, event_type: str = "referral.accepted") -> dict:
    """A referral event as the referrals service emits it (built with its own event types)."""
    payload = {"referral_id": str(uuid.uuid4()), "revision": 1, "status": "accepted", "category": "hikikomori",
               "urgency": "routine", "sender_organization_id": interested[0] if interested else str(uuid.uuid4()),
               "target_organization_id": None, "pool": None, "area_code": "012301",
               "interested_organization_ids": list(interested)}
    return referral_events.BY_TYPE[event_type].envelope(payload, producer="referrals", area="012301")


def setup_endpoint(db, receiver, path, settings=SETTINGS, org=None, **registration):
    org = org or str(uuid.uuid4())
    registrations = WebhookRegistrations(db.unit_of_work, settings)
    endpoint = registrations.register(partner(org), {"url": receiver.url(path), "description": "",
                                                     "event_types": None, **registration})
    return org, endpoint, registrations


def commit(db, *events) -> None:
    """The events written to the outbox in one committed transaction, as `uow.emit` writes them."""
    with db.unit_of_work() as uow:
        for e in events:
            outbox.append(uow.conn, e)


def commit_in_one_insert(db, *events) -> None:
    """The events written to the outbox by ONE multi-row INSERT (as `uow.emit_all` writes them), committed."""
    with db.unit_of_work() as uow:
        outbox.append_all(uow.conn, list(events))


def rows(db, sql, params=()):
    with db.unit_of_work() as uow:
        return uow.conn.execute(sql, params).fetchall()


def planned(db, *events) -> list[dict]:
    return rows(db, "SELECT id, endpoint_id, organization_id, event_id, event_type, referral_id, occurred_at, body, "
                    "status, next_attempt_at FROM webhook_deliveries WHERE event_id = ANY(%s::uuid[])",
                ([e["event_id"] for e in events],))


def delivery_count(db) -> int:
    return rows(db, "SELECT count(*) AS n FROM webhook_deliveries")[0]["n"]


def drain(dispatcher, until, timeout=20):
    def step():
        dispatcher.dispatch_due()
        return until()
    return wait_until(step, timeout, 0.02, "the dispatcher to finish")


class RollBack(Exception):
    pass


# --- planning: in the transaction that writes the referral event --------------------------------------------------

def test_a_committed_referral_event_plans_one_delivery_per_interested_active_endpoint_its_filter_takes(db, receiver):
    mine, theirs, stranger = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    _, everything, registrations = setup_endpoint(db, receiver, "/all", org=mine)
    _, accepted_only, _ = setup_endpoint(db, receiver, "/accepted", org=mine, event_types=["referral.accepted"])
    _, requested_only, _ = setup_endpoint(db, receiver, "/requested", org=mine, event_types=["referral.requested"])
    _, disabled, _ = setup_endpoint(db, receiver, "/off", org=mine)
    registrations.update(partner(mine), disabled["id"], {"active": False})
    _, their_endpoint, _ = setup_endpoint(db, receiver, "/theirs", org=theirs)
    setup_endpoint(db, receiver, "/stranger", org=stranger)
    accepted = event(mine, theirs, mine)  # an organisation named twice is notified once
    with db.unit_of_work() as uow:
        outbox.append(uow.conn, accepted)
        assert planned(db, accepted) == []  # another connection sees nothing before the commit
    deliveries = planned(db, accepted)
    by_endpoint = {str(d["endpoint_id"]): d for d in deliveries}
    assert len(deliveries) == 3 and set(by_endpoint) == {everything["id"], accepted_only["id"], their_endpoint["id"]}
    assert {str(d["organization_id"]) for d in deliveries} == {mine, theirs}
    for d in deliveries:
        assert d["status"] == "pending" and d["next_attempt_at"] is not None and d["event_type"] == "referral.accepted"
        assert str(d["referral_id"]) == accepted["payload"]["referral_id"]
        assert d["occurred_at"].isoformat() == accepted["occurred_at"]
        # The id-only body, naming the delivery's own id, in this key order; nothing of the referral but its id.
        body = json.loads(d["body"])
        assert list(body) == ["id", "type", "event_id", "referral_id", "occurred_at"]
        assert body == {"id": str(d["id"]), "type": "referral.accepted", "event_id": accepted["event_id"],
                        "referral_id": accepted["payload"]["referral_id"], "occurred_at": accepted["occurred_at"]}
    # Each endpoint's filter is applied to the type: a referral.requested event reaches the requested-only one.
    requested = event(mine, event_type="referral.requested")
    commit(db, requested)
    assert {str(d["endpoint_id"]) for d in planned(db, requested)} == {everything["id"], requested_only["id"]}
    assert len(planned(db, requested)) == 2
    # What is planned is what is sent.
    drain(Dispatcher(db.unit_of_work, SETTINGS),
          lambda: len(receiver.at("/all")) == 2 and receiver.at("/accepted") and receiver.at("/requested")
          and receiver.at("/theirs"))
    assert json.loads(receiver.at("/theirs")[0]["body"])["id"] == str(by_endpoint[their_endpoint["id"]]["id"])
    assert receiver.at("/off") == [] and receiver.at("/stranger") == []


def test_a_rolled_back_transaction_plans_nothing(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/rolled-back")
    lost = event(org)
    with pytest.raises(RollBack):
        with db.unit_of_work() as uow:
            outbox.append(uow.conn, lost)
            raise RollBack("the change fails after its event was written")
    assert planned(db, lost) == []
    assert rows(db, "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = %s",
                (endpoint["id"],))[0]["n"] == 0


def test_an_event_that_concerns_no_endpoint_writes_nothing(db, receiver):
    org, _, _ = setup_endpoint(db, receiver, "/nobody")
    before = delivery_count(db)
    # Nobody interested; organisations without endpoints; and a non-referral event carrying an organisation that
    # has one (only referral.* events are planned).
    not_a_referral_event = dict(event(org), event_id=str(uuid.uuid4()), type="organization.updated")
    commit(db, event(), event(str(uuid.uuid4()), str(uuid.uuid4())), not_a_referral_event)
    assert delivery_count(db) == before


def test_one_multi_row_outbox_insert_plans_for_each_row(db, receiver):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    _, first_endpoint, _ = setup_endpoint(db, receiver, "/multi-1", org=first)
    _, second_endpoint, _ = setup_endpoint(db, receiver, "/multi-2", org=second)
    events = [event(first), event(second, event_type="referral.completed"), event(first, second),
              event(str(uuid.uuid4()))]
    commit_in_one_insert(db, *events)
    by_event = {}
    for d in planned(db, *events):
        by_event.setdefault(str(d["event_id"]), set()).add(str(d["endpoint_id"]))
        body = json.loads(d["body"])
        assert body["id"] == str(d["id"]) and body["event_id"] == str(d["event_id"]) and body["type"] == d["event_type"]
    assert by_event == {events[0]["event_id"]: {first_endpoint["id"]},
                        events[1]["event_id"]: {second_endpoint["id"]},
                        events[2]["event_id"]: {first_endpoint["id"], second_endpoint["id"]}}
    drain(Dispatcher(db.unit_of_work, SETTINGS),
          lambda: len(receiver.at("/multi-1")) == 2 and len(receiver.at("/multi-2")) == 2)


def test_an_event_for_nobody_costs_an_index_lookup_of_endpoints_by_organisation(db):
    """Among thousands of endpoints, the trigger finds the interested organisations' ones through the index on
    organization_id (auto_explain logs the plan of the trigger's own statement). All of it rolled back."""
    plans: list[str] = []

    def collect(diagnostic):
        plans.append(diagnostic.message_primary or "")
    with pytest.raises(RollBack):
        with db.unit_of_work() as uow:
            conn = uow.conn
            conn.execute("INSERT INTO webhook_endpoints (id, organization_id, url, created_by) "
                         "SELECT gen_random_uuid(), gen_random_uuid(), 'https://partner.example/hook', 'test' "
                         "FROM generate_series(1, 3000)")
            conn.execute("ANALYZE webhook_endpoints")
            conn.execute("LOAD 'auto_explain'")
            for setting in ("auto_explain.log_min_duration = 0", "auto_explain.log_nested_statements = on",
                            "client_min_messages = log"):
                conn.execute(f"SET LOCAL {setting}")
            conn.add_notice_handler(collect)
            try:
                for _ in range(7):  # past plpgsql's first five custom plans: the cached generic plan too
                    outbox.append(conn, event(str(uuid.uuid4()), str(uuid.uuid4())))
            finally:
                conn.remove_notice_handler(collect)
            raise RollBack()
    lookups = [p for p in plans if "INSERT INTO webhook_deliveries" in p]
    assert len(lookups) == 7, plans
    for lookup in lookups:
        assert "Index Scan on webhook_endpoints_by_org" in lookup and "Seq Scan" not in lookup, lookup


def test_the_migration_plans_the_referral_events_the_retired_handler_had_not_handled(namespace):
    """Referrals migration 0101 replaces the handler referral_webhooks.on_referral_event, whose queue provisioning
    deletes: events it had not handled yet (no processed mark) are planned by the migration; those it had handled
    keep the deliveries it planned, and get no second one."""
    retired_consumer = "referral_webhooks.on_referral_event"
    steps = migrations.plan_for("referrals")
    upto = [i for i, (version, _) in enumerate(steps) if version.startswith("referrals/0101_")][0]
    org = str(uuid.uuid4())
    handled, waiting, for_nobody = event(org), event(org, event_type="referral.completed"), event(str(uuid.uuid4()))
    with scratch_database("webhook_migration_it") as dsn:
        migrations.apply_migrations(dsn, "referrals", plan=steps[:upto])
        with psycopg.connect(dsn, autocommit=True, row_factory=dict_row) as conn:
            endpoint = str(uuid.uuid4())
            conn.execute("INSERT INTO webhook_endpoints (id, organization_id, url, created_by) "
                         "VALUES (%s, %s, 'https://partner.example/hook', 'test')", (endpoint, org))
            for e in (handled, waiting, for_nobody):
                outbox.append(conn, e)
            # What the retired handler did with the event it handled: its delivery and its processed mark.
            old_delivery = str(uuid.uuid4())
            conn.execute("INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, event_id, event_type, "
                         "referral_id, occurred_at, body, next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s, %s, '{}', "
                         "now())", (old_delivery, endpoint, org, handled["event_id"], handled["type"],
                                    handled["payload"]["referral_id"], handled["occurred_at"]))
            conn.execute("INSERT INTO processed_messages (consumer, event_id) VALUES (%s, %s)",
                         (retired_consumer, handled["event_id"]))
        assert migrations.apply_migrations(dsn, "referrals", plan=steps)[0].startswith("referrals/0101_")
        with psycopg.connect(dsn, autocommit=True, row_factory=dict_row) as conn:
            deliveries = conn.execute("SELECT id, event_id, body FROM webhook_deliveries").fetchall()
    by_event = {str(d["event_id"]): d for d in deliveries}
    assert len(deliveries) == 2 and set(by_event) == {handled["event_id"], waiting["event_id"]}
    assert str(by_event[handled["event_id"]]["id"]) == old_delivery
    assert json.loads(by_event[waiting["event_id"]]["body"])["id"] == str(by_event[waiting["event_id"]]["id"])


# --- dispatching -------------------------------------------------------------------------------------------------

def test_two_dispatchers_deliver_each_delivery_exactly_once(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/concurrent")
    events = [event(org) for _ in range(40)]
    commit(db, *events)
    assert len(planned(db, *events)) == 40

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



def test_a_crashed_dispatchers_claim_comes_back_after_its_lease(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/crashed")
    commit(db, event(org))
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
    commit(db, event(org))
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
    commit(db, event(org))
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
    commit(db, event(org))
    dispatcher = Dispatcher(db.unit_of_work, slow)
    drain(dispatcher, lambda: receiver.at("/disable-me"))
    updated = registrations.update(partner(org), endpoint["id"], {"active": False})
    assert updated["active"] is False and updated["disabled_at"] is not None
    [delivery] = rows(db, "SELECT status, next_attempt_at, last_outcome FROM webhook_deliveries "
                          "WHERE endpoint_id = %s", (endpoint["id"],))
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    commit(db, event(org))  # nothing is planned for a disabled endpoint either
    assert rows(db, "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = %s",
                (endpoint["id"],))[0]["n"] == 1
    with db.unit_of_work() as uow:  # well after the next retry would have been due
        uow.conn.execute("SELECT pg_sleep(0.8)")
    assert dispatcher.dispatch_due() == 0 and len(receiver.at("/disable-me")) == 1


def test_finished_deliveries_are_purged_after_the_retention(db, receiver):
    org, endpoint, _ = setup_endpoint(db, receiver, "/purge")
    commit(db, event(org), event(org))
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
    commit(db, event(org))
    drain(Dispatcher(db.unit_of_work, dataclasses.replace(SETTINGS, secret_keys=rotated[:1])),
          lambda: receiver.at("/sealed"))
    got = receiver.at("/sealed")[0]
    assert verify_signature(endpoint["secret"], got["headers"]["Tsunagu-Signature"], got["body"])


def test_the_delivery_log_pages_newest_first(db, receiver):
    org, endpoint, registrations = setup_endpoint(db, receiver, "/paged")
    commit(db, *[event(org) for _ in range(5)])
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
    commit(db, event(org), event(org))
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
