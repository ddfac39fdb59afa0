"""Bulk CSV import through the gateway: validation per line, all-or-nothing unless skip_invalid, no duplicates
on re-import, scope per row."""
import uuid

import pytest

from tests.e2e.members_world import ok, world

pytestmark = pytest.mark.e2e
HEADER = ("name,name_kana,legal_form,home_area_code,service_area_codes,taxonomy_terms,activity_types,published,"
          "external_id\n")


def csv_post(session, stack, text, **params):
    return session.post(stack.url + "/v1/organizations/import", params=params, data=text.encode("utf-8"),
                        headers={"Content-Type": "text/csv"})


def test_an_invalid_row_blocks_the_whole_file_unless_skipped(stack):
    world(stack)
    tag = uuid.uuid4().hex[:5]
    admin = stack.session("admin")
    text = HEADER + (f"いこい{tag},イコイ,特定非営利活動法人,012301,012301,居場所,居場所づくり,はい,\n"
                     f"壊れた行{tag},,秘密結社,999999,012301,,,,\n"
                     f"エンリッチ{tag},,NPO法人,011002,01,ひきこもり,相談窓口,いいえ,\n")
    r = csv_post(admin, stack, text)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert {e["line"] for e in errors} == {3}
    assert {e["pointer"] for e in errors} >= {"#/legal_form", "#/home_area_code"}
    search = ok(admin.get(stack.url + "/v1/organizations", params={"q": tag}))
    assert search["total_items"] == 0  # nothing imported
    report = ok(csv_post(admin, stack, text, skip_invalid="true"))
    assert report["created"] == 2 and report["invalid"] == 1
    assert [r["status"] for r in report["rows"]] == ["created", "invalid", "created"]
    assert ok(admin.get(stack.url + "/v1/organizations", params={"q": tag}))["total_items"] == 2


def test_a_nul_character_in_a_cell_is_reported_on_its_line_and_column(stack):
    """PostgreSQL text cannot hold U+0000: the row is refused like any invalid row, not a 500."""
    world(stack)
    tag = uuid.uuid4().hex[:5]
    admin = stack.session("admin")
    text = HEADER + (f"いこい{tag},イコイ,特定非営利活動法人,012301,012301,居場所,居場所づくり,はい,\n"
                     f"ぬる{tag}\x00,,NPO法人,012301,012301,,,,\n")
    r = csv_post(admin, stack, text)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"line": 3, "pointer": "#/name",
                                   "detail": "must not contain the NUL character (U+0000)"}]
    report = ok(csv_post(admin, stack, text, skip_invalid="true"))
    assert [r["status"] for r in report["rows"]] == ["created", "invalid"]


def test_reimporting_the_same_file_creates_no_duplicates(stack):
    world(stack)
    tag = uuid.uuid4().hex[:5]
    admin = stack.session("admin")
    text = HEADER + (f"ふまねっと{tag},,認定NPO法人,011002,01,高齢者,その他,はい,navi-{tag}-1\n"
                     f"ペアチル{tag},,一般社団法人,011002,011002,ひとり親家庭,居場所づくり,はい,\n")
    first = ok(csv_post(admin, stack, text))
    assert first["created"] == 2
    second = ok(csv_post(admin, stack, text))
    assert second["created"] == 0 and second["unchanged"] == 2
    # The same organisation with a changed cell is an update; a renamed row with the same external id too.
    changed = text.replace(f"ペアチル{tag},,一般社団法人,011002,011002,ひとり親家庭,居場所づくり,はい",
                           f"ペアチル{tag},,一般社団法人,011002,011002,ひとり親家庭,居場所づくり,いいえ")
    changed = changed.replace(f"ふまねっと{tag},", f"認定NPO法人ふまねっと{tag},")
    third = ok(csv_post(admin, stack, changed))
    assert third["created"] == 0 and third["updated"] == 2
    found = ok(admin.get(stack.url + "/v1/organizations", params={"q": tag}))
    assert found["total_items"] == 2
    assert {o["name"] for o in found["contents"]} == {f"認定NPO法人ふまねっと{tag}", f"ペアチル{tag}"}


def test_duplicates_inside_one_file_and_rows_outside_the_scope_are_reported(stack):
    world(stack)
    tag = uuid.uuid4().hex[:5]
    noboribetsu = stack.session("municipality", "012301")
    text = HEADER + (f"知里森舎{tag},,NPO法人,012301,012301,,,,\n"
                     f"知里森舎{tag},,NPO法人,012301,012301,,,,\n"
                     f"室蘭の団体{tag},,NPO法人,012050,012050,,,,\n")
    r = csv_post(noboribetsu, stack, text)
    assert r.status_code == 422
    by_line = {e["line"]: e["detail"] for e in r.json()["errors"]}
    assert "line 2" in by_line[3] and by_line[4] == "outside your area"
    dry = ok(csv_post(noboribetsu, stack, text, skip_invalid="true", dry_run="true"))
    assert dry["dry_run"] and dry["created"] == 1
    assert ok(noboribetsu.get(stack.url + "/v1/organizations", params={"q": tag}))["total_items"] == 0


def test_multipart_upload_and_shift_jis(stack):
    world(stack)
    tag = uuid.uuid4().hex[:5]
    admin = stack.session("admin")
    text = HEADER + f"もったいないわ・千歳{tag},,NPO法人,012246,012246,フードバンク,,はい,\n"
    r = admin.post(stack.url + "/v1/organizations/import", files={"file": ("survey.csv", text.encode("cp932"),
                                                                          "text/csv")})
    report = ok(r)
    assert report["created"] == 1
    org = ok(admin.get(stack.url + f"/v1/organizations/{report['rows'][0]['organization_id']}"))
    assert org["name"] == f"もったいないわ・千歳{tag}" and org["taxonomy_terms"][0]["code"] == "food_bank"
    assert admin.post(stack.url + "/v1/organizations/import", data=b"",
                      headers={"Content-Type": "text/csv"}).status_code == 400
    assert csv_post(stack.session("organization", org=org["id"]), stack, text).status_code == 422
