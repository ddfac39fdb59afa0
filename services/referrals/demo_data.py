"""Demo referrals for `make up`: idempotent (fixed Idempotency-Keys under the sending organisation), fictitious
people only, and only between organisations the local directory copy already knows. On the very first
`make up` the copy is still empty (the members service publishes its organisations once it runs): the seed
then says so and a later `make up` (or `python -m services.referrals.demo_data`) adds the referrals."""
from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from services.servicekit import settings
from services.servicekit.caller import Principal
from services.servicekit.database import UnitOfWork
from services.servicekit.errors import InvalidInput

from . import referral_use_cases as uc
from .personal_data import keyring_from_environment

DEMO = [  # (idempotency key, category, urgency, summary, area, fictitious person)
    ("demo-001", "hikikomori", "routine", "8050世帯。介護支援専門員の訪問で子のひきこもりが判明（デモ）", "012301",
     {"name": "見本 一郎", "name_kana": "ミホン イチロウ", "age_band": "40-49", "address_area_code": "012301"}),
    ("demo-002", "isolation", "urgent", "転入直後で地域に知り合いがいない高齢者（デモ）", "012301",
     {"name": "試験 花子", "name_kana": "シケン ハナコ", "age_band": "70-79", "phone": "000-0000-0000"}),
]


def seed(dsn: str | None = None) -> str:
    dsn = dsn or settings.database_url("referrals")
    keyring = keyring_from_environment()
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        orgs = conn.execute(
            """SELECT organization_id::text AS id FROM directory_organizations o
               WHERE active AND referral_capacity <> 'paused'
                 AND EXISTS (SELECT 1 FROM directory_memberships m WHERE m.organization_id = o.organization_id
                             AND m.status = 'active')
               ORDER BY organization_id LIMIT 2""").fetchall()
        if len(orgs) < 2:
            return "referrals demo data: skipped (the directory copy knows fewer than two active organisations yet)"
        sender, target = orgs[0]["id"], orgs[1]["id"]
        principal = Principal(subject="demo-seed", role="organization", organization_id=sender, via="system")
        created = 0
        for key, category, urgency, summary, area, person in DEMO:
            with conn.transaction():
                now = uc.utcnow()
                ctx = uc.Context(UnitOfWork(conn, "referrals", None, "referrals.demo_data"), principal, None,
                                 keyring, now)
                body = {"target_organization_id": target, "category": category, "urgency": urgency,
                        "summary": summary, "area_code": area, "person": person,
                        "consent": {"obtained_by": "デモ相談員", "method": "written",
                                    "obtained_at": "2026-04-01T09:00:00+09:00"}}
                try:
                    result = uc.create_referral(ctx, body, key)
                except InvalidInput:  # seeded before between other organisations: leave it
                    continue
                created += 0 if result["replayed"] else 1
    return f"referrals demo data: {created} referral(s) created, {len(DEMO) - created} already present"


if __name__ == "__main__":
    print(seed())
