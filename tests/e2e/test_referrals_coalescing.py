"""POST /v1/referrals coalesced: requests that arrive together reach the referrals service as one message and
commit in one transaction, yet each is answered — and refused — on its own. Against the running stack: the
batch entrypoint over real RPC (a batch built here, so its make-up is exact), and a burst through the gateway.
"""
import threading
import uuid

import pytest
import requests
from nameko.exceptions import RemoteError

from gateway.rpc_pool import RpcProxyPool
from services.servicekit import coalesced_calls, settings
from services.servicekit.caller import PRINCIPAL_CONTEXT_KEY, REQUEST_ID_CONTEXT_KEY, Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput
from tests.e2e.referrals_support import referral_body, register_member_organization, wait_in_directory
from tests.support.fixtures import connect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def orgs(stack):
    sender = register_member_organization(name="まとめ送付元", home="012301", areas=("012301",),
                                          fields_=("isolation",))
    # Not eligible for the other tests' pool referrals (登別市 × ひきこもり): a direct target only.
    target = register_member_organization(name="まとめ受付先", home="012335", areas=("012335",),
                                          fields_=("food_bank",))
    wait_in_directory(sender, target)
    return {"sender": sender, "target": target}


@pytest.fixture(scope="module")
def rpc():
    pool = RpcProxyPool(settings.amqp_uri(), size=2, timeout=30)
    yield pool
    pool.close()


def as_org(org_id: str | None, request_id: str) -> dict:
    context = {REQUEST_ID_CONTEXT_KEY: request_id}
    if org_id:
        context[PRINCIPAL_CONTEXT_KEY] = Principal(f"partner:{org_id}", "partner", organization_id=org_id,
                                                   via="api_key").to_context()
    return context


def create_batch(rpc, requests_):
    with rpc.cluster({}) as cluster:
        answers = cluster.referrals.create_referrals(requests_)
    out = []
    for answer in answers:
        try:
            out.append(coalesced_calls.unpack(answer))
        except Exception as exc:  # noqa: BLE001 - each answer is inspected
            out.append(exc)
    return out


def test_one_batch_answers_each_request_on_its_own_and_writes_only_the_accepted_ones(stack, orgs, rpc):
    sender, target = orgs["sender"], orgs["target"]
    body = referral_body(target=target)
    reused_key, replay_key = f"k-{uuid.uuid4()}", f"k-{uuid.uuid4()}"
    # Two keys used before this batch: one to be replayed, one to be reused with another body.
    first = create_batch(rpc, [coalesced_calls.request(as_org(sender, "req-earlier-1"), body, replay_key),
                               coalesced_calls.request(as_org(sender, "req-earlier-2"), body, reused_key)])
    assert [a["status"] for a in first] == [201, 201]

    ids = {name: f"req-{name}-{uuid.uuid4()}" for name in ("a", "b", "dup", "nobody", "unknown", "reused",
                                                            "replay", "invalid")}
    key_a = f"k-{uuid.uuid4()}"
    batch = [
        coalesced_calls.request(as_org(sender, ids["a"]), body, key_a),
        coalesced_calls.request(as_org(sender, ids["b"]), referral_body(target=target, urgency="urgent"),
                                f"k-{uuid.uuid4()}"),
        coalesced_calls.request(as_org(sender, ids["dup"]), body, key_a),  # the same key again, same batch
        coalesced_calls.request(as_org(None, ids["nobody"]), body, f"k-{uuid.uuid4()}"),
        coalesced_calls.request(as_org(sender, ids["unknown"]), referral_body(target=str(uuid.uuid4())),
                                f"k-{uuid.uuid4()}"),
        coalesced_calls.request(as_org(sender, ids["reused"]), referral_body(target=target, urgency="urgent"),
                                reused_key),
        coalesced_calls.request(as_org(sender, ids["replay"]), body, replay_key),
        coalesced_calls.request(as_org(sender, ids["invalid"]), {**body, "urgency": "whenever"},
                                f"k-{uuid.uuid4()}"),
    ]
    a, b, dup, nobody, unknown, reused, replay, invalid = create_batch(rpc, batch)

    assert a["status"] == 201 and not a["replayed"] and b["status"] == 201 and a["body"]["id"] != b["body"]["id"]
    assert b["body"]["urgency"] == "urgent"
    assert isinstance(dup, Conflict) and "still being processed" in dup.detail
    assert isinstance(nobody, Forbidden)
    assert isinstance(unknown, InvalidInput) and unknown.errors[0]["pointer"] == "#/target_organization_id"
    assert isinstance(reused, InvalidInput) and "different request" in reused.detail
    assert replay == {**first[0], "replayed": True}
    assert isinstance(invalid, InvalidInput) and invalid.errors[0]["pointer"] == "#/urgency"

    with connect("referrals") as conn:
        created = conn.execute("SELECT r.id::text, h.request_id FROM referrals r JOIN referral_history h "
                               "ON h.referral_id = r.id WHERE h.request_id = ANY(%s)", (list(ids.values()),)).fetchall()
        assert {(r["id"], r["request_id"]) for r in created} == {(a["body"]["id"], ids["a"]),
                                                                  (b["body"]["id"], ids["b"])}
        outbox = conn.execute("SELECT envelope FROM outbox WHERE envelope->>'correlation_id' = ANY(%s)",
                              (list(ids.values()),)).fetchall()
        assert sorted((e["envelope"]["payload"]["referral_id"], e["envelope"]["correlation_id"]) for e in outbox) == \
            sorted([(a["body"]["id"], ids["a"]), (b["body"]["id"], ids["b"])])
        keys = conn.execute("SELECT referral_id::text FROM idempotency_keys WHERE organization_id = %s "
                            "AND idempotency_key = %s", (sender, key_a)).fetchall()
        assert [k["referral_id"] for k in keys] == [a["body"]["id"]]


def test_a_request_that_fails_in_the_database_fails_alone(stack, orgs, rpc):
    """A failure no validation foresaw (here PostgreSQL refusing a NUL character) rolls the batch's transaction
    back; the service then tries each request on its own, so only the failing one fails — without its text."""
    sender, target = orgs["sender"], orgs["target"]
    good_keys = [f"k-{uuid.uuid4()}" for _ in range(2)]
    answers = create_batch(rpc, [
        coalesced_calls.request(as_org(sender, "r-good-1"), referral_body(target=target), good_keys[0]),
        coalesced_calls.request(as_org(sender, "r-bad"), referral_body(target=target, summary="相談\u0000内容"),
                                f"k-{uuid.uuid4()}"),
        coalesced_calls.request(as_org(sender, "r-good-2"), referral_body(target=target), good_keys[1]),
    ])
    assert answers[0]["status"] == 201 and answers[2]["status"] == 201
    assert isinstance(answers[1], RemoteError) and "相談" not in str(answers[1])
    with connect("referrals") as conn:
        stored = conn.execute("SELECT count(*) AS n FROM idempotency_keys WHERE organization_id = %s "
                              "AND idempotency_key = ANY(%s)", (sender, good_keys)).fetchone()["n"]
    assert stored == 2


def test_a_burst_through_the_gateway_creates_each_referral_once(stack, orgs):
    """Many partners' requests at the same moment, some of them retries of one request with one key: every
    distinct request makes exactly one referral; the retries get the first answer replayed or a 409."""
    admin = stack.session("admin")
    api_key = admin.post(stack.url + "/v1/admin/api-keys",
                         json={"organization_id": orgs["sender"], "name": "burst"}).json()["key"]
    body, shared_key = referral_body(target=orgs["target"]), f"burst-{uuid.uuid4()}"
    keys = [f"burst-{uuid.uuid4()}" for _ in range(20)] + [shared_key] * 6
    start, answers = threading.Barrier(len(keys)), [None] * len(keys)

    def post(i):
        session = requests.Session()
        start.wait()
        answers[i] = session.post(stack.url + "/v1/referrals", json=body, timeout=30,
                                  headers={"X-API-Key": api_key, "Idempotency-Key": keys[i]})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    distinct = [r for r, k in zip(answers, keys) if k != shared_key]
    assert [r.status_code for r in distinct] == [201] * 20
    assert len({r.json()["id"] for r in distinct}) == 20
    retries = [r for r, k in zip(answers, keys) if k == shared_key]
    firsts = [r for r in retries if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(firsts) == 1
    for r in retries:
        assert r.status_code in (201, 409), r.text
        if r.status_code == 201:
            assert r.json()["id"] == firsts[0].json()["id"]
    with connect("referrals") as conn:
        n = conn.execute("SELECT count(*) AS n FROM idempotency_keys WHERE idempotency_key = ANY(%s)",
                         (keys,)).fetchone()["n"]
    assert n == 21
