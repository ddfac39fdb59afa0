"""Keys from a JWKS URL (a real local HTTP server standing in for the identity provider's JWKS endpoint)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.authentication import JwtVerifier
from services.servicekit.errors import Unauthorized


@pytest.fixture
def jwks_server():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, key, alg in (("idp-rsa", rsa_key, "RS256"), ("idp-ec", ec_key, "ES256")):
        jwk = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "use": "sig", "alg": alg})
    body = json.dumps({"keys": keys}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json", rsa_key, ec_key
    server.shutdown()


def claims():
    now = int(time.time())
    return {"iss": "https://idp.example", "aud": "tsunagu", "sub": "staff-1", "iat": now, "nbf": now,
            "exp": now + 300, "role": "prefecture", "area": "01"}


def test_tokens_signed_by_keys_published_at_a_jwks_url_are_accepted(jwks_server):
    url, rsa_key, ec_key = jwks_server
    verifier = JwtVerifier("https://idp.example", "tsunagu", jwks_url=url)
    assert verifier.verify(jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "idp-rsa"}))["sub"] == "staff-1"
    assert verifier.verify(jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "idp-ec"}))["sub"] == "staff-1"


def test_a_token_whose_key_is_not_published_is_refused(jwks_server):
    url, _rsa_key, _ec_key = jwks_server
    stranger = ec.generate_private_key(ec.SECP256R1())
    verifier = JwtVerifier("https://idp.example", "tsunagu", jwks_url=url)
    with pytest.raises(Unauthorized):
        verifier.verify(jwt.encode(claims(), stranger, algorithm="ES256", headers={"kid": "idp-ec"}))
    with pytest.raises(Unauthorized):
        verifier.verify(jwt.encode(claims(), stranger, algorithm="ES256", headers={"kid": "unknown"}))
