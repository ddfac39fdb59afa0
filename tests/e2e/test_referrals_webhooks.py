"""Webhooks end to end: partners register endpoints through the gateway; referral changes committed in the
referrals database (through the gateway, or their events written to its outbox as its unit of work writes them)
become signed, id-only POSTs to a real HTTP receiver on 127.0.0.1, retried, given up, redelivered. Deliveries are
planned in the change's own transaction (the outbox trigger, referrals migration 0101), not from the broker.

The stack runs the dispatcher with WEBHOOKS_ALLOW_PRIVATE_TARGETS=loopback and a 0.2 s retry base over 4
attempts (tests/support/stack.py WEBHOOK_TEST_ENV); the production schedule is checked in the unit tests.
"""
from __future__ import annotations

import json
import re
import uuid

import kombu
import pytest
import requests
from nameko.events import get_event_exchange

from services.referrals.webhook_signing import SignatureVerificationError, verify_signature
from services.servicekit import outbox, settings
from services.members import integration_events as members_events
from services.referrals import integration_events as referral_events
from tests.e2e.referrals_support import referral_body, register_member_organization, wait_in_directory
from tests.integration.referrals.webhook_receiver import Receiver
from tests.support.fixtures import connect
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"


# --- a partner's system: a real HTTP server ----------------------------------------------------------------

@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


# --- referral events, built with the referrals service's own event types -----------------------------------

def referral_event(event_type: str, sender: str, target: str | None, interested: list[str], **payload) -> dict:
    # The referral's state at that moment, as the producer sends it (overdue and forwarded ones are still
    # requested; a claimed pool referral is accepted).
    kind = event_type.split(".", 1)[1]
    status = {"overdue": "requested", "forwarded": "requested", "claimed": "accepted"}.get(kind, kind.replace("_", "-"))
    body = {"referral_id": str(uuid.uuid4()), "revision": 1, "status": status, "category": "social_connection",
            "urgency": "routine", "sender_organization_id": sender, "target_organization_id": target,
            "pool": None, "area_code": "012301", "interested_organization_ids": interested, **payload}
    return referral_events.BY_TYPE[event_type].envelope(body, producer="referrals", area="012301")


def commit(*envelopes: dict) -> None:
    """Referral changes' events written to the referrals outbox in one committed transaction, as the referrals
    service's unit of work writes them (the relay then publishes them)."""
    with connect("referrals") as conn, conn.transaction():
        for envelope in envelopes:
            outbox.append(conn, envelope)


def publish(*envelopes: dict) -> None:
    """Straight to the broker, as the relay publishes (again, after a crash before it recorded the publication)."""
    with kombu.Connection(settings.amqp_uri(), transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer(serializer="json")
        for envelope in envelopes:
            producer.publish(envelope, exchange=get_event_exchange("referrals", {}), routing_key=envelope["type"],
                             delivery_mode=2, retry=True)


# --- helpers -------------------------------------------------------------------------------------------------

def partner(stack, org: str) -> requests.Session:
    created = stack.session("admin").post(stack.url + "/v1/admin/api-keys",
                                          json={"organization_id": org, "name": "相談システム連携"})
    assert created.status_code == 201, created.text
    return stack.session(api_key=created.json()["key"])


def register(stack, session, url, **extra) -> dict:
    response = session.post(stack.url + "/v1/webhooks/endpoints", json={"url": url, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(stack, session, endpoint_id, **query) -> list[dict]:
    response = session.get(stack.url + f"/v1/webhooks/endpoints/{endpoint_id}/deliveries", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    return response.json()


def planned(event: dict) -> list[dict]:
    with connect("referrals") as conn:
        return conn.execute("SELECT id, endpoint_id FROM webhook_deliveries WHERE event_id = %s",
                            (event["event_id"],)).fetchall()


def published(event: dict) -> bool:
    with connect("referrals") as conn:
        return conn.execute("SELECT published_at IS NOT NULL AS done FROM outbox WHERE event_id = %s",
                            (event["event_id"],)).fetchone()["done"]


def metric(stack, name: str, **labels) -> float:
    response = requests.get(f"http://127.0.0.1:{stack.ports['referral_webhooks']}/metrics", timeout=5)
    assert response.status_code == 200, response.text[:200]
    text = response.text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def org() -> str:
    return str(uuid.uuid4())


# --- registration ------------------------------------------------------------------------------------------------

def test_a_partner_registers_an_endpoint_and_sees_the_secret_once(stack, receiver):
    org_a = org()
    session = partner(stack, org_a)
    created = register(stack, session, receiver.url("/register"), description="ケース管理システム",
                       event_types=["referral.requested", "referral.accepted"])
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["organization_id"] == org_a and created["active"] is True
    assert created["event_types"] == ["referral.requested", "referral.accepted"]
    assert created["description"] == "ケース管理システム"
    read = session.get(stack.url + f"/v1/webhooks/endpoints/{created['id']}")
    assert read.status_code == 200 and "secret" not in read.json() and created["secret"] not in read.text
    assert len(read.json()["secrets"]) == 1 and read.json()["secrets"][0]["expires_at"] is None
    with connect("referrals") as conn:  # sealed at rest (AES-GCM, WEBHOOK_SECRET_KEYS)
        stored = conn.execute("SELECT secret FROM webhook_secrets WHERE endpoint_id = %s", (created["id"],)).fetchone()
    assert stored["secret"].startswith("aesgcm:") and created["secret"] not in stored["secret"]
    spec = requests.get(stack.url + "/openapi.json").json()["paths"]
    assert "/v1/webhooks/endpoints" in spec and "post" in spec["/v1/webhooks/endpoints"]
    listed = session.get(stack.url + "/v1/webhooks/endpoints").json()["items"]
    assert [e["id"] for e in listed] == [created["id"]] and created["secret"] not in json.dumps(listed)
    # Organisation staff (JWT) manage the same organisation's endpoints.
    staff = stack.session("organization", org=org_a)
    assert [e["id"] for e in staff.get(stack.url + "/v1/webhooks/endpoints").json()["items"]] == [created["id"]]
    changed = staff.patch(stack.url + f"/v1/webhooks/endpoints/{created['id']}", json={"event_types": None})
    assert changed.status_code == 200 and changed.json()["event_types"] is None
    # Invalid input is a field-level 422 before anything is stored.
    bad = assert_problem(session.post(stack.url + "/v1/webhooks/endpoints",
                                      json={"url": receiver.url("/x"), "event_types": ["referral.exploded"]}), 422)
    assert {e["pointer"] for e in bad["errors"]} == {"#/event_types/0"}


@pytest.mark.parametrize("url", [
    "https://10.0.0.1/hook", "https://192.168.1.20/hook", "https://172.16.0.5/", "http://169.254.169.254/latest",
    "https://[::ffff:10.0.0.1]/hook", "https://[fe80::1]/hook", "https://[fd00::1]/", "https://100.64.0.1/",
    "https://0.0.0.0/", "http://93.184.215.14/hook", "https://user:pw@127.0.0.1/hook", "ftp://127.0.0.1/",
    "https://no-such-host.invalid/hook"])
def test_private_and_unsafe_urls_are_refused_at_registration(stack, url):
    session = partner(stack, org())
    body = assert_problem(session.post(stack.url + "/v1/webhooks/endpoints", json={"url": url}), 422)
    assert [e["pointer"] for e in body["errors"]] == ["#/url"]
    assert session.get(stack.url + "/v1/webhooks/endpoints").json()["items"] == []


def test_another_organisation_cannot_see_or_manage_an_endpoint(stack, receiver):
    owner, other = partner(stack, org()), partner(stack, org())
    endpoint = register(stack, owner, receiver.url("/private-to-owner"))
    path = f"/v1/webhooks/endpoints/{endpoint['id']}"
    for response in (other.get(stack.url + path), other.patch(stack.url + path, json={"active": False}),
                     other.delete(stack.url + path), other.get(stack.url + path + "/deliveries"),
                     other.post(stack.url + path + "/secret/rotate", json={}),
                     other.post(stack.url + path + f"/deliveries/{uuid.uuid4()}/redeliver")):
        assert_problem(response, 404)
    assert other.get(stack.url + "/v1/webhooks/endpoints").json()["items"] == []
    assert owner.get(stack.url + path).json()["active"] is True  # untouched
    # Admins see every organisation's endpoints; staff of an area do not manage partners' webhooks.
    admin_view = stack.session("admin").get(stack.url + "/v1/webhooks/endpoints",
                                            params={"organization_id": endpoint["organization_id"]})
    assert [e["id"] for e in admin_view.json()["items"]] == [endpoint["id"]]
    assert_problem(stack.session("prefecture", "01").get(stack.url + "/v1/webhooks/endpoints"), 403)
    admin = stack.session("admin")
    assert_problem(admin.post(stack.url + "/v1/webhooks/endpoints", json={"url": receiver.url("/admin")}), 403)
    assert_problem(admin.post(stack.url + path + "/secret/rotate", json={}), 403)  # secrets: the owner only
    assert admin.get(stack.url + path).status_code == 200
    disabled = admin.patch(stack.url + path, json={"active": False})  # e.g. an endpoint that misbehaves
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert_problem(admin.patch(stack.url + path, json={"active": True}), 403)
    assert owner.patch(stack.url + path, json={"active": True}).json()["active"] is True
    # The owner deletes it; it is gone.
    assert owner.delete(stack.url + path).status_code == 204
    assert_problem(owner.get(stack.url + path), 404)


# --- delivery ----------------------------------------------------------------------------------------------------

def test_a_referral_event_is_delivered_signed_and_id_only(stack, receiver):
    sender, target = org(), org()
    session = partner(stack, target)
    endpoint = register(stack, session, receiver.url("/signed"))
    event = referral_event("referral.requested", sender, target, [sender, target])
    commit(event)
    [got] = wait_until(lambda: receiver.at("/signed"), 20, message="the webhook POST")
    body = json.loads(got["body"])
    assert set(body) == {"id", "type", "event_id", "referral_id", "occurred_at"}
    assert body["type"] == "referral.requested" and body["event_id"] == event["event_id"]
    assert body["referral_id"] == event["payload"]["referral_id"]
    assert got["headers"]["Tsunagu-Event-Type"] == "referral.requested"
    assert got["headers"]["Tsunagu-Delivery-Id"] == body["id"]
    assert got["headers"]["Content-Type"] == "application/json"
    assert verify_signature(endpoint["secret"], got["headers"]["Tsunagu-Signature"], got["body"])
    with pytest.raises(SignatureVerificationError):
        verify_signature(endpoint["secret"], got["headers"]["Tsunagu-Signature"], got["body"].replace(b"requested", b"accepted"))
    # No referral fields beyond ids ride along (category, area, organisations, status).
    for field in ("social_connection", "012301", sender, target):
        assert field not in got["body"].decode()
    log = wait_until(lambda: [d for d in deliveries(stack, session, endpoint["id"]) if d["status"] == "succeeded"],
                     10, message="the delivery to be recorded as succeeded")
    assert log[0]["id"] == body["id"] and log[0]["attempt_count"] == 1
    [attempt] = log[0]["attempts"]
    assert attempt["status_code"] == 200 and attempt["outcome"] == "succeeded" and attempt["trigger"] == "scheduled"
    assert attempt["duration_ms"] >= 0 and attempt["error_class"] is None


def test_only_interested_organisations_and_matching_filters_are_notified(stack, receiver):
    mine, stranger = org(), org()
    session = partner(stack, mine)
    everything = register(stack, session, receiver.url("/mine-all"))
    accepted_only = register(stack, session, receiver.url("/mine-accepted"), event_types=["referral.accepted"])
    strangers = register(stack, partner(stack, stranger), receiver.url("/stranger"))
    not_mine = referral_event("referral.requested", stranger, org(), [stranger])
    requested = referral_event("referral.requested", mine, org(), [mine])
    accepted = referral_event("referral.accepted", mine, org(), [mine])
    commit(not_mine, requested, accepted)
    # Planned as the change committed: nothing to wait for.
    assert [len(planned(e)) for e in (not_mine, requested, accepted)] == [1, 1, 2]
    wait_until(lambda: len(receiver.at("/mine-all")) == 2 and len(receiver.at("/mine-accepted")) == 1, 20,
               message="deliveries to my endpoints")
    assert {json.loads(r["body"])["event_id"] for r in receiver.at("/mine-all")} == {requested["event_id"],
                                                                                     accepted["event_id"]}
    assert json.loads(receiver.at("/mine-accepted")[0]["body"])["event_id"] == accepted["event_id"]
    # The stranger's endpoint got only the event about the stranger; mine never saw it.
    wait_until(lambda: len(receiver.at("/stranger")) == 1, 10, message="the stranger's delivery")
    assert json.loads(receiver.at("/stranger")[0]["body"])["event_id"] == not_mine["event_id"]
    assert not_mine["event_id"] not in json.dumps(deliveries(stack, session, everything["id"]))
    assert len(deliveries(stack, session, accepted_only["id"])) == 1
    assert strangers["id"] != everything["id"]


def test_a_referral_created_through_the_gateway_is_planned_as_it_commits_and_delivered(stack, receiver):
    sender = register_member_organization(name="登別NPO", home="012301", areas=("012301",), fields_=("isolation",))
    # Serving 伊達市 only: kept out of other tests' pool referrals (登別市 × ひきこもり) in the shared directory.
    target = register_member_organization(name="伊達ひきこもり支援", home="012335", areas=("012335",),
                                          fields_=("hikikomori",))
    wait_in_directory(sender, target)
    endpoint = register(stack, partner(stack, target), receiver.url("/through-the-gateway"),
                        event_types=["referral.requested"])
    created = partner(stack, sender).post(stack.url + "/v1/referrals", json=referral_body(target=target),
                                          headers={"Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    # The delivery exists as soon as the referral does: it was written in the referral's own transaction.
    with connect("referrals") as conn:
        [delivery] = conn.execute("SELECT d.id, d.endpoint_id, d.event_type, d.event_id, o.event_id AS outbox_event, "
                                  "o.envelope ->> 'occurred_at' AS occurred_at FROM webhook_deliveries d "
                                  "LEFT JOIN outbox o ON o.event_id = d.event_id WHERE d.referral_id = %s",
                                  (referral_id,)).fetchall()
    assert str(delivery["endpoint_id"]) == endpoint["id"] and delivery["event_type"] == "referral.requested"
    assert delivery["outbox_event"] == delivery["event_id"]
    [got] = wait_until(lambda: receiver.at("/through-the-gateway"), 20, message="the webhook POST")
    assert json.loads(got["body"]) == {"id": str(delivery["id"]), "type": "referral.requested",
                                       "event_id": str(delivery["event_id"]), "referral_id": referral_id,
                                       "occurred_at": delivery["occurred_at"]}
    assert verify_signature(endpoint["secret"], got["headers"]["Tsunagu-Signature"], got["body"])


def test_a_redelivered_or_duplicated_publish_cannot_double_a_delivery(stack, receiver):
    """Planning does not depend on the broker: the event's deliveries are written with it, once; its publication
    by the relay — and any copy of it the broker delivers again — plans nothing."""
    mine = org()
    session = partner(stack, mine)
    endpoint = register(stack, session, receiver.url("/duplicates"))
    event = referral_event("referral.accepted", org(), mine, [mine, mine])
    commit(event)
    assert len(planned(event)) == 1  # as it committed, before any publication
    wait_until(lambda: published(event), 20, message="the relay to publish the event")
    publish(event, event)  # the same event on the broker twice more (publisher confirms: routed, or dropped)
    log = wait_until(lambda: [d for d in deliveries(stack, session, endpoint["id"]) if d["status"] == "succeeded"],
                     20, message="the delivery to succeed")
    later = referral_event("referral.completed", org(), mine, [mine])  # sent after anything planned before it
    commit(later)
    wait_until(lambda: len(receiver.at("/duplicates")) >= 2, 20, message="the later event's delivery")
    assert [json.loads(r["body"])["event_id"] for r in receiver.at("/duplicates")] == [event["event_id"],
                                                                                       later["event_id"]]
    assert len(log) == 1 and len(planned(event)) == 1 and len(deliveries(stack, session, endpoint["id"])) == 2


def test_a_failing_receiver_is_retried_with_back_off_until_it_succeeds(stack, receiver):
    mine = org()
    session = partner(stack, mine)
    receiver.statuses["/flaky"] = [500, 500]
    endpoint = register(stack, session, receiver.url("/flaky"))
    succeeded_before = metric(stack, "tsunagu_webhook_attempts_total", outcome="succeeded")
    commit(referral_event("referral.completed", mine, org(), [mine]))
    wait_until(lambda: len(receiver.at("/flaky")) == 3, 20, message="two failures and a success")
    got = receiver.at("/flaky")
    assert len({json.loads(r["body"])["id"] for r in got}) == 1  # the same delivery each time
    gaps = [b["at"] - a["at"] for a, b in zip(got, got[1:])]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # exponential: base, then twice the base
    for request in got:  # each attempt is signed afresh
        assert verify_signature(endpoint["secret"], request["headers"]["Tsunagu-Signature"], request["body"])
    [delivery] = wait_until(lambda: [d for d in deliveries(stack, session, endpoint["id"])
                                     if d["status"] == "succeeded"], 10, message="success recorded")
    assert [(a["status_code"], a["outcome"]) for a in delivery["attempts"]] == [
        (500, "http_error"), (500, "http_error"), (200, "succeeded")]
    assert delivery["attempts"][0]["error_class"] == "HTTP5xx"
    assert metric(stack, "tsunagu_webhook_attempts_total", outcome="succeeded") >= succeeded_before + 1
    assert metric(stack, "tsunagu_webhook_attempts_total", outcome="http_error") >= 2


def test_the_dispatcher_gives_up_after_the_schedule_and_redelivery_sends_again(stack, receiver):
    mine = org()
    session = partner(stack, mine)
    receiver.always["/down"] = 503
    endpoint = register(stack, session, receiver.url("/down"))
    failed_before = metric(stack, "tsunagu_webhook_deliveries_finished_total", outcome="failed")
    commit(referral_event("referral.rejected", mine, org(), [mine]))
    [delivery] = wait_until(lambda: deliveries(stack, session, endpoint["id"], status="failed"), 20,
                            message="the delivery to be given up")
    assert delivery["attempt_count"] == 4 and len(receiver.at("/down")) == 4  # WEBHOOK_RETRY_MAX_ATTEMPTS
    assert delivery["next_attempt_at"] is None and delivery["completed_at"]
    assert {a["outcome"] for a in delivery["attempts"]} == {"http_error"}
    assert metric(stack, "tsunagu_webhook_deliveries_finished_total", outcome="failed") >= failed_before + 1
    # It stays given up.
    assert deliveries(stack, session, endpoint["id"], status="failed")[0]["attempt_count"] == 4
    # The partner fixes its system and asks for the delivery again.
    receiver.always["/down"] = 200
    again = session.post(stack.url + f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202, again.text
    [done] = wait_until(lambda: deliveries(stack, session, endpoint["id"], status="succeeded"), 10,
                        message="the redelivery to succeed")
    assert done["id"] == delivery["id"] and done["attempt_count"] == 5
    assert done["attempts"][-1]["trigger"] == "redeliver" and done["attempts"][-1]["status_code"] == 200
    assert len(receiver.at("/down")) == 5
    # Redelivering a successful delivery sends it once more.
    again = session.post(stack.url + f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202
    wait_until(lambda: len(receiver.at("/down")) == 6, 10, message="a second redelivery")
    assert_problem(session.post(stack.url + f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{uuid.uuid4()}"
                                "/redeliver"), 404)


def test_secret_rotation_signs_with_both_secrets_during_the_overlap(stack, receiver):
    mine = org()
    session = partner(stack, mine)
    endpoint = register(stack, session, receiver.url("/rotation"))
    rotated = session.post(stack.url + f"/v1/webhooks/endpoints/{endpoint['id']}/secret/rotate", json={})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"] and rotated.json()["previous_secret_expires_at"]
    secrets = session.get(stack.url + f"/v1/webhooks/endpoints/{endpoint['id']}").json()["secrets"]
    assert len(secrets) == 2 and sum(s["expires_at"] is None for s in secrets) == 1
    commit(referral_event("referral.in_progress", org(), mine, [mine]))
    [got] = wait_until(lambda: receiver.at("/rotation"), 20, message="the delivery during the overlap")
    header = got["headers"]["Tsunagu-Signature"]
    assert header.count("v1=") == 2
    assert verify_signature(new_secret, header, got["body"])
    assert verify_signature(endpoint["secret"], header, got["body"])
    # Rotating again with no overlap: only the newest secret signs; the first two no longer verify.
    newest = session.post(stack.url + f"/v1/webhooks/endpoints/{endpoint['id']}/secret/rotate",
                          json={"overlap_seconds": 0}).json()["secret"]
    commit(referral_event("referral.on_hold", org(), mine, [mine]))
    wait_until(lambda: len(receiver.at("/rotation")) == 2, 20, message="the delivery after the second rotation")
    latest = receiver.at("/rotation")[1]
    assert latest["headers"]["Tsunagu-Signature"].count("v1=") == 1
    assert verify_signature(newest, latest["headers"]["Tsunagu-Signature"], latest["body"])
    for old in (new_secret, endpoint["secret"]):
        with pytest.raises(SignatureVerificationError):
            verify_signature(old, latest["headers"]["Tsunagu-Signature"], latest["body"])
    logs = stack.logs()  # secrets never reach a log line
    assert all(secret not in logs for secret in (endpoint["secret"], new_secret, newest))


def test_a_target_that_became_private_is_refused_at_delivery(stack, receiver):
    """Registration checked the URL; at delivery it points somewhere private (as after a DNS change): the
    attempt is refused without connecting, recorded, and retried on the schedule until given up."""
    mine = org()
    session = partner(stack, mine)
    endpoint = register(stack, session, receiver.url("/rebound"))
    private_url = f"http://10.255.255.1:{receiver.server.server_address[1]}/rebound"
    with connect("referrals") as conn:  # what the name now resolves to (simulated at the stored URL)
        conn.execute("UPDATE webhook_endpoints SET url = %s WHERE id = %s", (private_url, endpoint["id"]))
    commit(referral_event("referral.cancelled", mine, org(), [mine]))
    [delivery] = wait_until(lambda: deliveries(stack, session, endpoint["id"], status="failed"), 20,
                            message="the refused delivery to be given up")
    assert {(a["outcome"], a["error_class"], a["status_code"]) for a in delivery["attempts"]} == {
        ("refused_target", "TargetRefused", None)}
    assert receiver.at("/rebound") == []


def test_a_disabled_endpoint_gets_nothing(stack, receiver):
    mine = org()
    session = partner(stack, mine)
    disabled = register(stack, session, receiver.url("/disabled"))
    enabled = register(stack, session, receiver.url("/enabled"))
    response = session.patch(stack.url + f"/v1/webhooks/endpoints/{disabled['id']}", json={"active": False})
    assert response.status_code == 200 and response.json()["active"] is False and response.json()["disabled_at"]
    commit(referral_event("referral.overdue", mine, org(), [mine]))
    wait_until(lambda: receiver.at("/enabled"), 20, message="the enabled endpoint's delivery")
    assert receiver.at("/disabled") == [] and deliveries(stack, session, disabled["id"]) == []


def test_nothing_consumes_referral_events_and_provisioning_deletes_the_retired_queue(stack):
    """The retired handler's queue, as a broker provisioned before still has it (bound to referrals.events and
    filling with every referral event), is deleted by provisioning with what it holds; again, nothing to do."""
    from urllib.parse import quote
    from services.servicekit.broker_topology import RETIRED_QUEUES, declare_topology, load_service_classes
    from services.servicekit.provision import provision
    from services.servicekit.reliable_events import handler_queue_arguments
    current = declare_topology(service_classes=load_service_classes())
    assert not [q for q in current if q.startswith("evt-referrals-")] and not set(current) & set(RETIRED_QUEUES)
    name = "evt-referrals-referral.#--referral_webhooks.on_referral_event"
    assert name in RETIRED_QUEUES
    with kombu.Connection(settings.amqp_uri()) as conn:
        kombu.Queue(name, exchange=get_event_exchange("referrals", {}), routing_key="referral.#", durable=True,
                    queue_arguments=handler_queue_arguments())(conn.channel()).declare()
    publish(referral_event("referral.accepted", org(), org(), []))
    api = f"{settings.rabbitmq_management_url()}/api/queues/{quote(settings.vhost(), safe='')}/{quote(name, safe='')}"
    wait_until(lambda: requests.get(api, timeout=10).json().get("messages") == 1, 20,
               message="the old queue to hold the event")
    provision()
    assert requests.get(api, timeout=10).status_code == 404
    provision()  # idempotent
    assert requests.get(api, timeout=10).status_code == 404


def test_changes_committed_while_the_dispatcher_is_down_are_delivered_after_it_restarts(stack, receiver):
    mine = org()
    session = partner(stack, mine)
    register(stack, session, receiver.url("/restart"))
    receiver.statuses["/restart"] = [500]  # the first attempt fails: a retry is pending across the restart
    first = referral_event("referral.accepted", org(), mine, [mine])
    commit(first)
    wait_until(lambda: receiver.at("/restart"), 20, message="the first, failing attempt")
    dispatcher = stack.processes["referral_webhooks"]
    dispatcher.stop()
    try:
        second = referral_event("referral.completed", org(), mine, [mine])
        commit(second)
    finally:
        dispatcher.start(wait=True)
    wait_until(lambda: {json.loads(r["body"])["event_id"] for r in receiver.at("/restart")
                        if r is not receiver.at("/restart")[0]} >= {first["event_id"], second["event_id"]}, 30,
               message="both events delivered after the restart")


def test_a_deactivated_organisation_is_notified_of_nothing_more(stack, receiver):
    gone, other = org(), org()
    session = partner(stack, gone)
    endpoint = register(stack, session, receiver.url("/deactivated"))
    still = register(stack, partner(stack, other), receiver.url("/still-active"))
    deactivated = members_events.ORGANIZATION_DEACTIVATED.envelope({"organization_id": gone, "revision": 7},
                                                                   producer="members", area="012301")
    with kombu.Connection(settings.amqp_uri(), transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(deactivated, exchange=get_event_exchange("members", {}),
                                                 routing_key="organization.deactivated", delivery_mode=2)
    wait_until(lambda: session.get(stack.url + f"/v1/webhooks/endpoints/{endpoint['id']}").json()["active"] is False,
               20, message="the endpoint to be disabled")
    commit(referral_event("referral.cancelled", gone, other, [gone, other]))
    wait_until(lambda: receiver.at("/still-active"), 20, message="the other organisation's delivery")
    assert receiver.at("/deactivated") == [] and deliveries(stack, session, endpoint["id"]) == []
    assert still["id"] != endpoint["id"]
