"""The public HSDS 3.0 API: no credentials, published organisations only, documents valid against the project's
JSON Schema (HSDS 3.0 required fields, types, enums; Japan profile)."""
import json

import jsonschema
import pytest
import requests

from services.members.hsds_schema import definition
from tests.e2e.members_world import CENTRE, world

pytestmark = pytest.mark.e2e


def validate(kind, document):
    jsonschema.Draft202012Validator(definition(kind), format_checker=jsonschema.FormatChecker()).validate(document)


def get(stack, path, **params):
    r = requests.get(stack.url + path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    return r


def test_root_and_profile_need_no_credentials(stack):
    root = get(stack, "/hsds/").json()
    validate("api_root", root)
    assert root["version"] == "3.0" and root["profile"].endswith("/hsds/profile")
    profile = get(stack, "/hsds/profile").json()
    assert {"service_areas", "taxonomy", "legal_forms"} <= set(profile)


def test_only_published_organisations_are_listed_and_pages_are_valid(stack):
    w = world(stack)
    page = get(stack, "/hsds/organizations", per_page=500).json()
    validate("organization_page", page)
    ids = {o["id"] for o in page["contents"]}
    assert w.orgs["centre"]["id"] in ids and w.orgs["koto_npo"]["id"] in ids
    assert w.orgs["iburi_office"]["id"] not in ids and w.orgs["kushiro_net"]["id"] not in ids  # unpublished
    assert "山田花子" not in json.dumps(page, ensure_ascii=False)  # people's contacts never published
    one = get(stack, f"/hsds/organizations/{w.orgs['noboribetsu_diner']['id']}").json()
    validate("organization", one)
    assert one["services"] and one["contacts"] == []
    assert requests.get(stack.url + f"/hsds/organizations/{w.orgs['iburi_office']['id']}").status_code == 404
    assert requests.get(stack.url + "/hsds/organizations/not-a-uuid").status_code == 404


def test_search_and_area_filters_work_on_services(stack):
    w = world(stack)
    found = get(stack, "/hsds/organizations", search="ﾋｷｺﾓﾘ").json()
    assert CENTRE in {o["name"] for o in found["contents"]}
    services = get(stack, "/hsds/services", area_code="012301", per_page=500).json()
    validate("service_page", services)
    owners = {s["organization_id"] for s in services["contents"]}
    assert w.orgs["centre"]["id"] in owners and w.orgs["noboribetsu_diner"]["id"] in owners
    assert w.orgs["muroran_npo"]["id"] not in owners
    for service in services["contents"]:
        assert all(a["area_code"] for a in service["service_areas"])
    by_term = get(stack, "/hsds/services", taxonomy_term_id="hikikomori", per_page=500).json()
    assert {s["organization_id"] for s in by_term["contents"]} >= {w.orgs["centre"]["id"], w.orgs["muroran_npo"]["id"]}
    sid = services["contents"][0]["id"]
    single = get(stack, f"/hsds/services/{sid}").json()
    validate("service", single)
    assert single["id"] == sid


def test_services_stream_as_ndjson(stack):
    world(stack)
    paged = get(stack, "/hsds/services", per_page=500).json()
    r = get(stack, "/hsds/services", format="ndjson")
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == paged["total_items"]
    for line in lines:
        validate("service", line)
    orgs = [json.loads(line) for line in get(stack, "/hsds/organizations", format="ndjson").text.splitlines()]
    assert len(orgs) == get(stack, "/hsds/organizations").json()["total_items"]


def test_the_members_endpoints_are_documented_in_openapi(stack):
    spec = requests.get(stack.url + "/openapi.json").json()
    for path in ("/v1/organizations", "/v1/organizations/import", "/v1/organizations/{organization_id}",
                 "/v1/platforms", "/v1/platforms/tree", "/v1/platforms/{platform_id}/phase",
                 "/v1/platforms/{platform_id}/invitations", "/v1/memberships/{membership_id}/approve",
                 "/hsds/", "/hsds/organizations", "/hsds/services", "/hsds/services/{service_id}", "/hsds/profile"):
        assert path in spec["paths"], path
    assert "security" not in spec["paths"]["/hsds/services"]["get"]
    assert spec["paths"]["/v1/organizations"]["post"]["security"]
    create = spec["components"]["schemas"]["OrganizationCreate"]
    assert set(create["required"]) >= {"name", "legal_form", "home_area_code", "service_area_codes"}


def test_the_taxonomy_and_its_terms_are_published(stack):
    taxonomies = get(stack, "/hsds/taxonomies").json()
    validate("taxonomy_page", taxonomies)
    terms = get(stack, "/hsds/taxonomy_terms", per_page=500).json()
    validate("taxonomy_term_page", terms)
    by_code = {t["code"]: t for t in terms["contents"]}
    assert by_code["8050"]["parent_id"] == by_code["hikikomori"]["id"]
    assert all(t["taxonomy_id"] == taxonomies["contents"][0]["id"] for t in terms["contents"])
    children = get(stack, "/hsds/taxonomy_terms", parent_id=by_code["hikikomori"]["id"]).json()
    assert [t["code"] for t in children["contents"]] == ["8050"]
    top = get(stack, "/hsds/taxonomy_terms", top_only="true", per_page=500).json()
    assert all(t["parent_id"] is None for t in top["contents"]) and "isolation" in {t["code"] for t in top["contents"]}
