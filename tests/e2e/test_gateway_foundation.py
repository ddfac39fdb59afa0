"""The gateway as deployed (gunicorn, threads) in front of the running services: authentication, roles and
scope, problem+json, request ids, OpenAPI and operations endpoints."""
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    assert "Traceback" not in response.text
    return body


def claims(**overrides):
    now = int(time.time())
    base = {"iss": "https://tsunagu.local/dev", "aud": "tsunagu", "sub": "tester", "iat": now, "nbf": now,
            "exp": now + 600, "role": "prefecture", "area": "01"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_token_is_accepted(stack):
    me = stack.get("/v1/me", "bureau", "01B04")
    assert me.status_code == 200
    assert me.json()["role"] == "bureau" and me.json()["scope"] == "01B04"
    assert me.json()["area"]["name"].startswith("胆振")


@pytest.mark.parametrize("case", ["alg-none", "wrong-key", "expired", "wrong-audience", "not-yet-valid",
                                  "wrong-issuer", "hs256-with-public-key", "no-role", "garbage"])
def test_bad_tokens_get_401_problem_json(stack, case):
    private = stack.private_key.read_bytes()
    if case == "alg-none":
        token = jwt.encode(claims(), key=None, algorithm="none")
    elif case == "wrong-key":
        other = ec.generate_private_key(ec.SECP256R1())
        token = jwt.encode(claims(), other, algorithm="ES256", headers={"kid": "dev-es256"})
    elif case == "expired":
        token = jwt.encode(claims(exp=int(time.time()) - 3600), private, algorithm="ES256")
    elif case == "wrong-audience":
        token = jwt.encode(claims(aud="someone-else"), private, algorithm="ES256")
    elif case == "not-yet-valid":
        token = jwt.encode(claims(nbf=int(time.time()) + 3600), private, algorithm="ES256")
    elif case == "wrong-issuer":
        token = jwt.encode(claims(iss="https://evil.example"), private, algorithm="ES256")
    elif case == "hs256-with-public-key":
        # The classic algorithm-confusion attack: sign with the public key as an HMAC secret.
        public = (stack.private_key.parent / "dev-es256.pub.pem").read_bytes()
        import base64, hashlib, hmac, json
        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=")
        signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + b64(json.dumps(claims()).encode())
        token = (signing_input + b"." + b64(hmac.new(public, signing_input, hashlib.sha256).digest())).decode()
    elif case == "no-role":
        token = jwt.encode(claims(role=None), private, algorithm="ES256")
    else:
        token = "not-a-jwt"
    body = assert_problem(requests.get(stack.url + "/v1/me", headers=bearer(token)), 401)
    assert body["request_id"]


def test_an_rsa_key_from_configuration_is_also_accepted(namespace, tmp_path):
    """RS256 works with an RSA public key from configuration (keys may come from files or a JWKS URL)."""
    from gateway.authentication import JwtVerifier
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "partner-idp.pub.pem"
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    verifier = JwtVerifier("https://tsunagu.local/dev", "tsunagu", [str(path)])
    assert verifier.verify(jwt.encode(claims(), key, algorithm="RS256"))["role"] == "prefecture"


def test_missing_credentials_get_401_and_unknown_paths_404(stack):
    assert_problem(requests.get(stack.url + "/v1/areas"), 401)
    assert_problem(requests.get(stack.url + "/v1/no-such-thing"), 404)


def test_a_bureau_user_sees_only_its_bureau_subtree(stack):
    tree = stack.get("/v1/areas", "bureau", "01B04").json()
    root = tree["root"]
    assert root["code"] == "01B04"
    codes = {child["code"] for child in root["children"]}
    assert "012301" in codes  # 登別市
    assert "012050" in codes  # 室蘭市
    assert "012068" not in codes  # 釧路市 is in 釧路 bureau
    assert len(codes) == 11  # 4 cities + 7 towns (domain.md §1.2)
    assert [g["code"] for g in tree["cross_area_groups"]] == ["xa-nishi-iburi"]
    assert_problem(stack.get("/v1/areas?root=01B13", "bureau", "01B04"), 404)  # 釧路: out of scope
    assert stack.get("/v1/areas?root=012301", "bureau", "01B04").json()["root"]["name"] == "登別市"


def test_prefecture_and_municipal_users_see_their_own_scope(stack):
    pref = stack.get("/v1/areas", "prefecture", "01").json()["root"]
    assert pref["code"] == "01" and len(pref["children"]) == 14
    assert sum(len(b["children"]) for b in pref["children"]) == 179
    muni = stack.get("/v1/areas", "municipality", "012301").json()["root"]
    assert muni["code"] == "012301" and muni["children"] == []
    assert_problem(stack.get("/v1/areas?root=01", "municipality", "012301"), 404)


def test_a_partner_api_key_is_refused_on_staff_endpoints(stack):
    admin = stack.session("admin")
    org = str(uuid.uuid4())
    created = admin.post(stack.url + "/v1/admin/api-keys", json={"organization_id": org, "name": "相談チャット"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    body = assert_problem(requests.get(stack.url + "/v1/areas", headers={"X-API-Key": key}), 403)
    assert "API keys" in body["detail"]
    me = requests.get(stack.url + "/v1/me", headers={"X-API-Key": key})
    assert me.json()["role"] == "partner" and me.json()["organization_id"] == org
    listed = admin.get(stack.url + "/v1/admin/api-keys").json()["items"]
    entry = next(k for k in listed if k["id"] == created.json()["id"])
    assert entry["last_used_at"] is not None and "key" not in entry
    # Revoked keys stop working at once.
    assert admin.delete(stack.url + f"/v1/admin/api-keys/{created.json()['id']}").status_code == 204
    assert_problem(requests.get(stack.url + "/v1/me", headers={"X-API-Key": key}), 401)
    # Staff other than admins may not manage keys; bad input is a field-level 422.
    assert_problem(stack.session("prefecture", "01").get(stack.url + "/v1/admin/api-keys"), 403)
    bad = assert_problem(admin.post(stack.url + "/v1/admin/api-keys", json={"organization_id": "x"}), 422)
    pointers = {e["pointer"] for e in bad["errors"]}
    assert pointers == {"#/organization_id", "#/name"}


def test_request_ids_are_returned_and_generated(stack):
    given = stack.get("/v1/me", "prefecture", "01", headers={"X-Request-ID": "req-abc-123"})
    assert given.headers["X-Request-ID"] == "req-abc-123"
    generated = requests.get(stack.url + "/v1/me")
    assert uuid.UUID(generated.headers["X-Request-ID"])
    assert generated.json()["request_id"] == generated.headers["X-Request-ID"]


def test_openapi_document_and_docs_page(stack):
    spec = requests.get(stack.url + "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/areas" in spec["paths"] and "/v1/me" in spec["paths"]
    assert "AreaTree" in spec["components"]["schemas"]
    assert spec["paths"]["/v1/admin/api-keys"]["post"]["requestBody"]
    docs = requests.get(stack.url + "/docs")
    assert docs.status_code == 200 and "/v1/areas" in docs.text


def test_every_process_reports_health_readiness_and_metrics(stack):
    for name, port in stack.ports.items():
        base = f"http://127.0.0.1:{port}"
        assert requests.get(base + "/healthz").status_code == 200, name
        assert requests.get(base + "/readyz").status_code == 200, name
        metrics = requests.get(base + "/metrics")
        assert metrics.status_code == 200, name
        assert metrics.headers["Content-Type"].startswith("text/plain"), name
        assert "# TYPE tsunagu_" in metrics.text, name
    gateway_metrics = requests.get(stack.url + "/metrics").text
    assert 'tsunagu_http_requests_total{component="gateway",method="GET",outcome="ok",route="/v1/me"}' in gateway_metrics
