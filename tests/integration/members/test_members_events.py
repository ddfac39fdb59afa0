"""The members service's integration events go through the outbox and the real relay to RabbitMQ, and a consumer
receives them exactly per the contract in DEVELOPERS.md (types, fields, revisions, envelope area)."""
import json
import uuid
from datetime import date

import kombu
import pytest
from nameko.events import get_event_exchange

from services.members import memberships, organizations, platforms
from services.servicekit import settings
from services.servicekit.envelope import parse_envelope
from services.servicekit.outbox_relay import OutboxRelay
from tests.integration.members.conftest import ADMIN
from tests.support.processes import wait_until

pytestmark = pytest.mark.integration

ORG_FIELDS = {"organization_id", "revision", "name", "name_kana", "legal_form", "taxonomy_codes", "activity_types",
              "service_area_codes", "home_area_code", "referral_capacity", "published", "active"}
MEMBERSHIP_FIELDS = {"membership_id", "revision", "organization_id", "platform_id", "platform_area_code",
                     "membership_class", "status", "effective_on"}


@pytest.fixture
def consumer_queue(members_db):
    """A queue of our own bound to members.events for every type the contract names."""
    conn = kombu.Connection(settings.amqp_uri())
    channel = conn.channel()
    exchange = get_event_exchange("members", {})
    exchange(channel).declare()
    queue = kombu.Queue(f"test-members-contract-{uuid.uuid4().hex[:8]}", exchange=exchange, auto_delete=True,
                        bindings=[kombu.binding(exchange, routing_key=k)
                                  for k in ("organization.*", "platform.*", "membership.*")])
    bound = queue(channel)
    bound.declare()
    for key in ("organization.*", "platform.*", "membership.*"):
        bound.bind_to(exchange=exchange, routing_key=key)
    yield bound
    bound.delete()
    conn.release()


def drain(queue, expected: int) -> list[dict]:
    received = []

    def take():
        while True:
            message = queue.get(no_ack=True)
            if message is None:
                break
            body = message.body
            body = json.loads(body) if isinstance(body, (str, bytes)) else body
            received.append((message.delivery_info["routing_key"], parse_envelope(body)))
        return len(received) >= expected
    wait_until(take, timeout=20, message=f"{expected} events from members.events")
    return received


def test_events_reach_a_consumer_through_outbox_and_relay(members_db, consumer_queue):
    with members_db.unit_of_work() as uow:
        org = organizations.register(uow, ADMIN, {
            "name": "北海道ひきこもり成年相談センター", "legal_form": "行政機関", "home_area_code": "011002",
            "service_area_codes": ["01"], "taxonomy_terms": ["hikikomori"], "activity_types": ["consultation"],
            "published": True, "contacts": [{"name": "相談員 山田太郎", "email": "yamada@example.jp"}]})
    with members_db.unit_of_work() as uow:
        organizations.update(uow, ADMIN, org["id"], {"referral_capacity": "waitlist", "name_kana": "ホッカイドウ"})
    with members_db.unit_of_work() as uow:
        pf = platforms.create(uow, ADMIN, {"name": "ほっかいどう孤独・孤立対策官民連携プラットフォーム",
                                           "level": "prefecture", "area_code": "01", "phase": "initial",
                                           "phase_since": date(2023, 4, 1),
                                           "secretariat_organization_ids": [org["id"]]})
    with members_db.unit_of_work() as uow:
        platforms.set_phase(uow, ADMIN, pf["id"], {"to_phase": "established", "effective_on": date(2023, 10, 26)})
    with members_db.unit_of_work() as uow:  # the secretariat becomes joint public–private, then the office alone
        platforms.update(uow, ADMIN, pf["id"], {"name": "全道PF", "secretariat_organization_ids": []})
    with members_db.unit_of_work() as uow:
        m = memberships.invite(uow, ADMIN, pf["id"], {"organization_id": org["id"], "membership_class": "member",
                                                      "effective_on": date(2023, 10, 1)})
    for action, extra in (("apply", None), ("approve", None), ("change_class", {"membership_class": "steering"}),
                          ("suspend", {"reason": "休止"}), ("withdraw", None)):
        with members_db.unit_of_work() as uow:
            if action == "apply":
                memberships.apply(uow, ADMIN, pf["id"], {"organization_id": org["id"],
                                                         "effective_on": date(2023, 10, 10)})
            else:
                memberships.act(uow, ADMIN, m["id"], action, {"effective_on": date(2023, 10, 26), **(extra or {})})
    with members_db.unit_of_work() as uow:
        organizations.deactivate(uow, ADMIN, org["id"])

    relay = OutboxRelay("members", settings.database_url("members"), settings.amqp_uri())
    try:
        assert relay.relay_once() == 12
    finally:
        relay._drop_broker()
    events = drain(consumer_queue, 12)
    assert [t for t, _ in events] == [
        "organization.registered", "organization.updated", "platform.created", "platform.phase_changed",
        "platform.updated", "membership.invited", "membership.applied", "membership.activated", "membership.class_changed",
        "membership.suspended", "membership.withdrawn", "organization.deactivated"]
    by_type = {}
    for routing_key, envelope in events:
        assert routing_key == envelope["type"] and envelope["version"] == 1 and envelope["producer"] == "members"
        assert envelope["correlation_id"] == "req-integration"
        by_type.setdefault(envelope["type"], []).append(envelope)
        assert "山田" not in json.dumps(envelope, ensure_ascii=False)  # contacts never travel

    registered = by_type["organization.registered"][0]
    assert set(registered["payload"]) == ORG_FIELDS and registered["area"] == "011002"
    assert registered["payload"]["revision"] == 1 and registered["payload"]["taxonomy_codes"] == ["hikikomori"]
    updated = by_type["organization.updated"][0]["payload"]
    assert set(updated) == ORG_FIELDS | {"changed_fields"} and updated["revision"] == 2
    assert sorted(updated["changed_fields"]) == ["name_kana", "referral_capacity"]
    assert updated["referral_capacity"] == "waitlist"
    deactivated = by_type["organization.deactivated"][0]["payload"]
    assert deactivated == {"organization_id": org["id"], "revision": 3}

    created = by_type["platform.created"][0]
    assert created["payload"] == {"platform_id": pf["id"], "revision": 1, "level": "prefecture", "area_code": "01",
                                  "parent_platform_id": None, "name": pf["name"], "phase": "initial",
                                  "secretariat_organization_ids": [org["id"]]}
    assert created["area"] == "01"
    phase = by_type["platform.phase_changed"][0]["payload"]
    assert phase == {"platform_id": pf["id"], "revision": 2, "area_code": "01", "from_phase": "initial",
                     "to_phase": "established", "effective_on": "2023-10-26"}
    assert by_type["platform.updated"][0]["payload"] == {
        **created["payload"], "revision": 3, "name": "全道PF", "phase": "established",
        "secretariat_organization_ids": []}

    membership_types = ["membership.invited", "membership.applied", "membership.activated",
                        "membership.class_changed", "membership.suspended", "membership.withdrawn"]
    revisions = []
    for t in membership_types:
        (envelope,) = by_type[t]
        payload = envelope["payload"]
        assert set(payload) == MEMBERSHIP_FIELDS and envelope["area"] == "01"
        assert payload["platform_area_code"] == "01" and payload["membership_id"] == m["id"]
        revisions.append(payload["revision"])
    assert revisions == [1, 2, 3, 4, 5, 6]
    assert [by_type[t][0]["payload"]["status"] for t in membership_types] == [
        "invited", "applied", "active", "active", "suspended", "withdrawn"]
    assert by_type["membership.class_changed"][0]["payload"]["membership_class"] == "steering"


def test_a_failed_use_case_emits_nothing(members_db):
    from services.servicekit.errors import Conflict
    with members_db.unit_of_work() as uow:
        organizations.register(uow, ADMIN, {"name": "登別市", "legal_form": "行政機関", "home_area_code": "012301",
                                            "service_area_codes": ["012301"]})
    with pytest.raises(Conflict):
        with members_db.unit_of_work() as uow:
            organizations.register(uow, ADMIN, {"name": "登別市", "legal_form": "行政機関",
                                                "home_area_code": "012301", "service_area_codes": ["012301"]})
    from tests.support.fixtures import connect
    with connect("members") as conn:
        assert conn.execute("SELECT count(*) AS n FROM outbox").fetchone()["n"] == 1
        assert conn.execute("SELECT count(*) AS n FROM organizations").fetchone()["n"] == 1


def test_concurrent_duplicate_registrations_end_in_one_organisation_and_a_conflict(members_db):
    """Both see no duplicate when they check; the unique index decides, and the loser gets a 409, not a 500."""
    import eventlet
    from services.servicekit.errors import Conflict
    from tests.support.fixtures import connect
    body = {"name": "登別市連合町内会", "legal_form": "町内会・自治会", "home_area_code": "012301",
            "service_area_codes": ["012301"]}
    outcome = {}
    started = eventlet.event.Event()

    def second():
        started.send()
        try:
            with members_db.unit_of_work() as uow:
                organizations.register(uow, ADMIN, dict(body))
            outcome["second"] = "registered"
        except Conflict:
            outcome["second"] = "conflict"

    with members_db.unit_of_work() as uow:
        organizations.register(uow, ADMIN, dict(body))
        thread = eventlet.spawn(second)
        started.wait()

        def second_is_waiting_on_our_row():
            with connect("members") as conn:
                return conn.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'").fetchone()["n"] >= 1
        wait_until(second_is_waiting_on_our_row, timeout=10, message="the second registration to wait on the first")
    thread.wait()
    assert outcome["second"] == "conflict"
    with connect("members") as conn:
        assert conn.execute("SELECT count(*) AS n FROM organizations").fetchone()["n"] == 1
        assert conn.execute("SELECT count(*) AS n FROM outbox").fetchone()["n"] == 1
