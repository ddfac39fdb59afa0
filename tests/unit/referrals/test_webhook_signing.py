"""The Stripe-style signature: what we send verifies with the partner-side helper, and nothing else does."""
import pytest

from services.referrals.webhook_signing import (SignatureVerificationError, compute_signature, generate_secret,
                                                signature_header, verify_signature)

BODY = b'{"id":"d1","type":"referral.accepted","event_id":"e1","referral_id":"r1","occurred_at":"2026-11-22T00:00:00+00:00"}'
NOW = 1_800_000_000


def test_a_signed_body_verifies_with_its_secret():
    secret = generate_secret()
    header = signature_header([secret], BODY, NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify_signature(secret, header, BODY, now=NOW) == NOW
    assert verify_signature([generate_secret(), secret], header, BODY, now=NOW) == NOW  # any of several


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac
    expected = hmac.new(b"whsec_x", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert compute_signature("whsec_x", NOW, BODY) == expected
    assert signature_header(["whsec_x"], BODY, NOW) == f"t={NOW},v1={expected}"


@pytest.mark.parametrize("tampered", [BODY.replace(b"accepted", b"rejected"), BODY + b" ", BODY[:-1], b""])
def test_a_tampered_body_fails(tampered):
    secret = generate_secret()
    header = signature_header([secret], BODY, NOW)
    with pytest.raises(SignatureVerificationError):
        verify_signature(secret, header, tampered, now=NOW)


def test_a_tampered_timestamp_or_signature_fails():
    secret = generate_secret()
    header = signature_header([secret], BODY, NOW)
    with pytest.raises(SignatureVerificationError):
        verify_signature(secret, header.replace(f"t={NOW}", f"t={NOW + 1}"), BODY, now=NOW)
    signature = header.split("v1=")[1]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    with pytest.raises(SignatureVerificationError):
        verify_signature(secret, f"t={NOW},v1={flipped}", BODY, now=NOW)


def test_the_wrong_secret_fails():
    header = signature_header([generate_secret()], BODY, NOW)
    with pytest.raises(SignatureVerificationError):
        verify_signature(generate_secret(), header, BODY, now=NOW)


def test_timestamps_outside_the_tolerance_fail_both_ways():
    secret = generate_secret()
    header = signature_header([secret], BODY, NOW)
    assert verify_signature(secret, header, BODY, tolerance=300, now=NOW + 300) == NOW
    assert verify_signature(secret, header, BODY, tolerance=300, now=NOW - 300) == NOW
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify_signature(secret, header, BODY, tolerance=300, now=NOW + 301)
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify_signature(secret, header, BODY, tolerance=300, now=NOW - 301)
    assert verify_signature(secret, header, BODY, tolerance=600, now=NOW + 500) == NOW


def test_during_a_rotation_both_secrets_sign_and_each_verifies_alone():
    old, new = generate_secret(), generate_secret()
    header = signature_header([new, old], BODY, NOW)
    assert header.count("v1=") == 2
    assert verify_signature(new, header, BODY, now=NOW) == NOW
    assert verify_signature(old, header, BODY, now=NOW) == NOW
    with pytest.raises(SignatureVerificationError):
        verify_signature(generate_secret(), header, BODY, now=NOW)


@pytest.mark.parametrize("header", [None, "", "garbage", f"t={NOW}", "v1=abc", f"t=soon,v1=abc",
                                    f"t={NOW},v0=abc"])
def test_malformed_headers_fail(header):
    with pytest.raises(SignatureVerificationError):
        verify_signature(generate_secret(), header, BODY, now=NOW)


def test_secrets_are_long_random_and_prefixed():
    a, b = generate_secret(), generate_secret()
    assert a != b and a.startswith("whsec_") and len(a) >= 40
    with pytest.raises(ValueError):
        signature_header([], BODY, NOW)


def test_the_snippet_in_the_api_documentation_verifies_what_we_send():
    from gateway.routes.webhooks import SIGNING
    namespace = {}
    exec(SIGNING.split("```python\n")[1].split("```")[0], namespace)  # noqa: S102 - our own documentation
    old, new = generate_secret(), generate_secret()
    header = signature_header([new, old], BODY)
    assert namespace["verify"]([old], header, BODY)
    with pytest.raises(ValueError):
        namespace["verify"]([generate_secret()], header, BODY)
    with pytest.raises(ValueError):
        namespace["verify"]([old], header, BODY + b"x")
