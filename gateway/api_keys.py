"""Partner API keys: create (shown once), verify, revoke, list. Also a command for admins:

  python -m gateway.api_keys create --org <organization uuid> --name "相談チャット連携"
  python -m gateway.api_keys revoke <key id>
  python -m gateway.api_keys list
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

KEY_PREFIX = "tsu"


@dataclass(frozen=True)
class IssuedKey:
    id: str
    key: str  # the only time the full key exists outside the caller's hands
    prefix: str
    organization_id: str
    name: str


@dataclass(frozen=True)
class VerifiedKey:
    id: str
    organization_id: str
    name: str


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class ApiKeyStore:
    """Verified keys are remembered for `cache_seconds` (a lookup per partner request costs a database round trip).
    Revoking through this process takes effect at once; other gateway processes notice within `cache_seconds`."""

    def __init__(self, pool, cache_seconds: float = 15.0):
        self.pool = pool
        self.cache_seconds = cache_seconds
        self._cache: dict[bytes, tuple[float, VerifiedKey]] = {}
        self._lock = threading.Lock()

    def create(self, organization_id: str, name: str, created_by: str) -> IssuedKey:
        key_id = str(uuid.uuid4())
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, prefix, secret_sha256, organization_id, name, created_by) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (key_id, prefix, _digest(secret), str(uuid.UUID(str(organization_id))), name, created_by))
        return IssuedKey(key_id, f"{KEY_PREFIX}_{prefix}_{secret}", prefix, str(organization_id), name)

    def verify(self, presented: str) -> VerifiedKey | None:
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        _, prefix, secret = parts
        cache_key = _digest(presented)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        verified = self._verify_in_database(prefix, secret)
        if verified is not None and self.cache_seconds > 0:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[cache_key] = (time.monotonic() + self.cache_seconds, verified)
        return verified

    def _verify_in_database(self, prefix: str, secret: str) -> VerifiedKey | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT id, secret_sha256, organization_id, name FROM api_keys "
                "WHERE prefix = %s AND revoked_at IS NULL", (prefix,)).fetchone()
            if row is None or not hmac.compare_digest(bytes(row["secret_sha256"]), _digest(secret)):
                return None
            # Throttled so a busy partner costs one write a minute, not one per request.
            conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = %s AND "
                         "(last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')", (row["id"],))
        return VerifiedKey(str(row["id"]), str(row["organization_id"]), row["name"])

    def revoke(self, key_id: str) -> bool:
        with self.pool.connection() as conn:
            cur = conn.execute("UPDATE api_keys SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL",
                               (key_id,))
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if v[1].id != str(key_id)}
        return cur.rowcount == 1

    def list(self, organization_id: str | None = None) -> list[dict]:
        sql = ("SELECT id, prefix, organization_id, name, created_by, created_at, revoked_at, last_used_at "
               "FROM api_keys")
        params: tuple = ()
        if organization_id:
            sql += " WHERE organization_id = %s"
            params = (organization_id,)
        with self.pool.connection() as conn:
            return conn.execute(sql + " ORDER BY created_at", params).fetchall()


def main(argv=None):
    from services.servicekit.pg_pool import open_pool

    from .settings import GatewaySettings

    parser = argparse.ArgumentParser(description="Manage partner API keys")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create")
    create.add_argument("--org", required=True, help="organisation id the key acts for")
    create.add_argument("--name", required=True)
    revoke = sub.add_parser("revoke")
    revoke.add_argument("key_id")
    sub.add_parser("list")
    args = parser.parse_args(argv)
    store = ApiKeyStore(open_pool(GatewaySettings().database_url, min_size=1, max_size=1))
    if args.command == "create":
        issued = store.create(args.org, args.name, created_by="cli")
        print(f"id:  {issued.id}\nkey: {issued.key}\n(store it now: it is not shown again)")
    elif args.command == "revoke":
        print("revoked" if store.revoke(args.key_id) else "no such active key")
    else:
        for row in store.list():
            print(f"{row['id']}  {row['prefix']}  org={row['organization_id']}  {row['name']}  "
                  f"revoked={row['revoked_at'] or '-'}  last_used={row['last_used_at'] or '-'}")


if __name__ == "__main__":
    main()
