import uuid
from datetime import datetime, timezone

import jsonschema
import pytest

from services.members import hsds
from services.members.hsds_schema import definition

ORG = {"id": uuid.UUID("3f0c1a52-6a3e-4f7e-9a51-2a8b8f1c0d11"), "name": "北海道ひきこもり成年相談センター",
       "name_kana": "ホッカイドウ", "alternate_name": None, "description": "", "legal_form": "行政機関",
       "corporate_number": "7000020010006", "external_id": None, "taxonomy_codes": ["hikikomori", "8050"],
       "activity_types": ["consultation", "outreach"], "service_area_codes": ["01", "012301"],
       "service_area_note": None, "home_area_code": "011002", "email": "info@example.jp", "phone": "011-000-0000",
       "website": "https://example.jp/", "contacts": [{"name": "山田太郎"}], "referral_capacity": "paused",
       "published": True, "active": True, "revision": 3, "created_at": datetime(2024, 1, 1, tzinfo=timezone.utc),
       "updated_at": datetime(2024, 2, 1, tzinfo=timezone.utc), "deactivated_at": None}


def validate(kind, document):
    jsonschema.Draft202012Validator(definition(kind), format_checker=jsonschema.FormatChecker()).validate(document)


def test_an_organisation_maps_to_a_valid_hsds_organisation_with_services():
    doc = hsds.organization_dict(ORG, with_services=True)
    validate("organization", doc)
    assert doc["description"] == ORG["name"]  # HSDS requires a description
    assert doc["contacts"] == [] and "山田" not in str(doc)
    assert doc["organization_identifiers"][0]["identifier"] == "7000020010006"
    assert [s["status"] for s in doc["services"]] == ["temporarily closed"] * 2  # 受入停止
    areas = doc["services"][0]["service_areas"]
    assert [a["area_code"] for a in areas] == ["01", "012301"] and areas[1]["name"] == "登別市"
    assert areas[1]["uri"].endswith("/areas/012301")


def test_service_ids_are_stable_and_reversible():
    sid = hsds.service_id_of(str(ORG["id"]), "outreach")
    assert sid == hsds.service_id_of(str(ORG["id"]), "outreach") != hsds.service_id_of(str(ORG["id"]), "consultation")
    assert uuid.UUID(sid).version == 4
    for t in ("consultation", "outreach", "place_to_belong", "other"):
        assert str(uuid.UUID(int=uuid.UUID(hsds.service_id_of(str(ORG["id"]), t)).int ^ hsds._service_mask(t))) == \
            str(ORG["id"])


def test_the_schema_rejects_documents_missing_required_fields_or_with_bad_enums():
    service = hsds.service_dict(ORG, "consultation")
    validate("service", service)
    with pytest.raises(jsonschema.ValidationError):
        validate("service", {**service, "status": "open"})
    with pytest.raises(jsonschema.ValidationError):
        validate("service", {k: v for k, v in service.items() if k != "name"})
    with pytest.raises(jsonschema.ValidationError):
        validate("organization", {**hsds.organization_dict(ORG), "id": "not-a-uuid"})
    with pytest.raises(jsonschema.ValidationError):
        validate("organization_page", {"contents": []})


def test_the_profile_documents_areas_taxonomy_and_legal_forms():
    profile = hsds.profile_document()
    assert "area_code" in profile["service_areas"]["description"]
    assert any(t["name"] == "ひきこもり" for t in profile["taxonomy"]["terms"])
    assert "社会福祉協議会" in profile["legal_forms"]["values"]
