"""Memberships through the gateway: the lifecycle with dates, actors and reasons; who may invite, apply,
approve, suspend and withdraw; a PF's members."""
import uuid

import pytest

from tests.e2e.members_world import ok, world

pytestmark = pytest.mark.e2e


def new_org(stack, home="012301", **extra):
    return ok(stack.session("admin").post(stack.url + "/v1/organizations", json={
        "name": f"テスト団体{uuid.uuid4().hex[:6]}", "legal_form": "NPO法人", "home_area_code": home,
        "service_area_codes": [home], **extra}), 201)


def test_the_full_lifecycle_with_history(stack):
    w = world(stack)
    pf = w.pfs["noboribetsu"]["id"]
    org = new_org(stack)
    manager = stack.session("municipality", "012301")
    member = stack.session("organization", org=org["id"])
    invited = ok(manager.post(stack.url + f"/v1/platforms/{pf}/invitations", json={
        "organization_id": org["id"], "recruitment_source": "resource_survey", "effective_on": "2024-02-05"}), 201)
    assert invited["status"] == "invited" and invited["membership_class"] == "member" and invited["tier"] == "wider"
    mid = invited["id"]
    applied = ok(member.post(stack.url + f"/v1/platforms/{pf}/applications", json={
        "organization_id": org["id"], "effective_on": "2024-02-10"}), 201)
    assert applied["id"] == mid and applied["status"] == "applied"
    # The organisation cannot approve itself.
    assert member.post(stack.url + f"/v1/memberships/{mid}/approve", json={}).status_code == 403
    active = ok(manager.post(stack.url + f"/v1/memberships/{mid}/approve", json={"effective_on": "2024-02-16"}))
    assert active["status"] == "active" and active["joined_on"] == "2024-02-16"
    steering = ok(manager.post(stack.url + f"/v1/memberships/{mid}/class", json={"membership_class": "core"}))
    assert steering["membership_class"] == "core" and steering["tier"] == "core"
    no_reason = manager.post(stack.url + f"/v1/memberships/{mid}/suspend", json={})
    assert no_reason.status_code == 422
    suspended = ok(manager.post(stack.url + f"/v1/memberships/{mid}/suspend", json={"reason": "活動休止の申し出"}))
    assert suspended["status"] == "suspended"
    assert manager.post(stack.url + f"/v1/memberships/{mid}/approve", json={}).status_code == 409
    ok(manager.post(stack.url + f"/v1/memberships/{mid}/reinstate", json={}))
    withdrawn = ok(member.post(stack.url + f"/v1/memberships/{mid}/withdraw", json={"reason": "解散"}))
    assert withdrawn["status"] == "withdrawn"
    history = withdrawn["history"]
    assert [h["action"] for h in history] == ["invite", "apply", "approve", "change_class", "suspend", "reinstate",
                                              "withdraw"]
    assert history[0]["effective_on"] == "2024-02-05" and history[0]["actor"].startswith("dev-municipality")
    assert history[1]["actor"].startswith("dev-organization")
    assert history[4]["reason"] == "活動休止の申し出"
    # After withdrawing the organisation may apply again: a new membership.
    again = ok(member.post(stack.url + f"/v1/platforms/{pf}/applications", json={"organization_id": org["id"]}), 201)
    assert again["id"] != mid and again["status"] == "applied"


def test_duplicate_invitations_conflict_and_dates_cannot_go_back(stack):
    w = world(stack)
    pf = w.pfs["iburi"]["id"]
    org = new_org(stack)
    iburi = stack.session("bureau", "01B04")
    mid = ok(iburi.post(stack.url + f"/v1/platforms/{pf}/invitations", json={
        "organization_id": org["id"], "effective_on": "2024-06-01"}), 201)["id"]
    assert iburi.post(stack.url + f"/v1/platforms/{pf}/invitations",
                      json={"organization_id": org["id"]}).status_code == 409
    early = stack.session("organization", org=org["id"]).post(
        stack.url + f"/v1/platforms/{pf}/applications",
        json={"organization_id": org["id"], "effective_on": "2024-05-01"})
    assert early.status_code == 422
    assert ok(stack.session("admin").get(stack.url + f"/v1/memberships/{mid}"))["status"] == "invited"


ROLE_CASES = [
    # role, area, PF key, may manage memberships, may read
    ("prefecture", "01", "hokkaido", True, True),
    ("prefecture", "01", "noboribetsu", False, True),
    ("bureau", "01B04", "iburi", True, True),
    ("bureau", "01B04", "noboribetsu", False, True),
    ("bureau", "01B04", "kushiro", False, False),
    ("municipality", "012301", "noboribetsu", True, True),
    ("municipality", "012301", "iburi", False, False),
    ("municipality", "131083", "koto", True, True),
    ("municipality", "131083", "hokkaido", False, False),
    ("admin", None, "koto", True, True),
]


@pytest.mark.parametrize("role,area,pf_key,manage,read", ROLE_CASES)
def test_who_may_invite_and_list_members(stack, role, area, pf_key, manage, read):
    w = world(stack)
    pf = w.pfs[pf_key]["id"]
    org = new_org(stack)
    session = stack.session(role, area)
    r = session.post(stack.url + f"/v1/platforms/{pf}/invitations", json={"organization_id": org["id"]})
    assert r.status_code == (201 if manage else (403 if read else 404)), r.text
    listing = session.get(stack.url + f"/v1/platforms/{pf}/memberships")
    assert listing.status_code == (200 if read else 404)
    if manage:
        assert org["id"] in {m["organization_id"] for m in listing.json()["contents"]}
        mid = r.json()["id"]
        assert session.get(stack.url + f"/v1/memberships/{mid}").status_code == 200


def test_organisation_staff_apply_only_for_themselves_and_see_only_their_memberships(stack):
    w = world(stack)
    org = new_org(stack)
    other = new_org(stack)
    session = stack.session("organization", org=org["id"])
    pf = w.pfs["hokkaido"]["id"]
    # Not a member yet: the PF is not readable, but it is public enough to apply to.
    assert session.get(stack.url + f"/v1/platforms/{pf}").status_code == 404
    applied = ok(session.post(stack.url + f"/v1/platforms/{pf}/applications", json={
        "organization_id": org["id"], "recruitment_source": "navi_registration"}), 201)
    assert applied["recruitment_source"] == "navi_registration"
    assert ok(session.get(stack.url + f"/v1/platforms/{pf}"))["id"] == pf  # now a member (applicant)
    assert session.post(stack.url + f"/v1/platforms/{pf}/applications",
                        json={"organization_id": other["id"]}).status_code == 404
    assert session.post(stack.url + f"/v1/platforms/{pf}/invitations",
                        json={"organization_id": other["id"]}).status_code == 403
    approved = ok(stack.session("prefecture", "01").post(stack.url + f"/v1/memberships/{applied['id']}/approve",
                                                         json={}))
    assert approved["status"] == "active"
    mine = ok(session.get(stack.url + f"/v1/organizations/{org['id']}"))
    assert [m["platform_id"] for m in mine["memberships"]] == [pf]


def test_a_joint_secretariat_organisation_manages_memberships(stack):
    w = world(stack)
    pf = w.pfs["noboribetsu"]["id"]
    secretariat = stack.session("organization", org=w.orgs["noboribetsu_diner"]["id"])
    org = new_org(stack)
    invited = ok(secretariat.post(stack.url + f"/v1/platforms/{pf}/invitations",
                                  json={"organization_id": org["id"], "membership_class": "core"}), 201)
    assert invited["membership_class"] == "core"
    assert secretariat.patch(stack.url + f"/v1/platforms/{pf}", json={"name": "x"}).status_code == 403


def test_listing_filters_by_status_and_class(stack):
    w = world(stack)
    pf = w.pfs["koto"]["id"]
    koto = stack.session("municipality", "131083")
    a, b = new_org(stack, "131083"), new_org(stack, "131083")
    ok(koto.post(stack.url + f"/v1/platforms/{pf}/invitations", json={"organization_id": a["id"],
                                                                       "membership_class": "core"}), 201)
    mb = ok(koto.post(stack.url + f"/v1/platforms/{pf}/applications", json={"organization_id": b["id"]}), 201)
    ok(koto.post(stack.url + f"/v1/memberships/{mb['id']}/approve", json={}))
    core = ok(koto.get(stack.url + f"/v1/platforms/{pf}/memberships", params={"membership_class": "core"}))
    assert {m["organization_id"] for m in core["contents"]} >= {a["id"]}
    assert b["id"] not in {m["organization_id"] for m in core["contents"]}
    active = ok(koto.get(stack.url + f"/v1/platforms/{pf}/memberships", params={"status": "active"}))
    assert b["id"] in {m["organization_id"] for m in active["contents"]}
    assert all(m["status"] == "active" for m in active["contents"])


ACTION_CASES = [
    # role, area, expected status for approve / suspend / class / read
    ("municipality", "012301", 200, 200),
    ("admin", None, 200, 200),
    ("prefecture", "01", 403, 200),
    ("bureau", "01B04", 403, 200),
    ("bureau", "01B13", 404, 404),
    ("municipality", "012050", 404, 404),
    ("municipality", "131083", 404, 404),
]


@pytest.mark.parametrize("role,area,change,read", ACTION_CASES)
def test_who_may_approve_suspend_and_reclassify_a_membership(stack, role, area, change, read):
    w = world(stack)
    pf = w.pfs["noboribetsu"]["id"]
    org = new_org(stack)
    mid = ok(stack.session("organization", org=org["id"]).post(
        stack.url + f"/v1/platforms/{pf}/applications", json={"organization_id": org["id"]}), 201)["id"]
    session = stack.session(role, area)
    assert session.get(stack.url + f"/v1/memberships/{mid}").status_code == read
    r = session.post(stack.url + f"/v1/memberships/{mid}/approve", json={})
    assert r.status_code == change, r.text
    if change == 200:
        assert ok(session.post(stack.url + f"/v1/memberships/{mid}/class",
                               json={"membership_class": "steering"}))["membership_class"] == "steering"
        assert ok(session.post(stack.url + f"/v1/memberships/{mid}/suspend",
                               json={"reason": "規約違反の確認中"}))["status"] == "suspended"
    else:
        assert session.post(stack.url + f"/v1/memberships/{mid}/suspend",
                            json={"reason": "x"}).status_code == change
        assert session.post(stack.url + f"/v1/memberships/{mid}/withdraw", json={}).status_code == change


def test_another_organisation_cannot_see_or_touch_a_membership(stack):
    w = world(stack)
    pf = w.pfs["koto"]["id"]
    org, stranger = new_org(stack, "131083"), new_org(stack, "131083")
    mid = ok(stack.session("organization", org=org["id"]).post(
        stack.url + f"/v1/platforms/{pf}/applications", json={"organization_id": org["id"]}), 201)["id"]
    other = stack.session("organization", org=stranger["id"])
    assert other.get(stack.url + f"/v1/memberships/{mid}").status_code == 404
    assert other.post(stack.url + f"/v1/memberships/{mid}/withdraw", json={}).status_code == 404
    assert other.get(stack.url + f"/v1/platforms/{pf}/memberships").status_code == 404
    # Members of a PF see its member list; an applicant may not approve itself.
    mine = stack.session("organization", org=org["id"])
    assert mine.get(stack.url + f"/v1/platforms/{pf}/memberships").status_code == 200
    assert mine.post(stack.url + f"/v1/memberships/{mid}/approve", json={}).status_code == 403


def test_organisation_staff_see_only_their_pfs_in_lists_and_the_tree(stack):
    w = world(stack)
    org = new_org(stack, "012301")
    session = stack.session("organization", org=org["id"])
    assert ok(session.get(stack.url + "/v1/platforms"))["items"] == []
    ok(session.post(stack.url + f"/v1/platforms/{w.pfs['noboribetsu']['id']}/applications",
                    json={"organization_id": org["id"]}), 201)
    assert [p["id"] for p in ok(session.get(stack.url + "/v1/platforms"))["items"]] == [w.pfs["noboribetsu"]["id"]]
    assert [r["id"] for r in ok(session.get(stack.url + "/v1/platforms/tree"))["roots"]] == [w.pfs["noboribetsu"]["id"]]
    assert session.patch(stack.url + f"/v1/platforms/{w.pfs['noboribetsu']['id']}",
                         json={"name": "x"}).status_code == 403
