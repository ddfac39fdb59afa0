"""Webhook signing secrets at rest: AES-256-GCM with keys from configuration, selected by key id.

A dump of the database does not reveal the secrets (with them anyone could forge webhooks to a partner).
Stored form: `aesgcm:<key id>:<base64url(nonce || ciphertext+tag)>`, the endpoint id as associated data, so a
sealed secret moved to another endpoint's row does not open.

  WEBHOOK_SECRET_KEYS="k2026b:<base64 32 bytes>,k2026a:<base64 32 bytes>"   first = used to seal; all open

Key rotation: put the new key first, keep the old ones, run
  python -m services.referrals.webhook_secret_box reencrypt
then remove the old key. Without any key configured secrets are stored as `plain:<secret>` and the service
logs a warning at start (local development only).
"""
from __future__ import annotations

import argparse
import base64
import logging
import os
import secrets as _secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)
PLAIN = "plain"
SCHEME = "aesgcm"


class SecretBoxError(Exception):
    pass


def parse_keys(raw: str | None) -> tuple[tuple[str, bytes], ...]:
    keys = []
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        if not sep or not kid or ":" in kid:
            raise ValueError("WEBHOOK_SECRET_KEYS entries look like '<key id>:<base64 key>'")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(key) != 32:
            raise ValueError("webhook secret keys must be 32 bytes (AES-256)")
        keys.append((kid, key))
    if len({kid for kid, _ in keys}) != len(keys):
        raise ValueError("webhook secret key ids must be unique")
    return tuple(keys)


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


class SecretBox:
    def __init__(self, keys: tuple[tuple[str, bytes], ...]):
        self.keys = dict(keys)
        self.current = keys[0][0] if keys else None

    @property
    def encrypts(self) -> bool:
        return self.current is not None

    def seal(self, secret: str, endpoint_id: str) -> str:
        if self.current is None:
            return f"{PLAIN}:{secret}"
        nonce = _secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, secret.encode(), str(endpoint_id).encode())
        return f"{SCHEME}:{self.current}:" + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, stored: str, endpoint_id: str) -> str:
        scheme, _, rest = stored.partition(":")
        if scheme == PLAIN:
            return rest
        if scheme != SCHEME:
            raise SecretBoxError("unknown secret format")
        kid, _, encoded = rest.partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise SecretBoxError(f"no key with id {kid} is configured")
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], str(endpoint_id).encode()).decode()
        except Exception:  # noqa: BLE001 - InvalidTag: wrong key or a row that was tampered with
            raise SecretBoxError("a webhook secret could not be decrypted") from None

    def needs_resealing(self, stored: str) -> bool:
        if self.current is None:
            return False
        return not stored.startswith(f"{SCHEME}:{self.current}:")


def box_from_settings(settings) -> SecretBox:
    return SecretBox(settings.secret_keys)


def reencrypt(conn, box: SecretBox, batch: int = 500) -> int:
    """Re-seal every stored secret with the current key (plain ones too). Returns how many changed."""
    if not box.encrypts:
        raise SecretBoxError("configure WEBHOOK_SECRET_KEYS first")
    changed = 0
    rows = conn.execute("SELECT id, endpoint_id, secret FROM webhook_secrets FOR UPDATE").fetchall()
    for row in rows:
        if box.needs_resealing(row["secret"]):
            plain = box.open(row["secret"], str(row["endpoint_id"]))
            conn.execute("UPDATE webhook_secrets SET secret = %s WHERE id = %s",
                         (box.seal(plain, str(row["endpoint_id"])), row["id"]))
            changed += 1
    return changed


def main(argv=None):
    import psycopg
    from psycopg.rows import dict_row

    from services.servicekit import settings as kit_settings

    from .webhook_settings import WebhookSettings

    parser = argparse.ArgumentParser(description="Webhook signing secrets at rest")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("new-key", help="print a fresh key entry for WEBHOOK_SECRET_KEYS")
    sub.add_parser("reencrypt", help="re-seal every secret with the first key of WEBHOOK_SECRET_KEYS")
    args = parser.parse_args(argv)
    if args.command == "new-key":
        print(new_key())
        return
    box = box_from_settings(WebhookSettings.from_environment())
    with psycopg.connect(kit_settings.database_url("referrals"), row_factory=dict_row) as conn:
        with conn.transaction():
            changed = reencrypt(conn, box)
    print(f"re-encrypted {changed} webhook secret(s) with key {box.current}")


if __name__ == "__main__":
    main()
