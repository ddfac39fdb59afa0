"""The organisation directory through the gateway: Japanese search, area and taxonomy filters, scope per role,
HSDS Page shape, ndjson, the change log and optimistic concurrency."""
import json
import uuid
from datetime import datetime, timezone

import pytest
import requests

from tests.e2e.members_world import CENTRE, ok, world

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"


def names(page):
    return {o["name"] for o in page["contents"]}


def world_names(stack, page):
    """The names among this test world's organisations (other tests share the stack and add their own)."""
    return names(page) & {o["name"] for o in world(stack).orgs.values()}


def search(stack, role="admin", area=None, org=None, **params):
    return ok(stack.session(role, area, org).get(stack.url + "/v1/organizations", params=params))


@pytest.mark.parametrize("query", ["ひきこもり", "ヒキコモリ", "ﾋｷｺﾓﾘ", "ひきこもり成年", "北海道　センター"])
def test_japanese_free_text_in_every_spelling_finds_the_centre(stack, query):
    world(stack)
    assert CENTRE in names(search(stack, q=query))


def test_text_search_is_a_substring_match_and_words_combine_with_and(stack):
    world(stack)
    found = names(search(stack, q="ひきこもり"))
    assert {CENTRE, "室蘭ひきこもり家族会"} <= found
    assert "登別こども食堂ひまわり" not in found
    assert world_names(stack, search(stack, q="ひきこもり 室蘭")) == {"室蘭ひきこもり家族会"}
    assert names(search(stack, q="食")) >= {"登別こども食堂ひまわり", "釧路地区食でつながるネットワーク"}
    assert search(stack, q="存在しない団体名")["empty"] is True


def test_a_service_area_matches_organisations_serving_it_or_an_area_containing_it(stack):
    world(stack)
    found = names(search(stack, service_area="012301"))  # 登別市
    assert {CENTRE, "登別こども食堂ひまわり", "北海道胆振総合振興局 保健環境部 社会福祉課"} <= found
    assert "室蘭ひきこもり家族会" not in found  # serves only 室蘭市
    assert "釧路地区食でつながるネットワーク" not in found
    assert "NPO法人深川長屋" not in found


def test_taxonomy_filters_include_descendants_and_filters_combine_with_and(stack):
    world(stack)
    found = names(search(stack, taxonomy_term="hikikomori"))  # 8050問題 is below ひきこもり
    assert {CENTRE, "室蘭ひきこもり家族会"} <= found
    assert world_names(stack, search(stack, taxonomy_term="hikikomori", service_area="012301")) == {CENTRE}
    assert world_names(stack, search(stack, taxonomy_term="hikikomori", activity_type="outreach")) == {
        "室蘭ひきこもり家族会"}
    assert world_names(stack, search(stack, q="ひきこもり", service_area="012050", activity_type="consultation")) == {
        CENTRE}


def test_platform_and_membership_filters(stack):
    w = world(stack)
    admin = stack.session("admin")
    pf = w.pfs["hokkaido"]["id"]
    org = w.orgs["koto_npo"]["id"]
    ok(admin.post(stack.url + f"/v1/platforms/{pf}/invitations", json={"organization_id": org,
                                                                        "membership_class": "observer"}), 201)
    assert world_names(stack, search(stack, platform_id=pf)) == {"NPO法人深川長屋"}
    assert world_names(stack, search(stack, platform_id=pf, membership_status="invited",
                                     membership_class="observer")) == {"NPO法人深川長屋"}
    assert world_names(stack, search(stack, platform_id=pf, membership_status="active")) == set()
    # A PF outside the caller's scope is not found, not an empty result.
    r = stack.session("municipality", "131083").get(stack.url + "/v1/organizations", params={"platform_id": pf})
    assert r.status_code == 404


def test_results_come_in_hsds_pages(stack):
    world(stack)
    first = search(stack, per_page=2, page=1)
    assert set(first) == {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty",
                          "contents"}
    assert first["size"] == 2 and first["first_page"] and not first["last_page"] and not first["empty"]
    assert first["total_pages"] == -(-first["total_items"] // 2)
    last = search(stack, per_page=2, page=first["total_pages"])
    assert last["last_page"] and not last["first_page"]
    beyond = search(stack, per_page=2, page=first["total_pages"] + 1)
    assert beyond["empty"] and beyond["total_items"] == first["total_items"]
    seen = set()
    for number in range(1, first["total_pages"] + 1):
        seen |= {o["id"] for o in search(stack, per_page=2, page=number)["contents"]}
    assert len(seen) == first["total_items"]


def test_ndjson_streams_every_match_and_modified_after_gives_increments(stack):
    world(stack)
    r = stack.session("admin").get(stack.url + "/v1/organizations", params={"format": "ndjson", "per_page": 1})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == search(stack)["total_items"] >= 6
    # People's contacts never leave in bulk, not even to an admin (GET one organisation shows them to editors).
    assert all(line["contacts"] == [] for line in lines)
    assert all(o["contacts"] == [] for o in search(stack, per_page=500)["contents"])
    diner = world(stack).orgs["noboribetsu_diner"]["id"]
    assert ok(stack.session("admin").get(stack.url + f"/v1/organizations/{diner}"))["contacts"][0]["name"] == "山田花子"
    mark = datetime.now(timezone.utc).isoformat()
    target = world(stack).orgs["muroran_npo"]
    ok(stack.session("admin").patch(stack.url + f"/v1/organizations/{target['id']}",
                                    json={"referral_capacity": "waitlist"}))
    changed = search(stack, modified_after=mark)
    assert [o["id"] for o in changed["contents"]] == [target["id"]]
    assert changed["contents"][0]["referral_capacity"] == "waitlist"


SCOPE_CASES = [
    # role, area, visible, hidden
    ("prefecture", "01", ["centre", "noboribetsu_diner", "muroran_npo", "kushiro_net"], ["koto_npo"]),
    ("bureau", "01B04", ["centre", "noboribetsu_diner", "muroran_npo", "iburi_office"], ["kushiro_net", "koto_npo"]),
    ("bureau", "01B13", ["centre", "kushiro_net"], ["noboribetsu_diner", "muroran_npo"]),
    ("municipality", "012301", ["centre", "noboribetsu_diner", "iburi_office"], ["muroran_npo", "kushiro_net"]),
    ("municipality", "131083", ["koto_npo"], ["centre", "noboribetsu_diner"]),
]


@pytest.mark.parametrize("role,area,visible,hidden", SCOPE_CASES)
def test_staff_see_organisations_in_their_scope_and_404_outside(stack, role, area, visible, hidden):
    w = world(stack)
    session = stack.session(role, area)
    listed = {o["id"] for o in search(stack, role, area, per_page=500)["contents"]}
    for key in visible:
        assert w.orgs[key]["id"] in listed, key
        assert session.get(stack.url + f"/v1/organizations/{w.orgs[key]['id']}").status_code == 200
    for key in hidden:
        assert w.orgs[key]["id"] not in listed, key
        r = session.get(stack.url + f"/v1/organizations/{w.orgs[key]['id']}")
        assert r.status_code == 404 and r.headers["Content-Type"].startswith(PROBLEM)
        assert session.patch(stack.url + f"/v1/organizations/{w.orgs[key]['id']}",
                             json={"description": "x"}).status_code == 404


def test_organisation_staff_see_published_ones_and_their_own_and_edit_only_their_own(stack):
    w = world(stack)
    own = w.orgs["kushiro_net"]["id"]  # unpublished
    session = stack.session("organization", org=own)
    listed = {o["id"] for o in search(stack, "organization", org=own, per_page=500)["contents"]}
    assert own in listed and w.orgs["centre"]["id"] in listed
    assert w.orgs["iburi_office"]["id"] not in listed  # unpublished, not theirs
    assert session.get(stack.url + f"/v1/organizations/{w.orgs['iburi_office']['id']}").status_code == 404
    other = session.get(stack.url + f"/v1/organizations/{w.orgs['noboribetsu_diner']['id']}")
    assert other.status_code == 200
    assert other.json()["contacts"] == []  # people's contacts are not shown to other organisations
    assert session.patch(stack.url + f"/v1/organizations/{w.orgs['centre']['id']}",
                         json={"description": "x"}).status_code == 403
    updated = ok(session.patch(stack.url + f"/v1/organizations/{own}", json={"website": "https://kushiro.example.jp/"}))
    assert updated["website"] == "https://kushiro.example.jp/"
    assert session.post(stack.url + "/v1/organizations", json={
        "name": "新しい団体", "legal_form": "任意団体", "home_area_code": "012068",
        "service_area_codes": ["012068"]}).status_code == 403
    assert session.post(stack.url + f"/v1/organizations/{own}/deactivate").status_code == 403


def test_staff_register_only_in_their_area_and_duplicates_conflict(stack):
    world(stack)
    noboribetsu = stack.session("municipality", "012301")
    body = {"name": f"登別市連合町内会{uuid.uuid4().hex[:4]}", "legal_form": "町内会", "home_area_code": "012301",
            "service_area_codes": ["012301"]}
    created = ok(noboribetsu.post(stack.url + "/v1/organizations", json=body), 201)
    assert created["legal_form"] == "町内会・自治会" and created["revision"] == 1 and not created["published"]
    # The same name, spelled in full-width, is the same organisation.
    dup = noboribetsu.post(stack.url + "/v1/organizations", json={**body, "name": body["name"].replace("登別", "登別 ")})
    assert dup.status_code == 409, dup.text
    elsewhere = noboribetsu.post(stack.url + "/v1/organizations", json={**body, "home_area_code": "012050",
                                                                          "service_area_codes": ["012050"]})
    assert elsewhere.status_code == 403
    bad = noboribetsu.post(stack.url + "/v1/organizations", json={"name": "x", "legal_form": "秘密結社",
                                                                   "home_area_code": "999999",
                                                                   "service_area_codes": [],
                                                                   "taxonomy_terms": ["nope"]})
    assert bad.status_code == 422
    pointers = {e["pointer"] for e in bad.json()["errors"]}
    assert {"#/legal_form", "#/home_area_code", "#/service_area_codes", "#/taxonomy_terms/0"} <= pointers


def test_updates_are_logged_per_field_and_stale_revisions_refused(stack):
    world(stack)
    admin = stack.session("admin")
    created = ok(admin.post(stack.url + "/v1/organizations", json={
        "name": f"まちづくりスポット恵み野{uuid.uuid4().hex[:4]}", "legal_form": "認定NPO法人", "home_area_code": "012173",
        "service_area_codes": ["012173"], "contacts": [{"name": "佐藤一郎", "phone": "0123-00-0000"}]}), 201)
    oid = created["id"]
    muni = stack.session("municipality", "012173")
    updated = ok(muni.patch(stack.url + f"/v1/organizations/{oid}", json={
        "revision": 1, "referral_capacity": "paused", "published": True,
        "contacts": [{"name": "鈴木次郎"}]}))
    assert updated["revision"] == 2
    stale = muni.patch(stack.url + f"/v1/organizations/{oid}", json={"revision": 1, "description": "x"})
    assert stale.status_code == 412
    got = ok(muni.get(stack.url + f"/v1/organizations/{oid}"))
    changes = {(m["revision"], m["field_name"]): m for m in got["metadata"]}
    assert changes[(2, "referral_capacity")]["previous_value"] == "accepting"
    assert changes[(2, "referral_capacity")]["replacement_value"] == "paused"
    assert changes[(2, "published")]["last_action_type"] == "update"
    assert changes[(2, "referral_capacity")]["updated_by"].startswith("dev-municipality")
    assert changes[(1, "name")]["last_action_type"] == "create"
    # The log says the contacts changed, never who they were.
    assert changes[(2, "contacts")]["previous_value"] is None and "鈴木" not in json.dumps(got["metadata"])
    # An unchanged PATCH is not a new revision.
    assert ok(muni.patch(stack.url + f"/v1/organizations/{oid}", json={"referral_capacity": "paused"}))["revision"] == 2


def test_deactivated_organisations_leave_the_directory(stack):
    world(stack)
    admin = stack.session("admin")
    created = ok(admin.post(stack.url + "/v1/organizations", json={
        "name": f"閉鎖予定の団体{uuid.uuid4().hex[:4]}", "legal_form": "任意団体", "home_area_code": "012301",
        "service_area_codes": ["012301"]}), 201)
    muroran = stack.session("municipality", "012050")
    assert muroran.post(stack.url + f"/v1/organizations/{created['id']}/deactivate").status_code == 404
    gone = ok(stack.session("municipality", "012301").post(stack.url + f"/v1/organizations/{created['id']}/deactivate"))
    assert gone["active"] is False and gone["revision"] == 2
    assert created["id"] not in {o["id"] for o in search(stack, q=created["name"])["contents"]}
    assert created["id"] in {o["id"] for o in search(stack, q=created["name"], include_inactive="true")["contents"]}
    again = admin.post(stack.url + f"/v1/organizations/{created['id']}/deactivate")
    assert again.status_code == 409


def test_directory_needs_a_token(stack):
    assert requests.get(stack.url + "/v1/organizations").status_code == 401
