"""PFs through the gateway: who may create, read, update and change the phase of which PF; the PF tree."""
import pytest

from tests.e2e.members_world import ok, world

pytestmark = pytest.mark.e2e

# role, area -> PFs (world keys) readable; manageable
ROLES = {
    ("prefecture", "01"): ({"hokkaido", "iburi", "kushiro", "noboribetsu"}, {"hokkaido"}),
    ("bureau", "01B04"): ({"iburi", "noboribetsu"}, {"iburi"}),
    ("bureau", "01B13"): ({"kushiro"}, {"kushiro"}),
    ("municipality", "012301"): ({"noboribetsu"}, {"noboribetsu"}),
    ("municipality", "131083"): ({"koto"}, {"koto"}),
}
ALL = {"hokkaido", "iburi", "kushiro", "noboribetsu", "koto"}


@pytest.mark.parametrize("role,area", list(ROLES))
def test_staff_read_pfs_in_scope_and_get_404_outside(stack, role, area):
    w = world(stack)
    session = stack.session(role, area)
    readable, _ = ROLES[(role, area)]
    listed = {p["id"] for p in ok(session.get(stack.url + "/v1/platforms"))["items"]}
    mine = {w.pfs[k]["id"] for k in readable}
    assert mine <= listed
    assert not ({w.pfs[k]["id"] for k in ALL - readable} & listed)
    for key in ALL:
        r = session.get(stack.url + f"/v1/platforms/{w.pfs[key]['id']}")
        assert r.status_code == (200 if key in readable else 404), (key, r.text)


@pytest.mark.parametrize("role,area", list(ROLES))
def test_staff_manage_only_their_own_pf(stack, role, area):
    w = world(stack)
    session = stack.session(role, area)
    readable, manageable = ROLES[(role, area)]
    for key in ALL:
        pf = w.pfs[key]
        r = session.patch(stack.url + f"/v1/platforms/{pf['id']}", json={"description": f"{role} was here"})
        expected = 200 if key in manageable else (403 if key in readable else 404)
        assert r.status_code == expected, (key, r.text)


def test_creating_pfs_follows_the_level_and_area_rules(stack):
    w = world(stack)
    iburi = stack.session("bureau", "01B04")
    sub = ok(iburi.post(stack.url + "/v1/platforms", json={
        "name": "胆振 ひきこもり分科会", "level": "bureau", "area_code": "01B04",
        "parent_platform_id": w.pfs["iburi"]["id"]}), 201)
    assert sub["subcommittee"] is True and sub["phase"] == "initial"
    assert sub["phase_history"][0]["to_phase"] == "initial"
    assert iburi.post(stack.url + "/v1/platforms", json={"name": "x", "level": "municipality",
                                                         "area_code": "012301"}).status_code == 403
    wrong_level = iburi.post(stack.url + "/v1/platforms", json={"name": "x", "level": "municipality",
                                                                "area_code": "01B04"})
    assert wrong_level.status_code == 422 and wrong_level.json()["errors"][0]["pointer"] == "#/area_code"
    # A parent must cover the child: 登別 cannot hang under 釧路.
    admin = stack.session("admin")
    bad_parent = admin.post(stack.url + "/v1/platforms", json={"name": "x", "level": "municipality",
                                                               "area_code": "012050",
                                                               "parent_platform_id": w.pfs["kushiro"]["id"]})
    assert bad_parent.status_code == 422
    # Prefecture staff may set up a cross-area PF inside the prefecture; a bureau may not.
    pref = stack.session("prefecture", "01")
    xa = ok(pref.post(stack.url + "/v1/platforms", json={"name": "西胆振広域PF", "level": "cross_area",
                                                         "area_code": "xa-nishi-iburi",
                                                         "parent_platform_id": w.pfs["hokkaido"]["id"]}), 201)
    assert xa["level"] == "cross_area"
    assert iburi.post(stack.url + "/v1/platforms", json={"name": "y", "level": "cross_area",
                                                         "area_code": "xa-nishi-iburi"}).status_code == 403
    assert stack.session("organization", org=w.orgs["centre"]["id"]).post(
        stack.url + "/v1/platforms", json={"name": "z", "level": "prefecture", "area_code": "01"}).status_code == 403


def test_joint_secretariat_and_existing_bodies(stack):
    w = world(stack)
    noboribetsu = stack.session("municipality", "012301")
    pf = w.pfs["noboribetsu"]
    updated = ok(noboribetsu.patch(stack.url + f"/v1/platforms/{pf['id']}", json={
        "secretariat_organization_ids": [w.orgs["noboribetsu_diner"]["id"], w.orgs["iburi_office"]["id"]],
        "existing_bodies": ["地域福祉推進市民会議", "重層的支援会議"]}))
    assert updated["joint_secretariat"] is True and updated["existing_bodies"] == ["地域福祉推進市民会議", "重層的支援会議"]
    # 任意団体 (the diner) + 行政機関 (the bureau office): a joint public-private secretariat (共同事務局).
    assert updated["joint_public_private"] is True
    assert {s["sector"] for s in updated["secretariat"]} == {"public", "private"}
    unknown = noboribetsu.patch(stack.url + f"/v1/platforms/{pf['id']}", json={
        "secretariat_organization_ids": ["00000000-0000-0000-0000-000000000000"]})
    assert unknown.status_code == 422
    stale = noboribetsu.patch(stack.url + f"/v1/platforms/{pf['id']}", json={"revision": 1, "name": "x"})
    assert stale.status_code == 412


def test_phase_changes_are_dated_and_kept_as_history(stack):
    w = world(stack)
    kushiro = stack.session("bureau", "01B13")
    pf = w.pfs["kushiro"]
    changed = ok(kushiro.post(stack.url + f"/v1/platforms/{pf['id']}/phase",
                              json={"to_phase": "established", "effective_on": "2025-04-01"}))
    assert changed["phase"] == "established" and changed["phase_label"] == "設立"
    assert changed["phase_since"] == "2025-04-01"
    assert [h["to_phase"] for h in changed["phase_history"]] == ["preparation", "established"]
    back = kushiro.post(stack.url + f"/v1/platforms/{pf['id']}/phase",
                        json={"to_phase": "preparation", "effective_on": "2025-05-01"})
    assert back.status_code == 422 and back.json()["errors"][0]["pointer"] == "#/reason"
    early = kushiro.post(stack.url + f"/v1/platforms/{pf['id']}/phase",
                         json={"to_phase": "self_running", "effective_on": "2025-01-01"})
    assert early.status_code == 422
    assert stack.session("bureau", "01B04").post(stack.url + f"/v1/platforms/{pf['id']}/phase", json={
        "to_phase": "self_running", "effective_on": "2026-01-01"}).status_code == 404
    assert stack.session("prefecture", "01").post(stack.url + f"/v1/platforms/{pf['id']}/phase", json={
        "to_phase": "self_running", "effective_on": "2026-01-01"}).status_code == 403


def test_the_pf_tree_is_limited_to_the_scope(stack):
    w = world(stack)
    roots = ok(stack.session("prefecture", "01").get(stack.url + "/v1/platforms/tree"))["roots"]
    hokkaido = next(r for r in roots if r["id"] == w.pfs["hokkaido"]["id"])
    bureaus = {c["id"]: c for c in hokkaido["children"]}
    assert w.pfs["iburi"]["id"] in bureaus and w.pfs["kushiro"]["id"] in bureaus
    assert w.pfs["noboribetsu"]["id"] in {c["id"] for c in bureaus[w.pfs["iburi"]["id"]]["children"]}
    assert w.pfs["koto"]["id"] not in {r["id"] for r in roots}
    bureau_roots = ok(stack.session("bureau", "01B04").get(stack.url + "/v1/platforms/tree"))["roots"]
    iburi = next(r for r in bureau_roots if r["id"] == w.pfs["iburi"]["id"])  # its parent is out of scope
    assert w.pfs["noboribetsu"]["id"] in {c["id"] for c in iburi["children"]}
    assert w.pfs["hokkaido"]["id"] not in {r["id"] for r in bureau_roots}

