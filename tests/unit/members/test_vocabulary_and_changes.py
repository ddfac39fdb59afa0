from datetime import datetime, timezone

from services.members.organizations import diff, normalise_input
from services.members.paging import page
from services.members.vocabulary import canonical_legal_form, tier_of


def test_legal_form_aliases():
    assert canonical_legal_form("特定非営利活動法人") == "NPO法人"
    assert canonical_legal_form("(社福)") == "社会福祉法人"
    assert canonical_legal_form("（公財）") == "公益財団法人"
    assert canonical_legal_form("ＮＰＯ法人") == "NPO法人"
    assert canonical_legal_form("認定NPO法人") == "認定NPO法人"
    assert canonical_legal_form("秘密結社") is None


def test_tiers():
    assert tier_of("steering") == tier_of("core") == "core"
    assert tier_of("member") == tier_of("observer") == "wider"


def test_normalised_input_stores_term_codes_and_canonical_forms():
    out = normalise_input({"name": " 北海道いのちの電話 ", "legal_form": "社福",
                           "taxonomy_terms": ["suicide_prevention", "suicide_prevention"],
                           "service_area_codes": ["01", "01"]})
    assert out == {"name": "北海道いのちの電話", "legal_form": "社会福祉法人", "taxonomy_codes": ["suicide_prevention"],
                   "service_area_codes": ["01"]}


def test_diff_reports_only_real_changes():
    current = {"name": "A", "published": False, "service_area_codes": ["01"],
               "updated_at": datetime(2024, 1, 1, tzinfo=timezone.utc)}
    assert diff(current, {"name": "A", "published": True, "service_area_codes": ["01", "012301"]}) == [
        ("published", False, True), ("service_area_codes", ["01"], ["01", "012301"])]


def test_hsds_page_shape():
    p = page([1, 2], total_items=5, page_number=1, per_page=2)
    assert p == {"total_items": 5, "total_pages": 3, "page_number": 1, "size": 2, "first_page": True,
                 "last_page": False, "empty": False, "contents": [1, 2]}
    last = page([5], 5, 3, 2)
    assert last["last_page"] and not last["first_page"]
    none = page([], 0, 1, 50)
    assert none["empty"] and none["total_pages"] == 0 and none["last_page"]


def test_home_areas_are_prefectures_bureaus_or_municipalities():
    from services.members.schemas import OrganizationCreateSchema
    base = {"name": "x", "legal_form": "任意団体", "service_area_codes": ["JP"]}
    for code in ("01", "01B04", "012301"):
        assert OrganizationCreateSchema().validate({**base, "home_area_code": code}) == {}
    for code in ("JP", "xa-nishi-iburi", "999999"):
        assert "home_area_code" in OrganizationCreateSchema().validate({**base, "home_area_code": code})
