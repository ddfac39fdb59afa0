"""Key rotation: re-encrypt every stored person with the active key.

  REFERRALS_ENCRYPTION_KEYS=old:...,new:...  REFERRALS_ACTIVE_KEY_ID=new  python -m services.referrals.reencrypt

Works in batches, each its own transaction with the rows locked (`FOR UPDATE SKIP LOCKED`), so it can run
while the service is up; re-running it is harmless. When it reports 0 remaining, the old key can be removed
from configuration. Prints counts only, never data.
"""
from __future__ import annotations

import argparse
import sys

import psycopg
from psycopg.rows import dict_row

from services.servicekit import settings

from .personal_data import Keyring, Sealed, keyring_from_environment


def reencrypt(dsn: str, keyring: Keyring, batch: int = 500) -> dict:
    done = 0
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        while True:
            with conn.transaction():
                rows = conn.execute(
                    "SELECT referral_id, key_id, nonce, ciphertext FROM referral_persons "
                    "WHERE ciphertext IS NOT NULL AND key_id <> %s LIMIT %s FOR UPDATE SKIP LOCKED",
                    (keyring.active_key_id, batch)).fetchall()
                for row in rows:
                    rid = str(row["referral_id"])
                    person = keyring.open(Sealed(row["key_id"], bytes(row["nonce"]), bytes(row["ciphertext"])), rid)
                    sealed = keyring.seal(person, rid)
                    conn.execute("UPDATE referral_persons SET key_id = %s, nonce = %s, ciphertext = %s "
                                 "WHERE referral_id = %s", (sealed.key_id, sealed.nonce, sealed.ciphertext, rid))
            done += len(rows)
            if len(rows) < batch:
                break
        remaining = conn.execute("SELECT count(*) AS n FROM referral_persons WHERE ciphertext IS NOT NULL "
                                 "AND key_id <> %s", (keyring.active_key_id,)).fetchone()["n"]
        by_key = {r["key_id"]: r["n"] for r in conn.execute(
            "SELECT key_id, count(*) AS n FROM referral_persons WHERE ciphertext IS NOT NULL GROUP BY key_id")}
    return {"reencrypted": done, "remaining_on_other_keys": remaining, "by_key": by_key}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Re-encrypt referral personal data with the active key")
    parser.add_argument("--database-url", default=settings.database_url("referrals"))
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    keyring = keyring_from_environment()
    result = reencrypt(args.database_url, keyring, args.batch)
    print(f"active key {keyring.active_key_id}: re-encrypted {result['reencrypted']}, "
          f"still on other keys {result['remaining_on_other_keys']}, by key {result['by_key']}")
    return 0 if result["remaining_on_other_keys"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
