"""Synthetic scale data for benchmarks: N organisations spread over areas, legal forms and fields of activity,
written with COPY (the use cases would emit one event per organisation, which a benchmark does not need).
Deterministic for a given seed. Names are made of area names and topic words, never of people.

  python -m services.members.scale_data 200000
"""
from __future__ import annotations

import argparse
import random
import uuid

from psycopg.types.json import Jsonb

from services.servicekit import taxonomy
from services.servicekit.areas.registry import default_registry

from . import repository
from .vocabulary import ACTIVITY_TYPES, LEGAL_FORMS, REFERRAL_CAPACITY

TOPICS = ["ひきこもり家族会", "子ども食堂", "居場所サロン", "見守りネットワーク", "フードバンク", "いのちの電話",
          "相談センター", "ヤングケアラー支援", "ひとり親支援の会", "多世代交流ひろば", "地域食堂", "傾聴ボランティア",
          "若者サポートステーション", "居住支援センター", "こども未来ネット", "つながりカフェ", "ふれあいの家"]
SUFFIXES = ["", "あおば", "ひまわり", "さくら", "ポプラ", "すずらん", "はまなす", "コスモス", "みらい", "きずな"]
COLUMNS = ("id", "name", "name_kana", "description", "legal_form", "taxonomy_codes", "activity_types",
           "service_area_codes", "home_area_code", "contacts", "referral_capacity", "published", "active", "revision",
           "natural_key", "search_text")
TYPES = ("uuid", "text", "text", "text", "text", "text[]", "text[]", "text[]", "text", "jsonb", "text", "bool", "bool",
         "int4", "text", "text")


def generate(n: int, seed: int = 7):
    rng = random.Random(seed)
    registry = default_registry()
    municipalities = registry.municipalities_in("JP")
    hokkaido = [a for a in municipalities if a.code.startswith("01")]
    terms = list(taxonomy.terms())
    forms = list(LEGAL_FORMS)
    for i in range(n):
        # Half the organisations in Hokkaido (the pilot prefecture), the rest anywhere in Japan.
        home = rng.choice(hokkaido) if rng.random() < 0.5 else rng.choice(municipalities)
        reach = rng.random()
        if reach < 0.70:
            areas = [home.code]
        elif reach < 0.85:
            areas = [home.code] + [a.code for a in rng.sample(municipalities, 2) if a.code[:2] == home.code[:2]]
        elif reach < 0.95:
            areas = [home.parent_code]  # its bureau, or its prefecture
        else:
            areas = [home.code[:2]]  # the whole prefecture
        topic = rng.choice(TOPICS)
        name = f"{home.name}{topic}{rng.choice(SUFFIXES)}{i}"
        org = {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4), "name": name, "name_kana": None,
            "description": f"{home.name}で{topic}の活動をしています。", "legal_form": rng.choice(forms),
            "taxonomy_codes": rng.sample(terms, rng.randint(1, 3)),
            "activity_types": rng.sample(list(ACTIVITY_TYPES), rng.randint(1, 2)),
            "service_area_codes": list(dict.fromkeys(areas)), "home_area_code": home.code, "contacts": [],
            "referral_capacity": rng.choice(list(REFERRAL_CAPACITY)), "published": rng.random() < 0.8,
            "active": rng.random() < 0.97, "revision": 1}
        org.update(repository.derived_search_columns(org))
        yield org


def load(conn, n: int, seed: int = 7, batch: int = 5000) -> int:
    """COPY n organisations. The GIN indexes are dropped for the load and rebuilt from their own definitions
    (as read from pg_indexes), which is much faster than maintaining them row by row."""
    written = 0
    gin = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'organizations' "
                       "AND indexdef LIKE '%USING gin%'").fetchall()
    for row in gin:
        conn.execute(f'DROP INDEX "{row[0] if isinstance(row, tuple) else row["indexname"]}"')
    with conn.cursor() as cur:
        with cur.copy(f"COPY organizations ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.set_types(TYPES)
            for org in generate(n, seed):
                org["contacts"] = Jsonb(org["contacts"])
                copy.write_row([org[c] for c in COLUMNS])
                written += 1
    for row in gin:
        conn.execute(row[1] if isinstance(row, tuple) else row["indexdef"])
    return written


def main():
    parser = argparse.ArgumentParser(description="Load N synthetic organisations into the members database")
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import psycopg
    from services.servicekit import settings
    with psycopg.connect(settings.database_url("members")) as conn:
        written = load(conn, args.n, args.seed)
    vacuum_analyze(settings.database_url("members"))
    print(f"{written} organisations written")


def vacuum_analyze(dsn: str) -> None:
    """After a bulk load: statistics for the planner, and the visibility map for index-only work."""
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE organizations")


if __name__ == "__main__":
    main()
