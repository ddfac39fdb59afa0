"""A small world for the members e2e tests, created once per session through the gateway as an admin:
organisations in 札幌 (serving all of Hokkaido), 登別, 室蘭 and 江東区, and PFs at every level."""
from __future__ import annotations

from dataclasses import dataclass, field

CENTRE = "北海道ひきこもり成年相談センター"


@dataclass
class World:
    orgs: dict = field(default_factory=dict)
    pfs: dict = field(default_factory=dict)


_WORLDS: dict[str, World] = {}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def world(stack) -> World:
    if stack.url in _WORLDS:
        return _WORLDS[stack.url]
    admin = stack.session("admin")
    w = World()

    def org(key, **body):
        w.orgs[key] = ok(admin.post(stack.url + "/v1/organizations", json=body), 201)

    org("centre", name=CENTRE, name_kana="ホッカイドウヒキコモリセイネンソウダンセンター", legal_form="行政機関",
        home_area_code="011002", service_area_codes=["01"], taxonomy_terms=["hikikomori"],
        activity_types=["consultation"], published=True, description="ひきこもりの本人・家族の相談")
    org("noboribetsu_diner", name="登別こども食堂ひまわり", legal_form="任意団体", home_area_code="012301",
        service_area_codes=["012301"], taxonomy_terms=["kodomo_shokudo"], activity_types=["place_to_belong"],
        published=True, contacts=[{"name": "山田花子", "email": "hanako@example.jp"}])
    org("muroran_npo", name="室蘭ひきこもり家族会", legal_form="NPO法人", home_area_code="012050",
        service_area_codes=["012050"], taxonomy_terms=["8050"], activity_types=["outreach"], published=True)
    org("iburi_office", name="北海道胆振総合振興局 保健環境部 社会福祉課", legal_form="行政機関",
        home_area_code="01B04", service_area_codes=["01B04"], taxonomy_terms=["poverty"], published=False)
    org("koto_npo", name="NPO法人深川長屋", legal_form="NPO法人", home_area_code="131083",
        service_area_codes=["131083"], taxonomy_terms=["ibasho"], activity_types=["place_to_belong"], published=True)
    org("kushiro_net", name="釧路地区食でつながるネットワーク", legal_form="任意団体", home_area_code="012068",
        service_area_codes=["01B13"], taxonomy_terms=["food_bank"], published=False)

    def pf(key, **body):
        w.pfs[key] = ok(admin.post(stack.url + "/v1/platforms", json=body), 201)

    pf("hokkaido", name="ほっかいどう孤独・孤立対策官民連携プラットフォーム", level="prefecture", area_code="01",
       phase="established", phase_since="2023-10-26", first_meeting_on="2023-10-26")
    pf("iburi", name="胆振地域孤独・孤立対策官民連携プラットフォーム", level="bureau", area_code="01B04",
       parent_platform_id=w.pfs["hokkaido"]["id"], existing_bodies=["生活困窮支援PF", "見守り連絡会議"])
    pf("kushiro", name="釧路地域孤独・孤立対策官民連携プラットフォーム", level="bureau", area_code="01B13",
       parent_platform_id=w.pfs["hokkaido"]["id"], phase="preparation", phase_since="2024-04-01")
    pf("noboribetsu", name="登別市孤独・孤立対策官民連携プラットフォーム", level="municipality", area_code="012301",
       parent_platform_id=w.pfs["iburi"]["id"], phase="established", phase_since="2023-03-01",
       secretariat_organization_ids=[w.orgs["noboribetsu_diner"]["id"]])
    pf("koto", name="江東区孤独・孤立対策官民連携プラットフォーム", level="municipality", area_code="131083",
       phase="preparation")
    _WORLDS[stack.url] = w
    return w
