"""Stripe-style webhook signatures, and the verification partners run on their side.

Header:  Tsunagu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=<...>]
One v1 per valid secret: during a rotation both the new and the previous secret sign, so a receiver holding
either verifies. Receivers verify the RAW body bytes before parsing them, compare in constant time and refuse
timestamps outside a tolerance (replay protection).

`verify_signature` depends on the standard library only, so a partner can copy it as it is.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets as _secrets
import time

SIGNATURE_HEADER = "Tsunagu-Signature"
DELIVERY_ID_HEADER = "Tsunagu-Delivery-Id"
EVENT_TYPE_HEADER = "Tsunagu-Event-Type"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    return SECRET_PREFIX + _secrets.token_urlsafe(32)


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body`, signed with every secret given (newest first)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    t = int(time.time()) if timestamp is None else int(timestamp)
    return ",".join([f"t={t}"] + [f"{SCHEME}={compute_signature(s, t, body)}" for s in secrets])


class SignatureVerificationError(Exception):
    pass


def verify_signature(secrets, header: str | None, body: bytes, tolerance: int = 300,
                     now: float | None = None) -> int:
    """Verify a Tsunagu-Signature header against the raw request body.

    `secrets`: one secret or a list of them (during your own rotation, pass both). Returns the signed
    timestamp; raises SignatureVerificationError when the header is malformed, the timestamp is outside
    `tolerance` seconds of now, or no v1 signature matches any secret.
    """
    if isinstance(secrets, str):
        secrets = [secrets]
    if not header:
        raise SignatureVerificationError("missing signature header")
    if isinstance(body, str):
        body = body.encode("utf-8")
    timestamp = None
    signatures = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureVerificationError("malformed timestamp") from None
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureVerificationError("the header carries no timestamp or no v1 signature")
    current = time.time() if now is None else now
    if tolerance is not None and tolerance > 0 and abs(current - timestamp) > tolerance:
        raise SignatureVerificationError("timestamp outside the tolerance")
    for secret in secrets:
        expected = compute_signature(secret, timestamp, body)
        for candidate in signatures:
            if hmac.compare_digest(expected, candidate):
                return timestamp
    raise SignatureVerificationError("no signature matches")
