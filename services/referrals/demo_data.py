"""Demo referrals for `make up`: fictitious people only, between organisations the local directory copy knows,
dated in FY R5 (2023) like the events demo, and taken through realistic state changes (accepted within hours,
some completed, some rejected or cancelled, a few still waiting). Idempotent: fixed Idempotency-Keys.

The directory copy arrives over RabbitMQ from the members service: `--wait SECONDS` waits for it.
  python -m services.referrals.demo_data [--wait 120]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg.rows import dict_row

from services.servicekit import settings
from services.servicekit.caller import Principal
from services.servicekit.database import UnitOfWork

from . import referral_use_cases as uc
from .personal_data import keyring_from_environment

JST = timezone(timedelta(hours=9))
SENDERS = {  # who refers from where (an organisation name in the members demo)
    "012301": "登別市総合相談支援センター en",
    "012050": "北海道胆振総合振興局 保健環境部 社会福祉課",
    "012335": "北海道胆振総合振興局 保健環境部 社会福祉課",
    "012068": "釧路社会的企業創造協議会",
    "011002": "北海道社会福祉協議会",
    "131083": "江東区社会福祉協議会",
    "131091": "品川区社会福祉協議会",
}
TARGETS = {  # who takes which field
    "hikikomori": "北海道ひきこもり成年相談センター",
    "8050": "北海道ひきこもり成年相談センター",
    "isolation": "登別市地域包括支援センター「けいあい」",
    "poverty": "北海道NPOサポートセンター",
    "suicide_prevention": "北海道いのちの電話",
    "youth": "サンカクシャ",
    "mimamori": "江東区助け合い活動連絡会",
}
# (area, category, urgency, count, outcome pattern); patterns cycle: C completed, A accepted, P in progress,
# R rejected, X cancelled by the sender, W still waiting.
PLAN = [
    ("012301", "hikikomori", "routine", 5, "CCPAW"),
    ("012301", "isolation", "routine", 4, "CARC"),
    ("012301", "8050", "urgent", 2, "CP"),
    ("012050", "poverty", "routine", 4, "CCAR"),
    ("012050", "isolation", "routine", 1, "C"),
    ("012335", "hikikomori", "routine", 2, "CW"),
    ("012068", "poverty", "routine", 4, "CCPX"),
    ("011002", "suicide_prevention", "urgent", 5, "CCCPA"),
    ("011002", "hikikomori", "routine", 5, "CCAPR"),
    ("131083", "mimamori", "routine", 4, "CCPW"),
    ("131091", "youth", "routine", 3, "CPA"),
]
PATHS = {"C": [("accepted", 6), ("in-progress", 30), ("completed", 24 * 20)], "A": [("accepted", 20)],
         "P": [("accepted", 3), ("in-progress", 48)], "R": [("rejected", 10)], "X": [("cancelled", 2)], "W": []}
NOTES = {"rejected": ("reason", "対象外の相談のため、より適切な窓口へ再紹介をお願いします"),
         "cancelled": ("reason", "ご本人の意向により取り下げ"), "completed": ("outcome", "継続的な居場所・相談先につながった")}


def plan():
    """Deterministic list of (key, area, category, urgency, created_at, path letter, person)."""
    out, n = [], 0
    for area, category, urgency, count, pattern in PLAN:
        for i in range(count):
            n += 1
            created = datetime(2023, 5, 8, 10, tzinfo=JST) + timedelta(days=(n * 37) % 300, hours=n % 7)
            person = {"name": f"見本 太郎{n}", "name_kana": f"ミホン タロウ{n}", "age_band": "40-49",
                      "address_area_code": area}
            out.append((f"demo-{n:03d}", area, category, urgency, created, pattern[i % len(pattern)], person))
    return out


def _organizations(conn) -> dict[str, str]:
    return {r["name"]: str(r["organization_id"]) for r in conn.execute(
        "SELECT organization_id, name FROM directory_organizations WHERE active")}


def seed(dsn: str | None = None) -> str:
    dsn = dsn or settings.database_url("referrals")
    keyring = keyring_from_environment()
    created = 0
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        orgs = _organizations(conn)
        needed = set(SENDERS.values()) | set(TARGETS.values())
        if not needed <= set(orgs):
            return f"referrals demo data: skipped (the directory copy lacks {len(needed - set(orgs))} organisation(s))"
        for key, area, category, urgency, at, letter, person in plan():
            sender, target = orgs[SENDERS[area]], orgs[TARGETS[category]]
            as_sender = Principal("demo-seed", "organization", organization_id=sender, via="system")
            as_target = Principal("demo-seed", "organization", organization_id=target, via="system")
            with conn.transaction():
                ctx = uc.Context(UnitOfWork(conn, "referrals", None, "referrals.demo_data"), as_sender, None,
                                 keyring, at)
                body = {"target_organization_id": target, "category": category, "urgency": urgency,
                        "summary": "デモ用の架空の紹介です（実在の人物ではありません）", "area_code": area, "person": person,
                        "consent": {"obtained_by": "デモ相談員", "method": "written",
                                    "obtained_at": (at - timedelta(hours=1)).isoformat()}}
                (result,) = uc.create_referrals(ctx.uow, [uc.CreateRequest(ctx, body, key)])
                if isinstance(result, Exception):
                    raise result
                if result["replayed"]:
                    continue
                referral_id = result["body"]["id"]
                for status, hours in PATHS[letter]:
                    principal = as_sender if status == "cancelled" else as_target
                    change = {"status": status}
                    if status in NOTES:
                        change[NOTES[status][0]] = NOTES[status][1]
                    step = uc.Context(ctx.uow, principal, None, keyring, at + timedelta(hours=hours))
                    uc.change_status(step, referral_id, change, None)
                created += 1
    return f"referrals demo data: {created} referral(s) created, {len(plan()) - created} already present"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the directory copy")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.wait
    while True:
        message = seed()
        if "skipped" not in message or time.monotonic() >= deadline:
            print(message)
            return 0 if "skipped" not in message else 1
        time.sleep(2)  # the directory copy is still arriving over RabbitMQ


if __name__ == "__main__":
    sys.exit(main())
