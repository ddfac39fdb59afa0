"""Turning credentials into a Principal: JWT bearer tokens for people, API keys for partner systems.

JWTs: RS256 or ES256 only (hard-coded, never taken from the token: RFC 8725 §2.1), `iss`, `aud`, `exp`, `nbf`
checked, keys from files or a JWKS URL. Claims carry `role` and the `area` or `org` the person works for.
"""
from __future__ import annotations

import logging
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from services.servicekit.areas.registry import default_registry
from services.servicekit.caller import ROLES, Principal
from services.servicekit.errors import Unauthorized

log = logging.getLogger(__name__)
JWT_ROLES = tuple(r for r in ROLES if r != "partner")  # partner systems authenticate with API keys


def _algorithm_for(key) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ES256"
    raise ValueError("only RSA and EC (P-256) public keys are accepted")


class JwtVerifier:
    def __init__(self, issuer: str, audience: str, key_files=(), jwks_url: str | None = None, leeway: int = 30):
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.keys: dict[str, object] = {}
        for path in key_files:
            key = load_pem_public_key(Path(path).read_bytes())
            _algorithm_for(key)
            self.keys[Path(path).name.split(".")[0]] = key
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        if not self.keys and not self.jwks:
            log.warning("no JWT verification keys configured: every bearer token will be refused")

    def _candidate_keys(self, token: str):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("the bearer token is malformed") from exc
        kid = header.get("kid")
        if self.jwks is not None:
            try:
                yield self.jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWTError:
                pass
        if kid and kid in self.keys:
            yield self.keys[kid]
        else:
            yield from self.keys.values()

    def verify(self, token: str) -> dict:
        last_error: Exception | None = None
        for key in self._candidate_keys(token):
            try:
                return jwt.decode(token, key, algorithms=[_algorithm_for(key)], audience=self.audience,
                                  issuer=self.issuer, leeway=self.leeway,
                                  options={"require": ["exp", "iss", "aud", "sub"], "verify_nbf": True})
            except jwt.ExpiredSignatureError as exc:
                raise Unauthorized("the bearer token has expired") from exc
            except (jwt.InvalidAudienceError, jwt.InvalidIssuerError, jwt.ImmatureSignatureError,
                    jwt.MissingRequiredClaimError) as exc:
                raise Unauthorized(f"the bearer token was refused: {exc}") from exc
            except jwt.PyJWTError as exc:
                last_error = exc
        raise Unauthorized("the bearer token's signature could not be verified") from last_error


def principal_from_claims(claims: dict) -> Principal:
    role = claims.get("role")
    if role not in JWT_ROLES:
        raise Unauthorized("the token carries no valid role")
    area = claims.get("area")
    org = claims.get("org")
    if role in ("prefecture", "bureau", "municipality"):
        found = default_registry().find(area) if area else None
        expected = {"prefecture": "prefecture", "bureau": "bureau", "municipality": "municipality"}[role]
        if found is None or (found.level != expected and not (role == "municipality" and found.level == "cross_area")):
            raise Unauthorized(f"a {role} token must name its {expected} in the 'area' claim")
    if role == "organization" and not org:
        raise Unauthorized("an organization token must name its organisation in the 'org' claim")
    return Principal(subject=str(claims["sub"]), role=role, area=area, organization_id=org, via="jwt")
