"""Synthetic scale data for benchmarks: N organisations spread over areas, legal forms and fields of activity,
written with COPY (the use cases would emit one event per organisation, which a benchmark does not need).
Deterministic for a given seed. Names are made of area names and topic words, never of people.

`load_memberships` then gives every prefecture and Hokkaido bureau a PF, and half the municipalities one, with
dated phase and membership histories, at the sizes PFs have (a municipality's 10–60 members, a bureau's
30–100, a prefecture's 100–300), so that the dashboard's as-of figures are measured on real volumes.

  python -m services.members.scale_data 200000
"""
from __future__ import annotations

import argparse
import hashlib
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


PF_SUFFIX = "孤独・孤立対策官民連携プラットフォーム"

# Members of each PF: active organisations at home in its area (a prefecture's or bureau's: anywhere in it),
# taken in a fixed pseudo-random order up to its size, so that a rerun selects the same ones and adds nothing;
# they apply after the PF started (its first phase step, 180 days before its current phase).
_MEMBERSHIPS = """
WITH candidates AS (
    SELECT p.id AS platform_id, p.level, o.id AS organization_id, p.phase_since - 180 AS pf_started,
           row_number() OVER (PARTITION BY p.id ORDER BY md5(o.id::text || p.id::text)) AS rank,
           CASE p.level WHEN 'prefecture' THEN 100 + abs(hashtext(p.id::text)) %% 201
                        WHEN 'bureau' THEN 30 + abs(hashtext(p.id::text)) %% 71
                        ELSE 10 + abs(hashtext(p.id::text)) %% 51 END AS size
    FROM organizations o
    CROSS JOIN LATERAL unnest(ARRAY[o.home_area_code, left(o.home_area_code, 2),
                                    %(bureau_of)s::jsonb ->> o.home_area_code]) AS a(area_code)
    JOIN platforms p ON p.area_code = a.area_code AND p.id = ANY(%(ids)s::uuid[])
    WHERE o.active),
drawn AS (
    SELECT md5('tsunagu-scale-membership:' || organization_id || ':' || platform_id)::uuid AS id, organization_id,
           platform_id, (ARRAY['member', 'member', 'member', 'core', 'steering', 'observer'])[1 + floor(random() * 6)::int]
               AS membership_class,
           CASE WHEN r < 0.85 THEN 'active' WHEN r < 0.92 THEN 'withdrawn' WHEN r < 0.97 THEN 'applied'
                ELSE 'suspended' END AS status,
           pf_started + floor(random() * greatest(30, date '2026-03-31' - pf_started))::int AS applied_on
    FROM (SELECT *, random() AS r FROM candidates WHERE rank <= size) c),
added AS (
    INSERT INTO memberships (id, organization_id, platform_id, membership_class, status, status_since, joined_on)
    SELECT id, organization_id, platform_id, membership_class, status,
           applied_on + CASE status WHEN 'applied' THEN 0 WHEN 'active' THEN 14 ELSE 200 END,
           CASE WHEN status <> 'applied' THEN applied_on + 14 END
    FROM drawn ON CONFLICT DO NOTHING
    RETURNING id, membership_class, status, status_since, joined_on)
INSERT INTO membership_history (membership_id, action, from_status, to_status, membership_class, effective_on, actor)
SELECT id, 'apply', NULL, 'applied', membership_class, coalesce(joined_on - 14, status_since), 'scale-data' FROM added
UNION ALL
SELECT id, 'approve', 'applied', 'active', membership_class, joined_on, 'scale-data' FROM added
WHERE status <> 'applied'
UNION ALL
SELECT id, CASE status WHEN 'withdrawn' THEN 'withdraw' ELSE 'suspend' END, 'active', status, membership_class,
       status_since, 'scale-data' FROM added WHERE status IN ('withdrawn', 'suspended')
"""

_PLATFORMS = """
WITH added AS (
    INSERT INTO platforms (id, name, level, area_code, phase, phase_since, revision)
    SELECT id, name, level, area_code,
           (ARRAY['initial', 'preparation', 'established', 'established', 'self_running'])[1 + floor(random() * 5)::int],
           date '2021-04-01' + floor(random() * 1500)::int, 1
    FROM unnest(%(ids)s::uuid[], %(names)s::text[], %(levels)s::text[], %(codes)s::text[]) AS a(id, name, level, area_code)
    ON CONFLICT DO NOTHING
    RETURNING id, phase, phase_since)
INSERT INTO platform_phase_history (platform_id, from_phase, to_phase, effective_on, actor)
SELECT id, NULL, 'initial', phase_since - 180, 'scale-data' FROM added  -- the start the memberships follow
UNION ALL
SELECT id, 'initial', phase, phase_since, 'scale-data' FROM added WHERE phase <> 'initial'
"""


def scale_platform_id(area_code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://tsunagu.example.jp/scale/members-platform/{area_code}"))


def load_memberships(conn, seed: float = 0.7) -> dict:
    """PFs and their members (see the module's docstring), in one transaction; reruns add only what is
    missing. Returns {"platforms": n, "memberships": n} as now present from this generator."""
    registry = default_registry()
    municipalities = registry.municipalities_in("JP")
    bureaus = [a for a in registry.all() if a.level == "bureau"]
    prefectures = sorted({m.code[:2] for m in municipalities})
    # Half the municipalities have a PF (a fixed half: the same on every run).
    with_pf = [m for m in municipalities if hashlib.md5(m.code.encode()).digest()[0] % 2 == 0]
    areas = ([(code, "prefecture", registry.get(code).name) for code in prefectures]
             + [(b.code, "bureau", b.name) for b in bureaus] + [(m.code, "municipality", m.name) for m in with_pf])
    bureau_of = {m.code: m.parent_code for m in municipalities if m.parent_code in {b.code for b in bureaus}}
    with conn.transaction():
        conn.execute("SELECT setseed(%s)", (seed,))
        conn.execute(_PLATFORMS, {"ids": [scale_platform_id(c) for c, _, _ in areas],
                                  "names": [n + PF_SUFFIX for _, _, n in areas], "levels": [lv for _, lv, _ in areas],
                                  "codes": [c for c, _, _ in areas]})
        conn.execute(_MEMBERSHIPS, {"ids": [scale_platform_id(c) for c, _, _ in areas], "bureau_of": Jsonb(bureau_of)})
        row = conn.execute(
            "SELECT (SELECT count(*) FROM platforms WHERE id = ANY(%s::uuid[])) AS platforms, "
            "(SELECT count(*) FROM memberships m JOIN membership_history h ON h.membership_id = m.id "
            " AND h.actor = 'scale-data' AND h.action = 'apply') AS memberships",
            ([scale_platform_id(c) for c, _, _ in areas],)).fetchone()
    return dict(row) if isinstance(row, dict) else {"platforms": row[0], "memberships": row[1]}


def main():
    parser = argparse.ArgumentParser(description="Load N synthetic organisations into the members database")
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import psycopg
    from services.servicekit import settings
    with psycopg.connect(settings.database_url("members")) as conn:
        written = load(conn, args.n, args.seed)
        conn.commit()
        pfs = load_memberships(conn)
    vacuum_analyze(settings.database_url("members"))
    print(f"{written} organisations written; from the scale generator now: {pfs}")


def vacuum_analyze(dsn: str) -> None:
    """After a bulk load: statistics for the planner, and the visibility map for index-only work."""
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("organizations", "platforms", "platform_phase_history", "memberships", "membership_history"):
            conn.execute(f"VACUUM ANALYZE {table}")


if __name__ == "__main__":
    main()
