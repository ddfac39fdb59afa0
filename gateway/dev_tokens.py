"""Development tokens, signed by a local ES256 key pair (for `make up` and the tests; never production).

  python -m gateway.dev_tokens keys                       # create var/dev-keys/dev-es256{,.pub}.pem once
  python -m gateway.dev_tokens issue --role bureau --area 01B04 [--sub alice] [--ttl 28800]
"""
from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .settings import GatewaySettings, dev_keys_dir

KEY_ID = "dev-es256"


def ensure_dev_keys(directory: Path | None = None) -> tuple[Path, Path]:
    directory = directory or dev_keys_dir()
    private, public = directory / f"{KEY_ID}.pem", directory / f"{KEY_ID}.pub.pem"
    if not private.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        private.chmod(0o600)
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def issue(role: str, area: str | None = None, org: str | None = None, sub: str | None = None, ttl: int = 8 * 3600,
          settings: GatewaySettings | None = None, private_key_pem: bytes | None = None, **extra) -> str:
    settings = settings or GatewaySettings()
    if private_key_pem is None:
        private_key_pem = ensure_dev_keys()[0].read_bytes()
    now = int(time.time())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": sub or f"dev-{role}-{uuid.uuid4().hex[:6]}",
              "iat": now, "nbf": now, "exp": now + ttl, "role": role}
    if area:
        claims["area"] = area
    if org:
        claims["org"] = org
    claims.update(extra)
    return jwt.encode(claims, private_key_pem, algorithm="ES256", headers={"kid": KEY_ID})


def main(argv=None):
    parser = argparse.ArgumentParser(description="Development key pair and tokens")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("keys")
    issue_cmd = sub.add_parser("issue")
    issue_cmd.add_argument("--role", required=True)
    issue_cmd.add_argument("--area")
    issue_cmd.add_argument("--org")
    issue_cmd.add_argument("--sub")
    issue_cmd.add_argument("--ttl", type=int, default=8 * 3600)
    args = parser.parse_args(argv)
    if args.command == "keys":
        private, public = ensure_dev_keys()
        print(public)
    else:
        print(issue(args.role, args.area, args.org, args.sub, args.ttl))


if __name__ == "__main__":
    main()
