"""Demo data from the sources (domain.md §1.3, §2.2, §2.4, §7), loaded through the use cases so every change
also goes through the outbox: Hokkaido's prefecture-wide PF with its 14 steering members, the named members and
every municipality and municipal social welfare council as members; 登別市's PF with its roster; the 釧路 bureau
PF in preparation; 江東区's and 品川区's PFs. Idempotent: running it again changes nothing.

Where the sources give no date or place, the value is a stated approximation (marked "approx." below); where an
organisation's seat is not given, its home area is the prefecture (01) rather than an invented municipality.

  python -m services.members.demo_data
"""
from __future__ import annotations

from datetime import date

from services.servicekit.demo_ids import demo_platform_id
from services.servicekit import settings
from services.servicekit.areas.registry import default_registry
from services.servicekit.caller import Principal
from services.servicekit.database import DatabaseSession
from services.servicekit.pg_pool import open_pool

from . import memberships, organizations, platforms, repository

SEEDER = Principal(subject="demo-data", role="admin", via="system")
HOKKAIDO_PF = "ほっかいどう孤独・孤立対策官民連携プラットフォーム"
FIRST_MEETING = date(2023, 10, 26)

# (name, legal form, home area, service areas, taxonomy terms, activity types)
STEERING = [
    ("北海道 保健福祉部 福祉局 地域福祉課", "行政機関", "01", ["01"], ["isolation", "poverty"], ["other"]),
    ("北海道社会福祉協議会", "社会福祉協議会", "01", ["01"], ["isolation", "poverty"], ["consultation"]),
    ("北海道NPOサポートセンター", "NPO法人", "01", ["01"], ["isolation"], ["other"]),
    ("北海道いのちの電話", "社会福祉法人", "01", ["01"], ["suicide_prevention"], ["consultation"]),
    ("道南ひきこもり家族交流会「あさがお」", "任意団体", "01", ["01B06", "01B07"], ["hikikomori", "8050"],
     ["place_to_belong"]),
    ("北海道ひきこもり成年相談センター", "行政機関", "011002", ["01"], ["hikikomori"], ["consultation"]),
    ("北海道総合研究調査会", "一般社団法人", "01", ["01"], ["isolation"], ["other"]),
    ("北海道ねっとわーく", "一般社団法人", "01", ["01"], ["isolation"], ["other"]),
    ("北海道児童養護施設協議会", "任意団体", "01", ["01"], ["child_welfare_facility"], ["other"]),
    ("北海道母子寡婦福祉連合会", "社会福祉法人", "01", ["01"], ["single_parent"], ["consultation"]),
    ("北海道シェルターネットワーク", "任意団体", "01", ["01"], ["dv"], ["consultation"]),
    ("北海道民生委員児童委員連盟", "公益財団法人", "01", ["01"], ["mimamori"], ["outreach"]),
    ("北海道地域定着支援センター", "その他", "01", ["01"], ["reentry"], ["consultation"]),
    ("登別市", "行政機関", "012301", ["012301"], ["isolation"], ["consultation"]),
]
NAMED_MEMBERS = [
    ("まちづくりスポット恵み野", "認定NPO法人", "012319", ["012319"], ["ibasho"], ["place_to_belong"]),
    ("もったいないわ・千歳", "NPO法人", "012246", ["012246"], ["food_bank"], ["other"]),
    ("ペアチル", "一般社団法人", "01", ["01"], ["single_parent"], ["place_to_belong"]),
    ("ふまねっと", "認定NPO法人", "01", ["01"], ["elderly", "ibasho"], ["place_to_belong"]),
    ("いこい", "NPO法人", "01", ["01"], ["ibasho"], ["place_to_belong"]),
    ("北海道レインボー・リソースセンター L-Port", "任意団体", "01", ["01"], ["lgbtq"], ["place_to_belong"]),
    ("CAN", "NPO法人", "01", ["01"], ["youth"], ["other"]),
    ("AIMS（住宅確保要配慮者居住支援法人）", "株式会社", "01", ["01"], ["housing_support"], ["consultation"]),
    ("エンリッチ", "NPO法人", "01", ["01"], ["children_family"], ["other"]),
]
NOBORIBETSU_ROSTER = [
    ("登別市民生委員児童委員協議会", "民生委員児童委員協議会", "012301", ["012301"], ["mimamori"], ["outreach"]),
    ("登別市市民自治推進委員会", "任意団体", "012301", ["012301"], ["isolation"], ["other"]),
    ("登別市連合町内会", "町内会・自治会", "012301", ["012301"], ["mimamori"], ["outreach"]),
    ("登別地区保護司会", "任意団体", "012301", ["012301"], ["reentry"], ["other"]),
    ("登別市地域包括支援センター「けいあい」", "社会福祉法人", "012301", ["012301"], ["elderly"], ["consultation"]),
    ("登別市地域包括支援センター あおい(愛桜)", "社会福祉法人", "012301", ["012301"], ["elderly"], ["consultation"]),
    ("登別市総合相談支援センター en", "社会福祉法人", "012301", ["012301"], ["poverty", "isolation"],
     ["consultation"]),
    ("北海道胆振総合振興局 保健環境部 社会福祉課", "行政機関", "01B04", ["01B04"], ["poverty"], ["other"]),
    ("北海道室蘭児童相談所 地域支援課", "行政機関", "012050", ["01B04"], ["children_family"], ["consultation"]),
    ("あいおいニッセイ同和損害保険株式会社 北海道支店", "株式会社", "011002", ["01"], ["mimamori"], ["outreach"]),
    ("東京海上日動火災保険株式会社 北海道支店", "株式会社", "011002", ["01"], ["mimamori"], ["outreach"]),
    ("日本生命保険相互会社 苫小牧支社", "相互会社", "012131", ["01B04"], ["mimamori"], ["outreach"]),
    ("明治安田生命保険相互会社 苫小牧支社", "相互会社", "012131", ["01B04"], ["mimamori"], ["outreach"]),
]
KUSHIRO = [
    ("釧路総合振興局", "行政機関", "01B13", ["01B13"], ["isolation", "poverty"], ["other"]),
    ("釧路社会的企業創造協議会", "一般社団法人", "012068", ["01B13"], ["poverty"], ["other"]),
    ("釧路地区食でつながるネットワーク", "任意団体", "012068", ["01B13"], ["food_bank", "kodomo_shokudo"], ["other"]),
]
KOTO = [
    ("江東区 福祉部 長寿応援課", "行政機関", "131083", ["131083"], ["elderly", "mimamori"], ["other"]),
    ("南砂地区民生・児童委員協議会", "民生委員児童委員協議会", "131083", ["131083"], ["mimamori"], ["outreach"]),
    ("東陽長寿サポートセンター", "その他", "131083", ["131083"], ["elderly"], ["consultation"]),
    ("江東区スポーツ推進委員会", "任意団体", "131083", ["131083"], ["ibasho"], ["other"]),
    ("江東区助け合い活動連絡会", "任意団体", "131083", ["131083"], ["isolation", "mimamori"], ["other"]),
    ("南砂住宅自治会", "町内会・自治会", "131083", ["131083"], ["mimamori"], ["outreach"]),
    ("大島6丁目団地自治会", "町内会・自治会", "131083", ["131083"], ["mimamori"], ["outreach"]),
    ("深川長屋", "NPO法人", "131083", ["131083"], ["ibasho"], ["place_to_belong"]),
    ("江東社会福祉会", "社会福祉法人", "131083", ["131083"], ["elderly"], ["other"]),
    ("コープ南砂助け合いの会", "任意団体", "131083", ["131083"], ["mimamori"], ["outreach"]),
    ("砂町よっちゃん家", "任意団体", "131083", ["131083"], ["ibasho"], ["place_to_belong"]),
    ("ドリームジャパン", "株式会社", "131083", ["131083"], ["isolation"], ["other"]),
    ("江東区社会福祉協議会", "社会福祉協議会", "131083", ["131083"], ["isolation", "mimamori"], ["consultation"]),
]
SHINAGAWA = [
    ("品川区 福祉部 福祉計画課", "行政機関", "131091", ["131091"], ["isolation"], ["other"]),
    ("品川区社会福祉協議会", "社会福祉協議会", "131091", ["131091"], ["isolation"], ["consultation"]),
    ("子ども若者応援ネットワーク品川", "任意団体", "131091", ["131091"], ["youth", "children_family"], ["other"]),
    ("はぴこね", "NPO法人", "131091", ["131091"], ["youth"], ["place_to_belong"]),
    ("LEGIKA", "NPO法人", "131091", ["131091"], ["youth"], ["other"]),
    ("サンカクシャ", "NPO法人", "131091", ["131091"], ["youth"], ["place_to_belong"]),
    ("マイシェルパ", "株式会社", "131091", ["131091"], ["youth", "suicide_prevention"], ["consultation"]),
]


def ensure_org(uow, spec, published=True) -> dict:
    name, form, home, areas, terms, types = spec
    existing = repository.find_organization_by_key(uow.conn, None, name, home)
    if existing is not None:
        return {"id": str(existing["id"]), "name": existing["name"]}
    return organizations.register(uow, SEEDER, {
        "name": name, "legal_form": form, "home_area_code": home, "service_area_codes": areas,
        "taxonomy_terms": terms, "activity_types": types, "published": published})


def ensure_pf(uow, name, level, area, phases, **extra) -> dict:
    """phases: [(phase, date)] oldest first; the PF is created in the first and moved through the rest."""
    for row in repository.list_platforms(uow.conn, [area], level):
        if row["name"] == name:
            return {"id": str(row["id"]), "area_code": row["area_code"]}
    first_phase, first_date = phases[0]
    pf = platforms.create(uow, SEEDER, {"name": name, "level": level, "area_code": area, "phase": first_phase,
                                        "phase_since": first_date, **extra}, platform_id=demo_platform_id(area))
    for phase, since in phases[1:]:
        platforms.set_phase(uow, SEEDER, pf["id"], {"to_phase": phase, "effective_on": since})
    return pf


def ensure_member(uow, pf, org, membership_class, joined, source, status="active"):
    if repository.current_membership(uow.conn, org["id"], pf["id"]) is not None:
        return
    if status == "invited":
        memberships.invite(uow, SEEDER, pf["id"], {"organization_id": org["id"], "membership_class": membership_class,
                                                   "recruitment_source": source, "effective_on": joined})
        return
    m = memberships.apply(uow, SEEDER, pf["id"], {"organization_id": org["id"], "membership_class": membership_class,
                                                  "recruitment_source": source, "effective_on": joined})
    memberships.act(uow, SEEDER, m["id"], "approve", {"effective_on": joined})


def seed(session: DatabaseSession) -> dict:
    registry = default_registry()
    with session.unit_of_work() as uow:
        steering = [ensure_org(uow, s) for s in STEERING]
        hokkaido = ensure_pf(uow, HOKKAIDO_PF, "prefecture", "01",
                             [("preparation", date(2022, 4, 1)),  # approx.: the R4 preparatory meeting year
                              ("established", FIRST_MEETING)],
                             first_meeting_on=FIRST_MEETING, secretariat_organization_ids=[steering[0]["id"]],
                             description="情報共有、広報・啓発、支援情報の一元化、連携した取組の好事例の共有",
                             existing_bodies=["生活困窮者支援官民連携プラットフォーム"])
        for org in steering:
            ensure_member(uow, hokkaido, org, "steering", FIRST_MEETING, "existing_council")
        for spec in NAMED_MEMBERS:
            ensure_member(uow, hokkaido, ensure_org(uow, spec), "member", date(2024, 3, 15), "navi_registration")
        # All municipalities and all municipal social welfare councils are members [A §2-1 会員].
        for area in registry.municipalities_in("01"):
            city = ensure_org(uow, (area.name, "行政機関", area.code, [area.code], ["isolation"], ["other"]),
                              published=False)
            council = ensure_org(uow, (f"{area.name}社会福祉協議会", "社会福祉協議会", area.code, [area.code],
                                       ["isolation", "poverty"], ["consultation"]))
            if area.code != "012301":  # 登別市 is a steering member
                ensure_member(uow, hokkaido, city, "member", FIRST_MEETING, "existing_council")
            ensure_member(uow, hokkaido, council, "member", FIRST_MEETING, "existing_council")

    with session.unit_of_work() as uow:
        city = ensure_org(uow, STEERING[-1])
        noboribetsu = ensure_pf(uow, "登別市孤独・孤立対策官民連携プラットフォーム", "municipality", "012301",
                                [("initial", date(2022, 4, 1)),  # approx.: set up in R4
                                 ("preparation", date(2023, 1, 1)),  # approx.: 準備会 in R5.1
                                 ("established", date(2023, 3, 1))],  # approx.: PF本会 in R5.3
                                parent_platform_id=None, secretariat_organization_ids=[city["id"]],
                                existing_bodies=["地域福祉推進市民会議", "重層的支援体制整備事業"],
                                description="PF推進会議（2024-02-16 観光交流センター「ヌプル」）")
        ensure_member(uow, noboribetsu, city, "core", date(2023, 3, 1), "existing_council")
        for spec in NOBORIBETSU_ROSTER:
            ensure_member(uow, noboribetsu, ensure_org(uow, spec), "member", date(2023, 3, 1), "existing_council")

        kushiro_orgs = [ensure_org(uow, s) for s in KUSHIRO]
        kushiro = ensure_pf(uow, "釧路地域孤独・孤立対策官民連携プラットフォーム", "bureau", "01B13",
                            [("initial", date(2023, 4, 1)), ("preparation", date(2024, 1, 18))],
                            parent_platform_id=hokkaido["id"], secretariat_organization_ids=[kushiro_orgs[0]["id"]],
                            existing_bodies=["生活困窮支援PF", "見守り連絡会議"],
                            description="FY R5 model area (釧路総合振興局); opinion exchanges 2024-01-18 and 01-30")
        ensure_member(uow, kushiro, kushiro_orgs[0], "core", date(2024, 1, 18), "existing_council")
        for org in kushiro_orgs[1:]:
            ensure_member(uow, kushiro, org, "member", date(2024, 1, 30), "key_person", status="invited")

        koto_orgs = [ensure_org(uow, s) for s in KOTO]
        koto = ensure_pf(uow, "江東区孤独・孤立対策官民連携プラットフォーム", "municipality", "131083",
                         # approx.: the core meetings began in 2023-12
                         [("initial", date(2023, 4, 1)), ("preparation", date(2023, 12, 1))],
                         secretariat_organization_ids=[koto_orgs[0]["id"]], existing_bodies=["江東区助け合い活動連絡会"],
                         description="コアメンバーによる準備会的な位置づけ（3回開催）")
        for org in koto_orgs:
            ensure_member(uow, koto, org, "core", date(2023, 12, 1), "existing_council")

        shinagawa_orgs = [ensure_org(uow, s) for s in SHINAGAWA]
        shinagawa = ensure_pf(uow, "品川区孤独・孤立対策官民連携プラットフォーム", "municipality", "131091",
                              # approx.: the date of the lecture (2024-03-05)
                              [("initial", date(2023, 4, 1)), ("preparation", date(2024, 3, 5))],
                              secretariat_organization_ids=[shinagawa_orgs[0]["id"]],
                              existing_bodies=["品川区地域福祉計画策定委員会", "重層的支援体制整備事業"])
        ensure_member(uow, shinagawa, shinagawa_orgs[0], "core", date(2024, 3, 5), "existing_council")
        for org in shinagawa_orgs[1:]:
            ensure_member(uow, shinagawa, org, "member", date(2024, 3, 5), "key_person", status="invited")
    return {"hokkaido": hokkaido["id"], "noboribetsu": noboribetsu["id"], "kushiro": kushiro["id"],
            "koto": koto["id"], "shinagawa": shinagawa["id"]}


def main():
    pool = open_pool(settings.database_url("members"), min_size=1, max_size=2, name="members-demo")
    try:
        ids = seed(DatabaseSession(pool, producer="members", correlation_id="demo-data", consumer=None))
    finally:
        pool.close()
    print("members demo data loaded: " + ", ".join(f"{k}={v}" for k, v in ids.items()))


if __name__ == "__main__":
    main()
