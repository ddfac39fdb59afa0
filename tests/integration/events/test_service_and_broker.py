"""The events service as a real process: it keeps its local copies from the members service's contract events
published to the real broker (late, duplicated, out of order), and its own integration events reach
`events.events` through the outbox relay without personal data."""
from __future__ import annotations

import json
import uuid

from tests.support.contract_events import publish_event
import kombu
import psycopg
import pytest
from nameko.events import get_event_exchange
from psycopg.rows import dict_row

from services.events.integration_events import MEMBERS_SOURCE
from services.servicekit import broker_topology, migrations, settings
from services.servicekit.caller import PRINCIPAL_CONTEXT_KEY, REQUEST_ID_CONTEXT_KEY, Principal
from tests.support.processes import REPO_ROOT, free_port, nameko_service, relay, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def running(namespace, tmp_path_factory):
    from services.events.service import EventsService
    migrations.ensure_database("events")
    migrations.apply_migrations(settings.database_url("events"), "events")
    broker_topology.declare_topology(service_classes=[EventsService])
    ports = {"svc": free_port(), "relay": free_port()}
    env = {"TSUNAGU_NAMESPACE": settings.namespace(), "AMQP_URI": settings.amqp_uri(),
           "EVENTS_DATABASE_URL": settings.database_url("events"), "EVENTS_OPS_ADDRESS": f"127.0.0.1:{ports['svc']}",
           "EVENTS_HOUSEKEEPING_INTERVAL_SECONDS": "1", "EVENTS_PERSONAL_DATA_RETENTION_DAYS": "30"}
    service = nameko_service("events-it", "services.events.service:EventsService",
                             REPO_ROOT / "deploy" / "nameko" / "events.yml", env, ports["svc"])
    relay_process = relay("events", env, ports["relay"])
    service.start()
    relay_process.start()
    yield service
    relay_process.stop()
    service.stop()


def db():
    return psycopg.connect(settings.database_url("events"), autocommit=True, row_factory=dict_row)


def publish(event_type: str, payload: dict, area: str | None, event_id: str | None = None):
    return publish_event(MEMBERS_SOURCE, event_type, payload, area, event_id)


def platform_row(platform_id):
    with db() as conn:
        return conn.execute("SELECT * FROM platforms WHERE id = %s", (platform_id,)).fetchone()


def test_platform_copies_apply_only_newer_revisions_in_any_order(running):
    pf = str(uuid.uuid4())
    # The phase change (revision 2) overtakes the creation (revision 1).
    publish("platform.phase_changed", {"platform_id": pf, "revision": 2, "area_code": "012301",
                                       "from_phase": "preparation", "to_phase": "established",
                                       "effective_on": "2024-02-16"}, "012301")
    wait_until(lambda: platform_row(pf), message="the phase change to be applied")
    created = publish("platform.created", {"platform_id": pf, "revision": 1, "level": "municipality",
                                           "area_code": "012301", "parent_platform_id": None, "name": "登別市PF",
                                           "phase": "preparation", "secretariat_organization_ids": []}, "012301")
    wait_until(lambda: (platform_row(pf) or {}).get("name") == "登別市PF", message="the creation to be applied")
    row = platform_row(pf)
    assert row["phase"] == "established" and row["revision"] == 2 and row["level"] == "municipality"
    # A stale phase change is ignored; a duplicate delivery of the same event is absorbed.
    publish("platform.phase_changed", {"platform_id": pf, "revision": 1, "area_code": "012301",
                                       "from_phase": "initial", "to_phase": "preparation",
                                       "effective_on": "2023-10-01"}, "012301")
    publish("platform.created", created["payload"], "012301", event_id=created["event_id"])
    publish("platform.phase_changed", {"platform_id": pf, "revision": 3, "area_code": "012301",
                                       "from_phase": "established", "to_phase": "self_running",
                                       "effective_on": "2025-04-01"}, "012301")
    wait_until(lambda: platform_row(pf)["revision"] == 3, message="revision 3")
    assert platform_row(pf)["phase"] == "self_running"
    with db() as conn:
        handled = conn.execute("SELECT count(*) AS n FROM processed_messages WHERE event_id = %s",
                               (created["event_id"],)).fetchone()["n"]
    assert handled == 1


def test_organisations_and_memberships(running):
    org, pf, membership = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    publish("organization.deactivated", {"organization_id": org, "revision": 3}, None)
    publish("organization.registered", {"organization_id": org, "revision": 1, "name": "登別市社会福祉協議会",
                                        "name_kana": "のぼりべつししゃかいふくしきょうぎかい", "legal_form": "社会福祉法人",
                                        "taxonomy_codes": [], "activity_types": [], "service_area_codes": ["012301"],
                                        "home_area_code": "012301", "referral_capacity": "accepting",
                                        "published": True, "active": True}, "012301")

    def org_row():
        with db() as conn:
            return conn.execute("SELECT * FROM organizations WHERE id = %s", (org,)).fetchone()
    wait_until(lambda: org_row() and org_row()["name"], message="organisation copy")
    assert org_row()["active"] is False and org_row()["revision"] == 3
    for revision, status, kind in ((1, "invited", "invited"), (2, "active", "activated"), (3, "withdrawn", "withdrawn")):
        publish(f"membership.{kind}", {"membership_id": membership, "revision": revision, "organization_id": org,
                                       "platform_id": pf, "platform_area_code": "012301", "membership_class": "member",
                                       "status": status, "effective_on": "2024-01-01"}, "012301")

    def membership_row():
        with db() as conn:
            return conn.execute("SELECT * FROM memberships WHERE id = %s", (membership,)).fetchone()
    wait_until(lambda: membership_row() and membership_row()["revision"] == 3, message="membership revision 3")
    assert membership_row()["status"] == "withdrawn"


def test_own_events_reach_the_broker_without_personal_data(running):
    pf = str(uuid.uuid4())
    publish("platform.created", {"platform_id": pf, "revision": 1, "level": "municipality", "area_code": "131083",
                                 "parent_platform_id": None, "name": "江東区PF", "phase": "established",
                                 "secretariat_organization_ids": []}, "131083")
    wait_until(lambda: platform_row(pf), message="PF copy")
    received = []
    with kombu.Connection(settings.amqp_uri()) as conn:
        channel = conn.channel()
        queue = kombu.Queue(f"test-events-{uuid.uuid4().hex[:8]}", exchange=get_event_exchange("events", {}),
                            routing_key="#", exclusive=True, auto_delete=True)(channel)
        queue.declare()
        from nameko.standalone.rpc import ClusterRpcProxy
        koto = Principal("koto-staff", "municipality", "131083")
        context = {PRINCIPAL_CONTEXT_KEY: koto.to_context(), REQUEST_ID_CONTEXT_KEY: "req-it-1"}
        with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri()}, context_data=context, timeout=30) as rpc:
            ev = rpc.events.create_event({
                "host_platform_id": pf, "type": "forum", "title": "孤独・孤立を考えるフォーラム",
                "audiences": ["residents"], "public": True, "capacity": 1, "waitlist_enabled": True,
                "sessions": [{"date": "2099-02-06", "start_time": "19:00", "end_time": "20:30",
                              "venue_name": "総合区民センターレクホール", "venue_area_code": "131083"}]})
            rpc.events.change_event_status(ev["id"], {"status": "open"})
            rpc.events.register(ev["id"], {"participant_kind": "individual", "attendee_category": "general",
                                           "person": {"name": "江東 花子", "contact": "hanako@example.jp"}})
            second = rpc.events.register(ev["id"], {"participant_kind": "individual", "attendee_category": "general",
                                                    "person": {"name": "深川 次郎"}})
            assert second["status"] == "on_waitlist"
            public = rpc.events.public_events({})
            assert ev["id"] in [e["id"] for e in public] and "江東 花子" not in json.dumps(public, ensure_ascii=False)

        def drain():
            while True:
                message = queue.get(no_ack=True)
                if message is None:
                    break
                received.append(message.payload)
            return sum(1 for m in received if m["payload"].get("event_id") == ev["id"]) >= 4
        wait_until(drain, message="the events service's integration events on the broker")
    mine = [m for m in received if m["payload"].get("event_id") == ev["id"]]
    assert [m["type"] for m in mine] == ["event.scheduled", "event.opened", "registration.created",
                                         "registration.created"]
    assert all(m["area"] == "131083" and m["correlation_id"] == "req-it-1" for m in mine)
    text = json.dumps(received, ensure_ascii=False)
    for secret in ("江東 花子", "hanako@example.jp", "深川 次郎"):
        assert secret not in text


def test_the_timer_erases_personal_data_after_the_retention_period(running):
    pf = str(uuid.uuid4())
    publish("platform.created", {"platform_id": pf, "revision": 1, "level": "municipality", "area_code": "131091",
                                 "parent_platform_id": None, "name": "品川区PF", "phase": "established",
                                 "secretariat_organization_ids": []}, "131091")
    wait_until(lambda: platform_row(pf), message="PF copy")
    from nameko.standalone.rpc import ClusterRpcProxy
    staff = Principal("shinagawa-staff", "municipality", "131091")
    with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri()}, context_data={PRINCIPAL_CONTEXT_KEY: staff.to_context()},
                         timeout=30) as rpc:
        def event_on(day):
            ev = rpc.events.create_event({"host_platform_id": pf, "type": "lecture", "title": "講演会",
                                          "audiences": ["government_staff"],
                                          "sessions": [{"date": day, "venue_name": "品川介護福祉専門学校"}]})
            rpc.events.change_event_status(ev["id"], {"status": "open"})
            return ev
        past, upcoming = event_on("2024-03-05"), event_on("2099-03-05")
        old = rpc.events.register(past["id"], {"participant_kind": "individual", "attendee_category": "government",
                                               "person": {"name": "品川 一郎"}})
        new = rpc.events.register(upcoming["id"], {"participant_kind": "individual", "attendee_category": "government",
                                                   "person": {"name": "大井 二郎"}})

        def erased():
            return rpc.events.get_registration(old["id"])["personal_data"] == "erased"
        wait_until(erased, timeout=30, message="the housekeeping timer to erase the old registration's personal data")
        kept = rpc.events.get_registration(new["id"])
    assert kept["personal_data"] == "held" and kept["person"]["name"] == "大井 二郎"
    with db() as conn:
        row = conn.execute("SELECT personal_sealed, personal_erased_at FROM registrations WHERE id = %s",
                           (old["id"],)).fetchone()
    assert row["personal_sealed"] is None and row["personal_erased_at"] is not None


def test_a_deactivated_organisation_releases_its_places_to_the_waitlist(running):
    pf, org, membership = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    publish("platform.created", {"platform_id": pf, "revision": 1, "level": "municipality", "area_code": "012301",
                                 "parent_platform_id": None, "name": "登別市PF", "phase": "established",
                                 "secretariat_organization_ids": []}, "012301")
    publish("organization.registered", {"organization_id": org, "revision": 1, "name": "登別地区保護司会",
                                        "name_kana": "", "legal_form": "任意団体", "taxonomy_codes": [],
                                        "activity_types": [], "service_area_codes": [], "home_area_code": "012301",
                                        "referral_capacity": "accepting", "published": True, "active": True}, "012301")
    publish("membership.activated", {"membership_id": membership, "revision": 1, "organization_id": org,
                                     "platform_id": pf, "platform_area_code": "012301", "membership_class": "member",
                                     "status": "active", "effective_on": "2024-01-01"}, "012301")

    def copied():
        with db() as conn:
            return conn.execute("SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.organization_id "
                                "JOIN platforms p ON p.id = m.platform_id WHERE m.id = %s", (membership,)).fetchone()
    wait_until(copied, message="PF, organisation and membership copies")
    from nameko.standalone.rpc import ClusterRpcProxy
    staff = Principal("noboribetsu-staff", "municipality", "012301")
    with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri()}, context_data={PRINCIPAL_CONTEXT_KEY: staff.to_context()},
                         timeout=30) as rpc:
        ev = rpc.events.create_event({"host_platform_id": pf, "type": "pf_meeting", "title": "PF推進会議",
                                      "audiences": ["pf_members"], "capacity": 3, "waitlist_enabled": True,
                                      "sessions": [{"date": "2099-02-16", "venue_name": "ヌプル"}]})
        rpc.events.change_event_status(ev["id"], {"status": "open"})
        held = rpc.events.register(ev["id"], {"organization_id": org, "people": 3})
        waiting = rpc.events.register(ev["id"], {"participant_kind": "anonymous", "attendee_category": "general",
                                                 "people": 2})
        assert (held["status"], waiting["status"]) == ("registered", "on_waitlist")
        publish("organization.deactivated", {"organization_id": org, "revision": 2}, None)
        wait_until(lambda: rpc.events.get_registration(waiting["id"])["status"] == "pending_from_waitlist",
                   message="the freed places to be offered to the waitlist")
        assert rpc.events.get_registration(held["id"])["status"] == "cancelled"
