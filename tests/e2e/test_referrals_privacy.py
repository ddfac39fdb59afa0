"""The privacy test: a full scenario through the gateway, then every event published, every log line, every
metrics page, every error response and a pg_dump of the referrals database are searched for the person's name,
reading, phone, e-mail and address. They may exist only as AES-GCM ciphertext."""
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

# The stack's referrals service seals with explicit keys from configuration (tests/support/stack.py,
# REFERRALS_TEST_ENV), as in production, rather than the generated development key.
from services.servicekit import settings  # noqa: E402
from tests.e2e.referrals_support import EventCapture, consent, referral_body, register_member_organization  # noqa: E402
from tests.support.fixtures import connect  # noqa: E402
from tests.support.processes import wait_until  # noqa: E402

pytestmark = pytest.mark.e2e

SECRET_PERSON = {"name": "秘密川 守子", "name_kana": "ヒミツカワ モリコ", "date_of_birth": "1961-02-03",
                 "phone": "0142-55-9876", "email": "moriko.himitsukawa@example.jp", "address_area_code": "012335",
                 "address": "伊達市松ヶ枝町42-17"}
NEEDLES = ["秘密川", "守子", "ヒミツカワ", "ひみつかわ", "モリコ", "0142-55-9876", "0142559876", "moriko.himitsukawa",
           "himitsukawa@", "松ヶ枝町42", "1961-02-03"]


def _found(text: str) -> list[str]:
    """Needles found as text, or hex-encoded as PostgreSQL prints bytea (so plaintext in a bytea is caught too)."""
    lowered = text.lower()
    return [n for n in NEEDLES if n in text or n.encode().hex() in lowered]


def test_personal_data_appears_nowhere_but_as_ciphertext(stack):
    capture = EventCapture()
    admin = stack.session("admin")
    orgs, keys = {}, {}
    for name, home, areas, fields_ in (("送り手", "012301", ("012301",), ("isolation",)),
                                       ("受け手", "012335", ("012335",), ("hikikomori",)),
                                       ("プールA", "012335", ("xa-nishi-iburi",), ("hikikomori",)),
                                       ("プールB", "012050", ("01B04",), ("hikikomori",))):
        orgs[name] = register_member_organization(name=name, home=home, areas=areas, fields_=fields_)
        keys[name] = admin.post(stack.url + "/v1/admin/api-keys",
                                json={"organization_id": orgs[name], "name": name}).json()["key"]

    def partner(name):
        s = requests.Session()
        s.headers["X-API-Key"] = keys[name]
        return s

    def known():
        with connect("referrals") as conn:
            return conn.execute("SELECT count(*) AS n FROM directory_memberships WHERE organization_id = ANY(%s)",
                                ([uuid.UUID(o) for o in orgs.values()],)).fetchone()["n"] == 4
    wait_until(known, 30, 0.1, "the directory copy")

    responses = []  # every response of the scenario; error responses must not echo personal data

    def call(method, session, path, **kw):
        r = getattr(session, method)(stack.url + path, **kw)
        responses.append(r)
        return r

    url_body = referral_body(target=orgs["受け手"], person=SECRET_PERSON, area_code="012335",
                             partner_reference="CASE-77")
    key = str(uuid.uuid4())
    sender, target = partner("送り手"), partner("受け手")
    ref = call("post", sender, "/v1/referrals", json=url_body, headers={"Idempotency-Key": key}).json()
    call("post", sender, "/v1/referrals", json=url_body, headers={"Idempotency-Key": key})  # replay
    call("post", sender, "/v1/referrals", json={**url_body, "urgency": "asap"}, headers={"Idempotency-Key": key})  # 422
    call("post", sender, "/v1/referrals", json=url_body)  # 400
    bad = {**url_body, "person": {**SECRET_PERSON, "email": "moriko.himitsukawa@", "phone": "0142-55-9876x",
                                  "date_of_birth": "1961-02-33", "address_area_code": "99999"}}
    errors = call("post", sender, "/v1/referrals", json=bad, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert errors.status_code == 422 and len(errors.json()["errors"]) >= 3
    no_basis = {k: v for k, v in url_body.items() if k != "consent"}
    assert call("post", sender, "/v1/referrals", json=no_basis,
                headers={"Idempotency-Key": str(uuid.uuid4())}).status_code == 422
    full = call("get", target, f"/v1/referrals/{ref['id']}")
    assert full.json()["person"]["email"] == SECRET_PERSON["email"]  # the target does see it
    assert len(_found(full.text)) >= 8  # and the search does find the needles where they are
    responses.remove(full)  # the one legitimate place: the target's own read
    call("get", partner("プールA"), f"/v1/referrals/{ref['id']}")  # 404
    call("post", target, f"/v1/referrals/{ref['id']}/status", json={"status": "accepted"}, headers={"If-Match": '"9"'})
    call("post", target, f"/v1/referrals/{ref['id']}/status", json={"status": "accepted"}, headers={"If-Match": '"1"'})
    call("post", target, f"/v1/referrals/{ref['id']}/status", json={"status": "requested"}, headers={"If-Match": '"2"'})
    call("post", target, f"/v1/referrals/{ref['id']}/status", json={"status": "in-progress"},
         headers={"If-Match": '"2"'})
    fwd = call("post", target, f"/v1/referrals/{ref['id']}/forward",
               json={"pool": {"area_code": "012335", "category": "hikikomori"}, "reason": "家族支援の専門団体へ",
                     "consent": consent()})
    assert fwd.status_code == 201, fwd.text
    call("get", partner("プールB"), f"/v1/referrals/{fwd.json()['id']}")
    claim = call("post", partner("プールA"), f"/v1/referrals/{fwd.json()['id']}/claim")
    assert claim.status_code == 200, claim.text
    call("post", partner("プールB"), f"/v1/referrals/{fwd.json()['id']}/claim")  # 404 after the claim
    call("post", target, f"/v1/referrals/{ref['id']}/status", json={"status": "completed", "outcome": "紹介済み"},
         headers={"If-Match": '"4"'})
    for who in ("送り手", "受け手", "プールA"):
        call("get", partner(who), "/v1/referrals")
        call("get", partner(who), f"/v1/referrals/{ref['id']}/history")
    now = datetime.now(timezone.utc)
    period = {"scope": "01", "period_start": (now - timedelta(hours=1)).isoformat(),
              "period_end": (now + timedelta(hours=1)).isoformat()}
    call("get", stack.session("prefecture", "01"), "/v1/referrals/statistics", params=period)
    call("get", stack.session("bureau", "01B04"), f"/v1/referrals/{ref['id']}")
    call("get", stack.session("bureau", "01B04"), "/v1/referrals?box=area")
    call("get", admin, f"/v1/admin/referrals/personal-data-reads?referral_id={ref['id']}")
    call("get", requests.Session(), f"/v1/referrals/{ref['id']}")  # 401

    wait_until(lambda: len(capture.of(ref["id"])) >= 5 and len(capture.of(fwd.json()["id"])) >= 2, 20, 0.2,
               "the scenario's events")
    capture.drain()
    capture.close()

    # 1. Events
    assert len(capture.raw) >= 7
    for raw in capture.raw:
        assert not _found(raw), raw
    # 2. Error and other responses (minus the target's legitimate read, removed above)
    assert any(r.status_code >= 400 for r in responses)
    for r in responses:
        assert not _found(r.text), (r.request.method, r.request.url, r.status_code)
    # 3. Logs of every process
    logs = stack.logs()
    assert logs and not _found(logs), _found(logs)
    # 4. Every metrics page
    for name, port in stack.ports.items():
        page = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert "tsunagu_" in page and not _found(page), name
    # 5. A dump of the referrals database: only ciphertext.
    dump = subprocess.run(["pg_dump", "--data-only", settings.database_url("referrals")], capture_output=True,
                          timeout=120)
    assert dump.returncode == 0, dump.stderr
    text = dump.stdout.decode("utf-8", errors="replace")
    assert ref["id"] in text  # the dump really contains this scenario
    assert not _found(text), _found(text)
    with connect("referrals") as conn:
        row = conn.execute("SELECT key_id, ciphertext FROM referral_persons WHERE referral_id = %s",
                           (ref["id"],)).fetchone()
    assert row["key_id"] == "k2026" and len(row["ciphertext"]) > 50
