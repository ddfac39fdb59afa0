"""The events API through the gateway, with the whole stack running: each role in and out of scope, the
organisation's own registration, the public calendar, the audited CSV export, the race for the last place,
trial projects, handouts and the dashboard figures. PFs and organisations arrive as the members service's
contract events, published here to the real broker."""
from __future__ import annotations

import csv
import io
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.support.contract_events import publish_event
import pytest
import requests

from tests.support.fixtures import connect
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e
PF = {area: str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://tsunagu.example.jp/e2e/platform/{area}"))
      for area in ("01", "01B04", "012301", "131083")}
LEVEL = {"01": "prefecture", "01B04": "bureau", "012301": "municipality", "131083": "municipality"}
MEMBER_ORG, OTHER_ORG, SHAKYO = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
# A PF run by a joint public–private secretariat (共同事務局): the city and its social welfare council.
JOINT_PF = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://tsunagu.example.jp/e2e/platform/012301-joint"))


def publish(event_type, payload, area):
    return publish_event("members", event_type, payload, area)


@pytest.fixture(scope="module")
def world(stack):
    for area, pf in PF.items():
        publish("platform.created", {"platform_id": pf, "revision": 1, "level": LEVEL[area], "area_code": area,
                                     "parent_platform_id": None, "name": f"PF {area}", "phase": "established",
                                     "secretariat_organization_ids": []}, area)
    publish("platform.created", {"platform_id": JOINT_PF, "revision": 1, "level": "municipality",
                                 "area_code": "012301", "parent_platform_id": None, "name": "登別市共同事務局PF",
                                 "phase": "established", "secretariat_organization_ids": [SHAKYO]}, "012301")
    for org, name in ((MEMBER_ORG, "登別市民生委員児童委員協議会"), (OTHER_ORG, "江東区の団体"),
                      (SHAKYO, "登別市社会福祉協議会")):
        publish("organization.registered", {
            "organization_id": org, "revision": 1, "name": name, "name_kana": "", "legal_form": "任意団体",
            "taxonomy_codes": [], "activity_types": [], "service_area_codes": [], "home_area_code": "012301",
            "referral_capacity": "accepting", "published": True, "active": True}, "012301")
    publish("membership.activated", {"membership_id": str(uuid.uuid4()), "revision": 2, "organization_id": MEMBER_ORG,
                                     "platform_id": PF["012301"], "platform_area_code": "012301",
                                     "membership_class": "member", "status": "active", "effective_on": "2024-01-01"},
            "012301")

    def copied():
        with connect("events") as conn:
            return (conn.execute("SELECT count(*) AS n FROM platforms WHERE id = ANY(%s)",
                                 ([*PF.values(), JOINT_PF],)).fetchone()["n"] == 5
                    and conn.execute("SELECT count(*) AS n FROM memberships").fetchone()["n"] >= 1
                    and conn.execute("SELECT count(*) AS n FROM organizations").fetchone()["n"] >= 3)
    wait_until(copied, timeout=30, message="the members' events to be copied")
    return stack


def as_(stack, who):
    roles = {"noboribetsu": ("municipality", "012301", None), "koto": ("municipality", "131083", None),
             "muroran": ("municipality", "012050", None), "bureau": ("bureau", "01B04", None),
             "kushiro": ("bureau", "01B13", None), "pref": ("prefecture", "01", None),
             "tokyo": ("prefecture", "13", None), "admin": ("admin", None, None),
             "member_org": ("organization", None, MEMBER_ORG), "other_org": ("organization", None, OTHER_ORG),
             "shakyo": ("organization", None, SHAKYO)}
    role, area, org = roles[who]
    return stack.session(role, area, org)


def event_body(area, **extra):
    return {"host_platform_id": PF[area], "type": "pf_meeting", "title": "PF推進会議", "audiences": ["pf_members"],
            "capacity": 10, "waitlist_enabled": True,
            "sessions": [{"date": "2099-02-16", "start_time": "13:30", "end_time": "16:00", "venue_name": "ヌプル",
                          "venue_area_code": "012301"}], **extra}


def create(stack, who, area, **extra):
    r = as_(stack, who).post(stack.url + "/v1/events", json=event_body(area, **extra))
    assert r.status_code == 201, r.text
    return r.json()


def test_who_may_schedule_events_for_which_pf(world):
    stack = world
    for who, area, status in (("noboribetsu", "012301", 201), ("bureau", "012301", 422), ("pref", "012301", 422),
                              ("koto", "012301", 422), ("member_org", "012301", 422), ("bureau", "01B04", 201),
                              ("noboribetsu", "01B04", 422), ("pref", "01", 201), ("bureau", "01", 422),
                              ("koto", "131083", 201), ("admin", "131083", 201)):
        r = as_(stack, who).post(stack.url + "/v1/events", json=event_body(area))
        assert r.status_code == status, (who, area, r.text)
        if status == 422:
            assert r.json()["errors"][0]["pointer"] == "#/host_platform_id"
    assert requests.post(stack.url + "/v1/events", json=event_body("012301")).status_code == 401


@pytest.mark.parametrize("host_area,manager,readers,outsiders", [
    ("012301", "noboribetsu", ["bureau", "pref"], ["koto", "muroran", "kushiro", "tokyo", "other_org"]),
    ("01B04", "bureau", ["pref"], ["noboribetsu", "kushiro", "koto"]),
    ("01", "pref", [], ["bureau", "noboribetsu", "tokyo"]),
    ("131083", "koto", ["tokyo"], ["pref", "bureau", "noboribetsu"]),
])
def test_each_role_in_and_out_of_scope(world, host_area, manager, readers, outsiders):
    stack = world
    ev = create(stack, manager, host_area)
    path = f"{stack.url}/v1/events/{ev['id']}"
    assert as_(stack, manager).get(path).json()["may_manage"] is True
    assert as_(stack, manager).patch(path, json={"title": "第2回PF推進会議"}).status_code == 200
    for who in readers:
        got = as_(stack, who).get(path)
        assert got.status_code == 200 and got.json()["may_manage"] is False, who
        assert as_(stack, who).patch(path, json={"title": "x"}).status_code == 403, who
        assert as_(stack, who).post(path + "/status", json={"status": "open"}).status_code == 403, who
        assert ev["id"] in [e["id"] for e in as_(stack, who).get(stack.url + "/v1/events").json()["items"]]
    for who in outsiders:
        assert as_(stack, who).get(path).status_code == 404, who
        assert as_(stack, who).patch(path, json={"title": "x"}).status_code == 404, who
        assert as_(stack, who).get(path + "/registrations").status_code == 404, who
        assert ev["id"] not in [e["id"] for e in as_(stack, who).get(stack.url + "/v1/events").json()["items"]]


def test_a_joint_secretariat_organisation_manages_its_pf_events_and_no_others(world):
    stack = world
    shakyo, member = as_(stack, "shakyo"), as_(stack, "member_org")
    body = {**event_body("012301"), "host_platform_id": JOINT_PF, "title": "共同事務局の研修会"}
    created = shakyo.post(stack.url + "/v1/events", json=body)
    assert created.status_code == 201, created.text
    ev = created.json()
    path = f"{stack.url}/v1/events/{ev['id']}"
    assert shakyo.get(path).json()["may_manage"] is True
    assert ev["id"] in [e["id"] for e in shakyo.get(stack.url + "/v1/events").json()["items"]]  # while planned
    assert shakyo.patch(path, json={"title": "共同事務局の研修会（第2回）"}).status_code == 200
    assert shakyo.post(path + "/status", json={"status": "open"}).json()["status"] == "open"
    # The city's office manages the same PF; another organisation does not, nor does the council elsewhere.
    assert as_(stack, "noboribetsu").get(path).json()["may_manage"] is True
    assert member.post(stack.url + "/v1/events", json={**body, "title": "x"}).status_code == 422
    assert member.patch(path, json={"title": "x"}).status_code == 404  # not even visible to it
    other_pf = shakyo.post(stack.url + "/v1/events", json=event_body("012301"))
    assert other_pf.status_code == 422 and other_pf.json()["errors"][0]["pointer"] == "#/host_platform_id"
    city_event = create(stack, "noboribetsu", "012301", title="市の会議")
    assert shakyo.get(f"{stack.url}/v1/events/{city_event['id']}").status_code == 404
    # A named participant's data: the secretariat sees it (it runs the event), and the read is audited.
    reg = shakyo.post(path + "/registrations", json={"participant_kind": "individual", "attendee_category": "general",
                                                     "person": {"name": "登別 太郎"}})
    assert reg.status_code == 201, reg.text
    assert shakyo.get(f"{stack.url}/v1/registrations/{reg.json()['id']}").json()["person"]["name"] == "登別 太郎"
    reads = shakyo.get(path + "/personal-data-reads").json()["items"]
    assert [(r["registration_id"], r["role"]) for r in reads] == [(reg.json()["id"], "organization")]
    # The members service takes the council off the secretariat: from then on it manages nothing there.
    publish("platform.updated", {"platform_id": JOINT_PF, "revision": 2, "level": "municipality",
                                 "area_code": "012301", "parent_platform_id": None, "name": "登別市PF",
                                 "phase": "established", "secretariat_organization_ids": []}, "012301")
    wait_until(lambda: shakyo.get(path).status_code == 404, timeout=20, message="the secretariat change to arrive")
    assert shakyo.patch(path, json={"title": "x"}).status_code == 404
    assert as_(stack, "noboribetsu").get(path).json()["host_platform"]["name"] == "登別市PF"


def test_organisation_staff_register_their_own_organisation(world):
    stack = world
    ev = create(stack, "noboribetsu", "012301", capacity=3)
    path = f"{stack.url}/v1/events/{ev['id']}"
    assert as_(stack, "member_org").get(path).status_code == 404  # not yet open
    assert as_(stack, "noboribetsu").post(path + "/status", json={"status": "open"}).json()["status"] == "open"
    member = as_(stack, "member_org")
    assert member.get(path).status_code == 200
    planned = create(stack, "noboribetsu", "012301", title="準備中の会議")
    listed = [e["id"] for e in member.get(stack.url + "/v1/events").json()["items"]]
    assert ev["id"] in listed and planned["id"] not in listed
    assert ev["id"] not in [e["id"] for e in as_(stack, "other_org").get(stack.url + "/v1/events").json()["items"]]
    mine = member.post(path + "/registrations", json={"people": 2, "attendee_category": "commissioner"})
    assert mine.status_code == 201 and mine.json()["organization_id"] == MEMBER_ORG
    assert mine.json()["status"] == "registered"
    # Not for another organisation, and an event for PF members is not open to non-members.
    assert member.post(path + "/registrations", json={"organization_id": OTHER_ORG}).status_code == 403
    assert as_(stack, "other_org").post(path + "/registrations", json={}).status_code == 404
    assert member.post(path + "/registrations", json={"people": 1}).status_code == 409  # once per organisation
    assert [r["id"] for r in member.get(path + "/registrations").json()["items"]] == [mine.json()["id"]]
    reg_path = f"{stack.url}/v1/registrations/{mine.json()['id']}"
    assert "person" not in member.get(reg_path).json()
    assert member.post(reg_path + "/status", json={"status": "attended"}).status_code == 403
    assert as_(stack, "koto").get(reg_path).status_code == 404
    assert member.post(reg_path + "/status", json={"status": "cancelled"}).json()["status"] == "cancelled"
    forbidden = as_(stack, "noboribetsu").post(reg_path + "/status", json={"status": "registered"})
    assert forbidden.status_code == 409  # CiviEvent: a cancelled registration stays cancelled


def test_approval_then_confirmation_through_the_gateway(world):
    stack = world
    ev = create(stack, "noboribetsu", "012301", approval_required=True, capacity=5)
    host, member = as_(stack, "noboribetsu"), as_(stack, "member_org")
    host.post(f"{stack.url}/v1/events/{ev['id']}/status", json={"status": "open"})
    reg = member.post(f"{stack.url}/v1/events/{ev['id']}/registrations", json={"people": 2}).json()
    assert reg["status"] == "awaiting_approval" and reg["status_class"] == "Waiting"
    path = f"{stack.url}/v1/registrations/{reg['id']}/status"
    assert member.post(path, json={"status": "pending_from_approval"}).status_code == 403
    assert as_(stack, "bureau").post(path, json={"status": "pending_from_approval"}).status_code == 403
    assert host.post(path, json={"status": "registered"}).status_code == 409  # approval comes first
    assert host.post(path, json={"status": "pending_from_approval"}).json()["is_counted"] is True
    assert member.post(path, json={"status": "registered"}).json()["status"] == "registered"
    assert host.get(f"{stack.url}/v1/events/{ev['id']}").json()["places"]["taken"] == 2
    history = host.get(f"{stack.url}/v1/registrations/{reg['id']}").json()["history"]
    assert [h["to_status"] for h in history] == ["awaiting_approval", "pending_from_approval", "registered"]


def test_public_calendar_and_csv_export(world):
    stack = world
    public = create(stack, "koto", "131083", type="forum", title="「孤独・孤立を考える」フォーラム",
                    audiences=["residents"], public=True, capacity=110)
    hidden = create(stack, "koto", "131083", title="内部会議")
    for ev in (public, hidden):
        as_(stack, "koto").post(f"{stack.url}/v1/events/{ev['id']}/status", json={"status": "open"})
    koto = as_(stack, "koto")
    reg = koto.post(f"{stack.url}/v1/events/{public['id']}/registrations", json={
        "participant_kind": "individual", "attendee_category": "general",
        "person": {"name": "江東 花子", "contact": "=HYPERLINK(\"x\")"}})
    assert reg.status_code == 201
    # Reading the named participant is audited; a read without personal data is not.
    reg_path = f"{stack.url}/v1/registrations/{reg.json()['id']}"
    read = koto.get(reg_path, headers={"X-Request-ID": "read-koto-participant"})
    assert read.json()["person"]["name"] == "江東 花子" and read.headers["Cache-Control"] == "no-store"
    assert "person" not in as_(stack, "tokyo").get(reg_path).json()
    reads = koto.get(f"{stack.url}/v1/events/{public['id']}/personal-data-reads").json()["items"]
    assert [(r["registration_id"], r["role"], r["correlation_id"]) for r in reads] == [
        (reg.json()["id"], "municipality", "read-koto-participant")]
    assert as_(stack, "tokyo").get(f"{stack.url}/v1/events/{public['id']}/personal-data-reads").status_code == 403
    listing = requests.get(stack.url + "/v1/public/events")
    assert listing.status_code == 200
    ids = [e["id"] for e in listing.json()["items"]]
    assert public["id"] in ids and hidden["id"] not in ids
    assert "江東 花子" not in listing.text and "registrations" not in listing.text
    entry = next(e for e in listing.json()["items"] if e["id"] == public["id"])
    assert entry["places"] == {"capacity": 110, "free": 109, "waitlist_open": True}

    host_csv = koto.get(f"{stack.url}/v1/events/{public['id']}/participants.csv")
    assert host_csv.status_code == 200 and host_csv.headers["Content-Type"].startswith("text/csv")
    assert host_csv.headers["X-Personal-Data"] == "included"
    rows = list(csv.reader(io.StringIO(host_csv.content.decode("utf-8-sig"))))
    assert rows[0][-3:] == ["name", "name_kana", "contact"] and rows[1][-3] == "江東 花子"
    assert rows[1][-1].startswith("'=")  # no formula injection
    tokyo_csv = as_(stack, "tokyo").get(f"{stack.url}/v1/events/{public['id']}/participants.csv")
    assert tokyo_csv.status_code == 200 and tokyo_csv.headers["X-Personal-Data"] == "excluded"
    assert "江東 花子" not in tokyo_csv.content.decode("utf-8-sig")
    assert as_(stack, "pref").get(f"{stack.url}/v1/events/{public['id']}/participants.csv").status_code == 404
    assert as_(stack, "other_org").get(f"{stack.url}/v1/events/{public['id']}/participants.csv").status_code == 404
    audit = koto.get(f"{stack.url}/v1/events/{public['id']}/exports").json()["items"]
    assert [(a["role"], a["personal_included"]) for a in audit] == [("municipality", True), ("prefecture", False)]
    assert as_(stack, "tokyo").get(f"{stack.url}/v1/events/{public['id']}/exports").status_code == 403


def test_racing_for_the_last_place_through_the_gateway(world):
    stack = world
    ev = create(stack, "noboribetsu", "012301", capacity=1)
    as_(stack, "noboribetsu").post(f"{stack.url}/v1/events/{ev['id']}/status", json={"status": "open"})

    def attempt(_):
        return as_(stack, "noboribetsu").post(f"{stack.url}/v1/events/{ev['id']}/registrations",
                                              json={"participant_kind": "anonymous", "attendee_category": "general"})
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    assert sorted(r.json()["status"] for r in results) == ["on_waitlist"] * 5 + ["registered"]


def test_validation_trial_projects_handouts_and_statistics(world):
    stack = world
    bad = as_(stack, "noboribetsu").post(stack.url + "/v1/events", json={**event_body("012301"), "type": "party",
                                                                           "capacity": -1})
    assert bad.status_code == 422 and {e["pointer"] for e in bad.json()["errors"]} == {"#/type", "#/capacity"}
    pref = as_(stack, "pref")
    project = pref.post(stack.url + "/v1/trial-projects", json={
        "platform_id": PF["01"], "name": "道内基礎自治体の職員等を対象とした研修会", "starts_on": "2024-01-29",
        "contractors": [{"name": "株式会社北日本広告社", "amount_yen": 3100000}],
        "kpis": [{"code": "participants", "label": "参加者数", "unit": "人", "target": 300}]})
    assert project.status_code == 201 and project.json()["fiscal_year_label"] == "R5"
    pid = project.json()["id"]
    assert as_(stack, "bureau").get(f"{stack.url}/v1/trial-projects/{pid}").status_code == 404
    assert as_(stack, "bureau").post(stack.url + "/v1/trial-projects", json={
        "platform_id": PF["01"], "name": "x", "fiscal_year": 2023}).status_code == 422
    verified = pref.post(f"{stack.url}/v1/trial-projects/{pid}/verification", json={
        "verification_text": "342名参加", "verified_on": "2024-03-15", "measurements": {"participants": {"measured": 342}}})
    assert verified.status_code == 200 and verified.json()["kpis"][0]["achieved"] is True
    handout = as_(stack, "noboribetsu").post(stack.url + "/v1/handouts", json={
        "platform_id": PF["012301"], "item": "パンフレット", "copies_printed": 23000, "distributed_on": "2024-02-01",
        "distributions": [{"site_kind": "市報折込", "copies": 19000}, {"site_kind": "窓口", "site_count": 26,
                                                                      "copies": 4000}]})
    assert handout.status_code == 201 and handout.json()["totals"]["copies_remaining"] == 0
    stats = pref.get(stack.url + "/v1/statistics/events", params={"scope_area": "01", "fiscal_year": 2023})
    assert stats.status_code == 200, stats.text
    body = stats.json()
    mine = [p for p in body["areas"]["01"]["trial_projects"]["projects"] if p["id"] == pid]
    assert mine and mine[0]["budget_yen"] == 3100000 and mine[0]["kpis"][0]["attainment"] == 1.14
    assert body["areas"]["01"]["trial_projects"]["budget_yen"] >= 3100000
    assert body["by_sub_area"]["01B04"]["handouts"]["copies_distributed"] >= 23000
    assert body["totals"]["trial_projects"]["kpis_achieved"] >= 1 and body["as_of"]
    assert as_(stack, "bureau").get(stack.url + "/v1/statistics/events",
                                    params={"scope_area": "01", "fiscal_year": 2023}).status_code == 404
    assert "/v1/statistics/events" in requests.get(stack.url + "/openapi.json").json()["paths"]
    templates = {t["template_code"]: t for t in pref.get(stack.url + "/v1/survey-templates").json()["items"]}
    assert set(templates) == {"awareness_anyone", "understanding", "intention_to_act", "navi_first_learned",
                              "navi_learned_how"}
    statuses = {s["label"]: s for s in pref.get(stack.url + "/v1/registration-statuses").json()["items"]}
    assert statuses["Pending from waitlist"]["class"] == "Pending" and statuses["Pending from waitlist"]["is_counted"]
    assert statuses["On waitlist"]["class"] == "Waiting" and not statuses["On waitlist"]["is_counted"]
