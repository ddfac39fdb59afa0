"""Referrals end to end: partner systems (API keys) and staff (JWT) through the gateway, the referrals service
with its directory copy fed by members-contract events on the real broker, the outbox relay, PostgreSQL."""
import json
import os
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

os.environ.setdefault("REFERRALS_OVERDUE_CHECK_SECONDS", "1")
os.environ.setdefault("REFERRALS_RETENTION_CHECK_SECONDS", "1")
os.environ.setdefault("REFERRALS_RETENTION_DAYS", "30")

from tests.e2e.referrals_support import (PERSON, EventCapture, consent, organization_payload,  # noqa: E402
                                         publish_members_event, referral_body, register_member_organization)
from tests.support.fixtures import connect  # noqa: E402
from tests.support.processes import wait_until  # noqa: E402

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers
    return response.json()


class Net:
    """Organisations of the network, each with a partner API key."""

    def __init__(self, stack):
        self.stack = stack
        self.admin = stack.session("admin")
        self.ids, self.keys = {}, {}

    def add(self, name, **kw):
        org = register_member_organization(name=name, **kw)
        created = self.admin.post(self.stack.url + "/v1/admin/api-keys", json={"organization_id": org, "name": name})
        assert created.status_code == 201, created.text
        self.ids[name], self.keys[name] = org, created.json()["key"]
        return org

    def partner(self, name):
        s = requests.Session()
        s.headers.update({"X-API-Key": self.keys[name], "Accept": "application/json"})
        return s

    def wait_directory(self):
        def known():
            with connect("referrals") as conn:
                n = conn.execute("SELECT count(*) AS n FROM directory_organizations o WHERE organization_id = ANY(%s) "
                                 "AND EXISTS (SELECT 1 FROM directory_memberships m WHERE m.organization_id = "
                                 "o.organization_id AND m.status = 'active')",
                                 ([uuid.UUID(i) for i in self.ids.values()],)).fetchone()["n"]
            return n == len(self.ids)
        wait_until(known, 30, 0.1, "the directory copy to know every organisation")


@pytest.fixture(scope="module")
def net(stack):
    n = Net(stack)
    n.add("登別NPO", home="012301", areas=("012301",), fields_=("isolation",))            # sender
    n.add("伊達ひきこもり支援", home="012335", areas=("012335", "012301"), fields_=("hikikomori",))  # target
    n.add("西胆振相談センター", home="012050", areas=("xa-nishi-iburi",), fields_=("hikikomori",))  # pool
    n.add("胆振家族会", home="012301", areas=("01B04",), fields_=("8050",))               # pool (descendant)
    n.add("札幌フードバンク", home="011002", areas=("011002",), fields_=("food_bank",))      # not eligible
    n.add("鳥取市社協", home="312011", areas=("312011",), fields_=("isolation",))
    n.add("香美町ひきこもり相談", home="285854", areas=("xa-kirin",), fields_=("hikikomori",))
    n.add("登別市役所", home="012301", areas=("012301",), fields_=("isolation",))
    n.wait_directory()
    return n


@pytest.fixture(scope="module")
def events(stack):
    capture = EventCapture()
    yield capture
    capture.close()


def post(session, url, body, key=None, **kw):
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    headers.update(kw.pop("headers", {}))
    return session.post(url + "/v1/referrals", json=body, headers=headers, **kw)


def send(net, sender, target=None, pool=None, **kw):
    r = post(net.partner(sender), net.stack.url, referral_body(target=net.ids.get(target) if target else None,
                                                              pool=pool, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def set_status(net, who, referral, status, etag=None, **extra):
    s = net.partner(who)
    current = s.get(net.stack.url + f"/v1/referrals/{referral['id']}")
    return s.post(net.stack.url + f"/v1/referrals/{referral['id']}/status", json={"status": status, **extra},
                  headers={"If-Match": etag or current.headers["ETag"]})


# --- the direct referral, its lifecycle and who sees what ---------------------------------------------------
def test_a_direct_referral_across_municipalities_through_its_lifecycle(stack, net, events):
    url = stack.url
    sender, target = net.partner("登別NPO"), net.partner("伊達ひきこもり支援")
    created = post(sender, url, referral_body(target=net.ids["伊達ひきこもり支援"], partner_reference="NB-2026-001"))
    assert created.status_code == 201, created.text
    ref = created.json()
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"/v1/referrals/{ref['id']}"
    assert ref["status"] == "requested" and "person" not in ref and ref["sender_organization_id"] == net.ids["登別NPO"]

    requested = wait_until(lambda: events.of(ref["id"], "referral.requested"), 20, 0.1, "referral.requested")
    payload = requested[0]["payload"]
    assert payload == {"referral_id": ref["id"], "revision": 1, "status": "requested", "category": "hikikomori",
                       "urgency": "routine", "sender_organization_id": net.ids["登別NPO"],
                       "target_organization_id": net.ids["伊達ひきこもり支援"], "pool": None, "area_code": "012301",
                       "interested_organization_ids": sorted([net.ids["登別NPO"], net.ids["伊達ひきこもり支援"]])}
    assert requested[0]["area"] == "012301" and requested[0]["producer"] == "referrals"

    # The target sees the person (audited); outsiders get 404; staff get the non-personal record in scope.
    seen = target.get(url + f"/v1/referrals/{ref['id']}", headers={"X-Request-ID": "read-by-target-1"})
    assert seen.status_code == 200 and seen.json()["person"]["name"] == PERSON["name"]
    assert seen.headers["Cache-Control"] == "no-store"
    assert seen.json()["partner_reference"] is None  # the sender's own reference is the sender's
    assert sender.get(url + f"/v1/referrals/{ref['id']}").json()["partner_reference"] == "NB-2026-001"
    problem(net.partner("西胆振相談センター").get(url + f"/v1/referrals/{ref['id']}"), 404)
    for role, area in (("bureau", "01B04"), ("prefecture", "01"), ("municipality", "012301"), ("admin", None)):
        staff = stack.session(role, area).get(url + f"/v1/referrals/{ref['id']}")
        assert staff.status_code == 200, (role, staff.text)
        assert "person" not in staff.json() and "consent" not in staff.json(), role
    problem(stack.session("municipality", "012335").get(url + f"/v1/referrals/{ref['id']}"), 404)
    problem(stack.session("bureau", "01B13").get(url + f"/v1/referrals/{ref['id']}"), 404)

    # ETag / If-Match: missing 428, stale 412; wrong party 403; illegal transition 409.
    status_url = url + f"/v1/referrals/{ref['id']}/status"
    problem(target.post(status_url, json={"status": "accepted"}), 428)
    problem(target.post(status_url, json={"status": "accepted"}, headers={"If-Match": '"7"'}), 412)
    problem(sender.post(status_url, json={"status": "accepted"}, headers={"If-Match": '"1"'}), 403)
    problem(target.post(status_url, json={"status": "completed", "outcome": "x"}, headers={"If-Match": '"1"'}), 409)
    accepted = target.post(status_url, json={"status": "accepted"}, headers={"If-Match": '"1"'})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.headers["ETag"] == '"2"' and accepted.json()["accepted_at"]
    problem(target.post(status_url, json={"status": "accepted"}, headers={"If-Match": '"1"'}), 412)
    body = problem(target.post(status_url, json={"status": "on-hold"}, headers={"If-Match": '"2"'}), 422)
    assert body["errors"][0]["pointer"] == "#/reason"
    assert target.post(status_url, json={"status": "in-progress"}, headers={"If-Match": '"2"'}).status_code == 200
    assert target.post(status_url, json={"status": "on-hold", "reason": "本人の入院"},
                       headers={"If-Match": '"3"'}).status_code == 200
    assert target.post(status_url, json={"status": "in-progress"}, headers={"If-Match": '"4"'}).status_code == 200
    problem(target.post(status_url, json={"status": "completed"}, headers={"If-Match": '"5"'}), 422)
    done = target.post(status_url, json={"status": "completed", "outcome": "居場所の利用につながった"},
                       headers={"If-Match": '"5"'})
    assert done.status_code == 200 and done.json()["closed_at"]
    problem(target.post(status_url, json={"status": "in-progress"}, headers={"If-Match": '"6"'}), 409)

    history = sender.get(url + f"/v1/referrals/{ref['id']}/history").json()["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "requested"), ("requested", "accepted"), ("accepted", "in-progress"), ("in-progress", "on-hold"),
        ("on-hold", "in-progress"), ("in-progress", "completed")]
    assert history[3]["reason"] == "本人の入院" and history[5]["outcome"] == "居場所の利用につながった"
    assert history[1]["actor_organization_id"] == net.ids["伊達ひきこもり支援"] and history[1]["actor_role"] == "partner"
    staff_history = stack.session("bureau", "01B04").get(url + f"/v1/referrals/{ref['id']}/history").json()["items"]
    assert len(staff_history) == 6 and all(h["reason"] is None and h["outcome"] is None for h in staff_history)

    types = [e["type"] for e in wait_until(lambda: len(events.of(ref["id"])) >= 6 and events.of(ref["id"]), 20)]
    assert types == ["referral.requested", "referral.accepted", "referral.in_progress", "referral.on_hold",
                     "referral.in_progress", "referral.completed"]
    assert [e["payload"]["revision"] for e in events.of(ref["id"])] == [1, 2, 3, 4, 5, 6]

    # Every personal-data read was audited: who, which referral, when, which request.
    audit = stack.session("admin").get(url + f"/v1/admin/referrals/personal-data-reads?referral_id={ref['id']}")
    entries = audit.json()["items"]
    by_target = [e for e in entries if e["request_id"] == "read-by-target-1"]
    assert len(by_target) == 1 and by_target[0]["reader_organization_id"] == net.ids["伊達ひきこもり支援"]
    assert by_target[0]["purpose"] == "view" and "name" in by_target[0]["fields"] and by_target[0]["read_at"]
    assert len(entries) == 2  # the target's read and the sender's; staff and outsiders read no personal data
    problem(stack.session("prefecture", "01").get(url + "/v1/admin/referrals/personal-data-reads"), 403)
    problem(net.partner("登別NPO").get(url + "/v1/admin/referrals/personal-data-reads"), 403)


@pytest.mark.parametrize("state_path,who,new,expected", [
    (["accepted"], "登別NPO", "cancelled", 200),
    (["accepted"], "伊達ひきこもり支援", "cancelled", 200),
    ([], "登別NPO", "cancelled", 200),
    ([], "登別NPO", "rejected", 403),
    ([], "伊達ひきこもり支援", "rejected", 200),
    (["accepted", "in-progress"], "登別NPO", "failed", 403),
    (["accepted", "in-progress"], "伊達ひきこもり支援", "failed", 200),
    (["accepted"], "伊達ひきこもり支援", "entered-in-error", 403),
    (["accepted"], "登別NPO", "entered-in-error", 200),
    (["rejected"], "伊達ひきこもり支援", "accepted", 409),
    (["rejected"], "登別NPO", "entered-in-error", 200),
])
def test_transitions_for_each_role_through_the_api(stack, net, events, state_path, who, new, expected):
    ref = send(net, "登別NPO", target="伊達ひきこもり支援")
    for step in state_path:
        assert set_status(net, "伊達ひきこもり支援", ref, step, reason="理由").status_code == 200
    r = set_status(net, who, ref, new, reason="理由あり", outcome="結果")
    assert r.status_code == expected, r.text
    published = len(state_path) + 1 + (expected == 200)
    wait_until(lambda: len(events.of(ref["id"])) >= published, 20, 0.1, "the events")
    last = events.of(ref["id"])[-1]
    if expected != 200:
        assert r.headers["Content-Type"].startswith(PROBLEM)
        assert len(events.of(ref["id"])) == published  # nothing published for a refused change
    else:
        event_type = {"entered-in-error": "referral.cancelled"}.get(new, "referral." + new.replace("-", "_"))
        assert last["type"] == event_type and last["payload"]["status"] == new


def test_organisation_staff_with_a_jwt_can_do_the_same(stack, net):
    ref = send(net, "登別NPO", target="伊達ひきこもり支援")
    staff = stack.session("organization", org=net.ids["伊達ひきこもり支援"])
    seen = staff.get(stack.url + f"/v1/referrals/{ref['id']}")
    assert seen.status_code == 200 and seen.json()["person"]["phone"] == PERSON["phone"]
    r = staff.post(stack.url + f"/v1/referrals/{ref['id']}/status", json={"status": "accepted"},
                   headers={"If-Match": seen.headers["ETag"]})
    assert r.status_code == 200, r.text
    # A municipal office is an organisation too: the 登別市 office sends with its JWT and sees its referral.
    office = stack.session("municipality", "012301", org=net.ids["登別市役所"])
    created = post(office, stack.url, referral_body(target=net.ids["伊達ひきこもり支援"]))
    assert created.status_code == 201, created.text
    assert office.get(stack.url + f"/v1/referrals/{created.json()['id']}").json()["person"]["name"] == PERSON["name"]
    # Without an organisation, staff cannot send.
    problem(post(stack.session("municipality", "012301"), stack.url, referral_body(target=net.ids["登別NPO"])), 403)


# --- idempotency ------------------------------------------------------------------------------------------
def test_idempotency_key_semantics(stack, net):
    url, sender = stack.url, net.partner("登別NPO")
    body = referral_body(target=net.ids["伊達ひきこもり支援"])
    missing = sender.post(url + "/v1/referrals", json=body)
    assert problem(missing, 400)["detail"].startswith("the Idempotency-Key")
    key = f"idem-{uuid.uuid4()}"
    first = post(sender, url, body, key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post(sender, url, body, key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    problem(post(sender, url, {**body, "urgency": "urgent"}, key), 422)
    # Keys are scoped per calling organisation: another organisation may use the same key.
    other = post(net.partner("伊達ひきこもり支援"), url, referral_body(target=net.ids["登別NPO"]), key)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    with connect("referrals") as conn:
        assert conn.execute("SELECT count(*) AS n FROM idempotency_keys WHERE idempotency_key = %s",
                            (key,)).fetchone()["n"] == 2
        assert conn.execute("SELECT count(*) AS n FROM outbox WHERE envelope->'payload'->>'referral_id' = %s",
                            (first.json()["id"],)).fetchone()["n"] == 1


def test_a_retry_while_the_first_request_is_in_flight_gets_409(stack, net):
    url, sender = stack.url, net.partner("登別NPO")
    key = f"inflight-{uuid.uuid4()}"
    body = referral_body(target=net.ids["伊達ひきこもり支援"])
    # The first request holds the key's transaction lock until it commits; hold the same lock here.
    with connect("referrals") as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7301))",
                         (f"referrals.idem:{net.ids['登別NPO']}:{key}",))
            problem(post(sender, url, body, key), 409)
    assert post(sender, url, body, key).status_code == 201


def test_concurrent_identical_requests_create_one_referral(stack, net):
    url, key = stack.url, f"burst-{uuid.uuid4()}"
    body = referral_body(target=net.ids["伊達ひきこもり支援"])
    barrier, results = threading.Barrier(8), []

    def go():
        s = net.partner("登別NPO")
        barrier.wait()
        results.append(post(s, url, body, key))

    threads = [threading.Thread(target=go) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert {r.status_code for r in results} <= {201, 409}
    assert len({r.json()["id"] for r in results if r.status_code == 201}) == 1
    with connect("referrals") as conn:
        assert conn.execute("SELECT count(*) AS n FROM idempotency_keys WHERE idempotency_key = %s",
                            (key,)).fetchone()["n"] == 1


def test_a_nul_character_is_refused_field_by_field_before_any_service_runs(stack, net):
    """PostgreSQL text cannot hold U+0000: the gateway answers 422 naming the fields (never their values),
    instead of a service failing with a 500; nothing is written."""
    url, sender = stack.url, net.partner("登別NPO")
    key = f"nul-{uuid.uuid4()}"
    person = {**PERSON, "name": "登別\u0000太郎"}
    refused = problem(post(sender, url, referral_body(target=net.ids["伊達ひきこもり支援"], summary="相談\u0000",
                                                      person=person), key), 422)
    assert sorted(e["pointer"] for e in refused["errors"]) == ["#/person/name", "#/summary"]
    assert "太郎" not in json.dumps(refused, ensure_ascii=False)
    searched = problem(stack.session("admin").get(url + "/v1/organizations", params={"q": "ひき\u0000こもり"}), 422)
    assert searched["errors"][0]["pointer"] == "#/q"
    with connect("referrals") as conn:
        assert conn.execute("SELECT count(*) AS n FROM idempotency_keys WHERE idempotency_key = %s",
                            (key,)).fetchone()["n"] == 0


# --- consent and legal basis ------------------------------------------------------------------------------
def test_consent_or_a_legal_basis_is_required(stack, net):
    url, sender, target = stack.url, net.partner("登別NPO"), net.ids["伊達ひきこもり支援"]
    body = referral_body(target=target)
    del body["consent"]
    assert problem(post(sender, url, body), 422)["errors"][0]["pointer"] == "#/consent"
    problem(post(sender, url, referral_body(target=target, consent=consent(organization_ids=[net.ids["登別市役所"]]))),
            422)
    problem(post(sender, url, referral_body(target=target, consent=consent(method="telepathy"))), 422)
    now = datetime.now(timezone.utc).isoformat()
    council = {"basis": "regional_council", "recorded_by": "事務局", "recorded_at": now,
               "explanation": "地域協議会の個別ケース検討"}
    body = referral_body(target=target, legal_basis=council)
    del body["consent"]
    problem(post(sender, url, body), 422)
    body["legal_basis"] = {**council, "council_name": "登別市孤独・孤立対策地域協議会"}
    assert post(sender, url, body).status_code == 201
    body["legal_basis"] = {"basis": "protection_of_life", "recorded_by": "相談員", "recorded_at": now,
                           "explanation": "本人の生命に危険があり同意を得る時間がない"}
    assert post(sender, url, body).status_code == 201


def test_an_invalid_body_is_answered_field_by_field_by_the_service_and_nothing_is_written(stack, net):
    """The gateway leaves loading this body to the service (body_loaded_by_service): the same 422 either way."""
    url, sender, target = stack.url, net.partner("登別NPO"), net.ids["伊達ひきこもり支援"]
    key = str(uuid.uuid4())
    body = {**referral_body(target=target), "urgency": "whenever", "colour": "blue"}
    body["person"] = {**body["person"], "phone": "call me"}
    errors = problem(post(sender, url, body, key), 422)["errors"]
    assert {e["pointer"] for e in errors} == {"#/urgency", "#/colour", "#/person/phone"}
    assert all("call me" not in e["detail"] and "whenever" not in e["detail"] for e in errors)
    with connect("referrals") as conn:
        assert conn.execute("SELECT count(*) AS n FROM idempotency_keys WHERE idempotency_key = %s",
                            (key,)).fetchone()["n"] == 0


def test_consent_limits_the_fields_the_target_sees(stack, net):
    ref = send(net, "登別NPO", target="伊達ひきこもり支援", consent=consent(fields=["name", "phone"]))
    person = net.partner("伊達ひきこもり支援").get(stack.url + f"/v1/referrals/{ref['id']}").json()["person"]
    assert person == {"name": PERSON["name"], "phone": PERSON["phone"]}
    assert len(net.partner("登別NPO").get(stack.url + f"/v1/referrals/{ref['id']}").json()["person"]) == len(PERSON)


# --- pools and claiming -----------------------------------------------------------------------------------
def test_pool_referral_claimed_by_exactly_one_of_two_simultaneous_claimers(stack, net, events):
    url = stack.url
    pool = {"area_code": "012301", "category": "hikikomori"}
    eligible = sorted([net.ids["西胆振相談センター"], net.ids["胆振家族会"], net.ids["伊達ひきこもり支援"]])
    for _ in range(5):
        ref = send(net, "登別NPO", pool=pool)
        assert ref["target_organization_id"] is None and ref["pool"] == pool
        requested = wait_until(lambda: events.of(ref["id"], "referral.requested"), 20)[0]["payload"]
        # Within this test's own organisations (other tests' organisations in the shared directory may be
        # eligible too): exactly the eligible ones and the sender.
        ours = set(net.ids.values())
        assert ([o for o in requested["interested_organization_ids"] if o in ours]
                == sorted(eligible + [net.ids["登別NPO"]]))
        # Eligible organisations see the non-personal record only; others nothing.
        seen = net.partner("胆振家族会").get(url + f"/v1/referrals/{ref['id']}")
        assert seen.status_code == 200 and "person" not in seen.json()
        assert ref["id"] in {i["id"] for i in net.partner("西胆振相談センター").get(url + "/v1/referrals?box=pool")
                             .json()["items"]}
        assert ref["id"] not in {i["id"] for i in net.partner("札幌フードバンク").get(url + "/v1/referrals?box=pool")
                                 .json()["items"]}
        problem(net.partner("札幌フードバンク").get(url + f"/v1/referrals/{ref['id']}"), 404)
        problem(net.partner("札幌フードバンク").post(url + f"/v1/referrals/{ref['id']}/claim"), 404)

        barrier, results = threading.Barrier(2), {}

        def claim(name):
            s = net.partner(name)
            barrier.wait()
            results[name] = s.post(url + f"/v1/referrals/{ref['id']}/claim")

        threads = [threading.Thread(target=claim, args=(n,)) for n in ("西胆振相談センター", "胆振家族会")]
        [t.start() for t in threads]
        [t.join() for t in threads]
        codes = sorted(r.status_code for r in results.values())
        assert codes == [200, 409], {k: v.text for k, v in results.items()}
        winner = next(n for n, r in results.items() if r.status_code == 200)
        loser = next(n for n, r in results.items() if r.status_code == 409)
        assert results[winner].json()["target_organization_id"] == net.ids[winner]
        assert results[winner].json()["status"] == "accepted"
        assert net.partner(winner).get(url + f"/v1/referrals/{ref['id']}").json()["person"]["name"] == PERSON["name"]
        problem(net.partner(loser).get(url + f"/v1/referrals/{ref['id']}"), 404)
        claimed = wait_until(lambda: events.of(ref["id"], "referral.claimed"), 20)
        assert len(claimed) == 1 and claimed[0]["payload"]["target_organization_id"] == net.ids[winner]
        assert net.ids[loser] in claimed[0]["payload"]["interested_organization_ids"]


def test_cross_prefecture_referrals_inside_kirin_no_machi(stack, net):
    """鳥取市 (鳥取県) → 香美町 (兵庫県), both inside 麒麟のまち圏域; also as a pool for 鳥取市."""
    ref = send(net, "鳥取市社協", target="香美町ひきこもり相談", area_code="312011")
    assert set_status(net, "香美町ひきこもり相談", ref, "accepted").status_code == 200
    pool = send(net, "鳥取市社協", pool={"area_code": "312011", "category": "hikikomori"}, area_code="312011")
    claimed = net.partner("香美町ひきこもり相談").post(stack.url + f"/v1/referrals/{pool['id']}/claim")
    assert claimed.status_code == 200, claimed.text
    # 鳥取県 staff see the 鳥取市 referral; 兵庫県 staff do not (the referral's area is 鳥取市).
    assert stack.session("prefecture", "31").get(stack.url + f"/v1/referrals/{ref['id']}").status_code == 200
    problem(stack.session("prefecture", "28").get(stack.url + f"/v1/referrals/{ref['id']}"), 404)


# --- forwarding ---------------------------------------------------------------------------------------------
def test_forwarding_creates_a_linked_referral(stack, net, events):
    url = stack.url
    ref = send(net, "登別NPO", target="伊達ひきこもり支援")
    target = net.partner("伊達ひきこもり支援")
    forward_body = {"target_organization_id": net.ids["西胆振相談センター"], "reason": "専門の家族支援へ",
                    "consent": consent()}
    problem(target.post(url + f"/v1/referrals/{ref['id']}/forward", json=forward_body), 409)  # not accepted yet
    assert set_status(net, "伊達ひきこもり支援", ref, "accepted").status_code == 200
    problem(net.partner("登別NPO").post(url + f"/v1/referrals/{ref['id']}/forward", json=forward_body), 403)
    fwd = target.post(url + f"/v1/referrals/{ref['id']}/forward", json=forward_body)
    assert fwd.status_code == 201, fwd.text
    new = fwd.json()
    assert new["forwarded_from_id"] == ref["id"] and new["part_of_id"] == ref["id"]
    assert new["sender_organization_id"] == net.ids["伊達ひきこもり支援"]
    seen = net.partner("西胆振相談センター").get(url + f"/v1/referrals/{new['id']}").json()
    assert seen["person"]["name"] == PERSON["name"]
    forwarded = wait_until(lambda: events.of(ref["id"], "referral.forwarded"), 20)[0]["payload"]
    assert net.ids["西胆振相談センター"] in forwarded["interested_organization_ids"]
    assert events.of(new["id"], "referral.requested")
    history = net.partner("登別NPO").get(url + f"/v1/referrals/{ref['id']}/history").json()["items"]
    assert history[-1]["action"] == "forwarded" and history[-1]["reason"] == "専門の家族支援へ"


# --- polling ------------------------------------------------------------------------------------------------
def test_list_sent_and_received_with_modified_after(stack, net):
    url = stack.url
    sender, target = net.partner("胆振家族会"), net.partner("西胆振相談センター")
    refs = [send(net, "胆振家族会", target="西胆振相談センター") for _ in range(3)]
    sent = sender.get(url + "/v1/referrals?box=sent&limit=2").json()
    assert [i["id"] for i in sent["items"]] == [r["id"] for r in refs[:2]]
    rest = sender.get(url + "/v1/referrals", params={"box": "sent", **sent["next"]}).json()
    assert [i["id"] for i in rest["items"]] == [refs[2]["id"]]
    received = target.get(url + "/v1/referrals?box=received").json()["items"]
    assert {r["id"] for r in refs} <= {i["id"] for i in received}
    assert all("person" not in i for i in received)
    mark = received[-1]["modified_at"]
    assert target.get(url + "/v1/referrals", params={"box": "received", "modified_after": mark}).json()["items"] == []
    assert set_status(net, "西胆振相談センター", refs[0], "accepted").status_code == 200
    changed = target.get(url + "/v1/referrals", params={"box": "received", "modified_after": mark}).json()["items"]
    assert [i["id"] for i in changed] == [refs[0]["id"]] and changed[0]["status"] == "accepted"
    area = stack.session("municipality", "012301").get(url + "/v1/referrals?box=area").json()["items"]
    assert area and all(i["area_code"] == "012301" and "person" not in i for i in area)
    default = stack.session("municipality", "012301").get(url + "/v1/referrals").json()["items"]
    assert [i["id"] for i in default] == [i["id"] for i in area]
    problem(net.partner("胆振家族会").get(url + "/v1/referrals?box=area"), 403)


# --- the directory copy --------------------------------------------------------------------------------------
def test_directory_applies_only_newer_revisions_and_refuses_paused_or_inactive_targets(stack, net):
    org = net.ids["札幌フードバンク"]
    with connect("referrals") as conn:
        revision = conn.execute("SELECT revision FROM directory_organizations WHERE organization_id = %s",
                                (org,)).fetchone()["revision"]
    stale = organization_payload(org, name="古い", home="011002", areas=("011002",), fields_=("food_bank",),
                                 capacity="paused", revision=revision - 1)
    publish_members_event("organization.updated", {**stale, "changed_fields": ["referral_capacity"]})
    publish_members_event("organization.updated", {**stale, "changed_fields": ["referral_capacity"]})  # duplicate
    paused = organization_payload(org, name="札幌フードバンク", home="011002", areas=("011002",),
                                  fields_=("food_bank",), capacity="paused", revision=revision + 1)
    envelope = publish_members_event("organization.updated", {**paused, "changed_fields": ["referral_capacity"]})

    def applied():
        # processed_messages first: the handler commits it with the update, so the row read after it is current
        # (read the other way round, a commit landing between the two reads returns the old row).
        with connect("referrals") as conn:
            done = conn.execute("SELECT 1 FROM processed_messages WHERE event_id = %s "
                                "AND consumer = 'referrals.on_organization_updated'", (envelope["event_id"],)).fetchone()
            row = conn.execute("SELECT revision, referral_capacity, name FROM directory_organizations "
                               "WHERE organization_id = %s", (org,)).fetchone()
        return done and row
    row = wait_until(applied, 20, 0.1, "the update to be applied")
    assert row["revision"] == revision + 1 and row["referral_capacity"] == "paused" and row["name"] == "札幌フードバンク"
    problem(post(net.partner("登別NPO"), stack.url, referral_body(target=org, category="food_bank")), 422)
    gone = publish_members_event("organization.deactivated", {"organization_id": org, "revision": revision + 2})
    # The webhook dispatcher consumes this event type too: wait for the referrals service's own handler.
    wait_until(lambda: connect("referrals").execute(
        "SELECT 1 FROM processed_messages WHERE event_id = %s AND consumer = 'referrals.on_organization_deactivated'",
        (gone["event_id"],)).fetchone(), 20)
    with connect("referrals") as conn:
        assert conn.execute("SELECT active FROM directory_organizations WHERE organization_id = %s",
                            (org,)).fetchone()["active"] is False
    problem(post(net.partner("登別NPO"), stack.url, referral_body(target=str(uuid.uuid4()))), 422)


# --- timers: overdue and retention ---------------------------------------------------------------------------
def test_overdue_marking(stack, net, events):
    ref = send(net, "登別NPO", target="伊達ひきこもり支援", urgency="stat")
    fresh = send(net, "登別NPO", target="伊達ひきこもり支援", urgency="routine")
    with connect("referrals") as conn:  # as if it had been requested two hours ago (stat: 1 hour)
        conn.execute("UPDATE referrals SET requested_at = now() - interval '2 hours' WHERE id = ANY(%s)",
                     ([uuid.UUID(ref["id"]), uuid.UUID(fresh["id"])],))
    overdue = wait_until(lambda: events.of(ref["id"], "referral.overdue"), 20, 0.2, "referral.overdue")
    assert overdue[0]["payload"]["status"] == "requested" and overdue[0]["payload"]["revision"] == 2
    seen = net.partner("登別NPO").get(stack.url + f"/v1/referrals/{ref['id']}").json()
    assert seen["overdue"] is True and seen["overdue_at"]
    assert not events.of(fresh["id"], "referral.overdue")  # routine: 72 hours
    assert set_status(net, "伊達ひきこもり支援", ref, "accepted").status_code == 200
    late = net.partner("登別NPO").get(stack.url + f"/v1/referrals/{ref['id']}").json()
    assert late["overdue"] is False and late["overdue_at"] == seen["overdue_at"]  # accepted late: on record
    with connect("referrals") as conn:  # marked once only
        n = conn.execute("SELECT count(*) AS n FROM referral_history WHERE referral_id = %s AND action = 'overdue'",
                         (ref["id"],)).fetchone()["n"]
    assert n == 1


def test_retention_erases_personal_data_of_long_closed_referrals(stack, net):
    ref = send(net, "登別NPO", target="伊達ひきこもり支援")
    open_ref = send(net, "登別NPO", target="伊達ひきこもり支援")
    assert set_status(net, "伊達ひきこもり支援", ref, "rejected", reason="対象外").status_code == 200
    with connect("referrals") as conn:
        conn.execute("UPDATE referrals SET closed_at = now() - interval '31 days' WHERE id = %s", (ref["id"],))

    def erased():
        with connect("referrals") as conn:
            return conn.execute("SELECT ciphertext, nonce, key_id, erased_at, identity_hash FROM referral_persons "
                                "WHERE referral_id = %s AND erased_at IS NOT NULL", (ref["id"],)).fetchone()
    row = wait_until(erased, 20, 0.2, "the retention timer")
    assert row["ciphertext"] is None and row["nonce"] is None and row["identity_hash"] is not None
    seen = net.partner("登別NPO").get(stack.url + f"/v1/referrals/{ref['id']}").json()
    assert seen["personal_data_erased"] is True and "person" not in seen and seen["status"] == "rejected"
    assert "person" in net.partner("登別NPO").get(stack.url + f"/v1/referrals/{open_ref['id']}").json()


# --- statistics ---------------------------------------------------------------------------------------------
def test_statistics_for_staff(stack, net):
    """Areas no other test uses (壮瞥町 015750, 洞爺湖町 015849), so the counts are exact."""
    start = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    other_person = {**PERSON, "name": "別人 花子", "name_kana": "ベツジン ハナコ"}
    a = send(net, "登別NPO", target="伊達ひきこもり支援", area_code="015750")
    send(net, "登別NPO", target="伊達ひきこもり支援", area_code="015750")  # the same person again
    send(net, "伊達ひきこもり支援", target="西胆振相談センター", area_code="015849", person=other_person,
         category="8050")
    assert set_status(net, "伊達ひきこもり支援", a, "accepted").status_code == 200
    end = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
    period = {"period_start": start, "period_end": end}
    r = stack.session("bureau", "01B04").get(stack.url + "/v1/referrals/statistics",
                                              params={"scope": "01B04", **period})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["by_area"]["015750"]["total"] == 2 and s["by_area"]["015849"]["total"] == 1
    assert s["by_area"]["015750"]["by_status"] == {"accepted": 1, "requested": 1}
    assert s["by_area"]["015849"]["by_category"] == {"8050": 1}
    assert s["as_of"] and s["tree"]["code"] == "01B04"
    children = {c["code"]: c for c in s["tree"]["children"]}
    assert children["015750"]["counts"]["total"] == 2 and children["015849"]["counts"]["total"] == 1
    assert s["tree"]["counts"]["total"] == s["totals"]["total"] == sum(e["total"] for e in s["by_area"].values())
    pref = stack.session("prefecture", "01").get(stack.url + "/v1/referrals/statistics",
                                                  params={"scope": "01", **period}).json()
    assert [c["code"] for c in pref["tree"]["children"]] == ["01B04"]
    muni = stack.session("municipality", "015750").get(stack.url + "/v1/referrals/statistics",
                                                        params={"scope": "015750", **period}).json()
    assert set(muni["by_area"]) == {"015750"} and muni["unique_persons"] == 1
    assert muni["time_to_accept_seconds"]["n"] == 1 and muni["time_to_accept_seconds"]["median"] >= 0
    assert muni["time_to_close_seconds"]["n"] == 0
    two = stack.session("bureau", "01B04").get(stack.url + "/v1/referrals/statistics",
                                                params={"scope": "xa-nishi-iburi", **period}).json()
    assert two["unique_persons"] >= 2
    problem(stack.session("municipality", "015849").get(stack.url + "/v1/referrals/statistics",
                                                         params={"scope": "015750", **period}), 404)
    problem(net.partner("登別NPO").get(stack.url + "/v1/referrals/statistics", params={"scope": "01", **period}), 403)


def test_a_draft_exists_only_for_its_sender_until_requested(stack, net, events):
    url = stack.url
    draft = send(net, "登別NPO", target="伊達ひきこもり支援", status="draft", do_not_contact=True)
    assert draft["status"] == "draft" and draft["requested_at"] is None and draft["do_not_contact"] is True
    problem(net.partner("伊達ひきこもり支援").get(url + f"/v1/referrals/{draft['id']}"), 404)
    problem(stack.session("bureau", "01B04").get(url + f"/v1/referrals/{draft['id']}"), 404)
    received = net.partner("伊達ひきこもり支援").get(url + "/v1/referrals?box=received").json()["items"]
    assert draft["id"] not in {i["id"] for i in received}
    assert not events.of(draft["id"])
    r = net.partner("登別NPO").post(url + f"/v1/referrals/{draft['id']}/status", json={"status": "requested"},
                                   headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["requested_at"], r.text
    seen = net.partner("伊達ひきこもり支援").get(url + f"/v1/referrals/{draft['id']}").json()
    assert seen["person"]["name"] == PERSON["name"] and seen["do_not_contact"] is True
    staff = stack.session("bureau", "01B04").get(url + f"/v1/referrals/{draft['id']}").json()
    assert "do_not_contact" not in staff  # part of the person's record
    assert wait_until(lambda: events.of(draft["id"], "referral.requested"), 20)


def test_the_sender_cannot_claim_its_own_pool_referral_and_inactive_senders_cannot_send(stack, net):
    pool = send(net, "伊達ひきこもり支援", pool={"area_code": "012335", "category": "hikikomori"}, area_code="012335")
    problem(net.partner("伊達ひきこもり支援").post(stack.url + f"/v1/referrals/{pool['id']}/claim"), 409)
    gone = register_member_organization(name="解散した団体", fields_=("isolation",))
    key = net.admin.post(stack.url + "/v1/admin/api-keys", json={"organization_id": gone, "name": "x"}).json()["key"]
    wait_until(lambda: connect("referrals").execute(
        "SELECT 1 FROM directory_organizations WHERE organization_id = %s", (gone,)).fetchone(), 20)
    s = requests.Session()
    s.headers["X-API-Key"] = key
    assert post(s, stack.url, referral_body(target=net.ids["伊達ひきこもり支援"])).status_code == 201
    with connect("referrals") as conn:
        revision = conn.execute("SELECT revision FROM directory_organizations WHERE organization_id = %s",
                                (gone,)).fetchone()["revision"]
    event = publish_members_event("organization.deactivated", {"organization_id": gone, "revision": revision + 1})
    wait_until(lambda: connect("referrals").execute(
        "SELECT 1 FROM processed_messages WHERE event_id = %s AND consumer = 'referrals.on_organization_deactivated'",
        (event["event_id"],)).fetchone(), 20)
    problem(post(s, stack.url, referral_body(target=net.ids["伊達ひきこもり支援"])), 403)
    # An API key for an organisation the directory has never heard of cannot send either.
    unknown = net.admin.post(stack.url + "/v1/admin/api-keys",
                             json={"organization_id": str(uuid.uuid4()), "name": "y"}).json()["key"]
    s.headers["X-API-Key"] = unknown
    problem(post(s, stack.url, referral_body(target=net.ids["伊達ひきこもり支援"])), 403)


def test_openapi_documents_the_referral_endpoints(stack):
    spec = requests.get(stack.url + "/openapi.json").json()
    post_op = spec["paths"]["/v1/referrals"]["post"]
    assert post_op["requestBody"] and {"201", "400", "409", "422"} <= set(post_op["responses"])
    for path in ("/v1/referrals/{referral_id}", "/v1/referrals/{referral_id}/status",
                 "/v1/referrals/{referral_id}/claim",
                 "/v1/referrals/{referral_id}/forward", "/v1/referrals/{referral_id}/history",
                 "/v1/referrals/statistics", "/v1/admin/referrals/personal-data-reads"):
        assert path in spec["paths"], path
    assert "412" in spec["paths"]["/v1/referrals/{referral_id}/status"]["post"]["responses"]


def test_staff_and_outsiders_cannot_change_a_referral(stack, net):
    ref = send(net, "登別NPO", target="伊達ひきこもり支援")
    url = stack.url + f"/v1/referrals/{ref['id']}/status"
    for session, expected in ((stack.session("bureau", "01B04"), 403),   # sees it (non-personal), may not act
                              (stack.session("admin"), 403),
                              (stack.session("municipality", "012301"), 403),
                              (net.partner("西胆振相談センター"), 404),      # does not even see it
                              (stack.session("municipality", "012050"), 404)):
        problem(session.post(url, json={"status": "cancelled", "reason": "x"}, headers={"If-Match": '"1"'}), expected)
    assert net.partner("登別NPO").get(stack.url + f"/v1/referrals/{ref['id']}").json()["status"] == "requested"
