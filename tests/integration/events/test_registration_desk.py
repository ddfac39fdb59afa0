"""Registrations against real PostgreSQL: capacity, waitlist, approval, CiviEvent transitions, the race for
the last place, encrypted personal data and its erasure, audited CSV export."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from services.events import event_catalogue, registration_desk
from services.events.personal_data import KeyRing
from services.events.schemas import EventCreateSchema, RegistrationCreateSchema
from services.servicekit import settings
from services.servicekit.caller import Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from .conftest import outbox

pytestmark = pytest.mark.integration
NOBORIBETSU = Principal("staff-noboribetsu", "municipality", "012301")
BUREAU = Principal("staff-iburi", "bureau", "01B04")
KOTO = Principal("staff-koto", "municipality", "131083")
NOW = datetime(2024, 2, 1, 9, 0, tzinfo=timezone.utc)
KEYRING = KeyRing.parse("t1:" + "A" * 43 + "=", "t1")


def org(world, key):
    return Principal(f"staff-{key}", "organization", organization_id=world[key])


def new_event(units, world, principal=NOBORIBETSU, status="open", **fields):
    body = {"host_platform_id": world["pf"], "type": "pf_meeting", "title": "登別市PF推進会議",
            "audiences": ["pf_members", "supporters"], "capacity": 2, "waitlist_enabled": True,
            "sessions": [{"date": "2024-02-16", "start_time": "13:30", "end_time": "16:00",
                          "venue_name": "観光交流センター「ヌプル」", "venue_area_code": "012301"}], **fields}
    with units() as uow:
        ev = event_catalogue.create_event(uow, principal, str(uuid.uuid4()), EventCreateSchema().load(body))
    if status == "open":
        with units() as uow:
            ev = event_catalogue.change_status(uow, principal, ev["id"], "open", NOW)
    return ev


def register(units, principal, event_id, **body):
    data = RegistrationCreateSchema().load(body)
    if data.get("organization_id"):
        data["organization_id"] = str(data["organization_id"])
    with units() as uow:
        return registration_desk.register(uow, principal, event_id, data, KEYRING, NOW)


def move(units, principal, registration_id, status):
    with units() as uow:
        return registration_desk.change_status(uow, principal, registration_id, status, None, NOW)


def status_of(units, registration_id):
    with units() as uow:
        return uow.conn.execute("SELECT status FROM registrations WHERE id = %s", (registration_id,)).fetchone()["status"]


def test_places_waitlist_and_the_first_waiting_gets_a_freed_place(units, world):
    ev = new_event(units, world)
    a = register(units, org(world, "org_a"), ev["id"], organization_id=world["org_a"])
    b = register(units, org(world, "org_b"), ev["id"], organization_id=world["org_b"])
    c = register(units, org(world, "org_c"), ev["id"], organization_id=world["org_c"])
    d = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    assert [a["status"], b["status"], c["status"], d["status"]] == ["registered", "registered", "on_waitlist",
                                                                    "on_waitlist"]
    assert a["status_class"] == "Positive" and c["status_class"] == "Waiting" and not c["is_counted"]
    with pytest.raises(Conflict):  # an organisation registers once
        register(units, org(world, "org_a"), ev["id"], organization_id=world["org_a"])
    # org A cancels: the first on the waitlist (C, not D) is offered the place.
    move(units, org(world, "org_a"), a["id"], "cancelled")
    assert status_of(units, c["id"]) == "pending_from_waitlist"
    assert status_of(units, d["id"]) == "on_waitlist"
    # C takes it up itself; D is still waiting.
    assert move(units, org(world, "org_c"), c["id"], "registered")["status"] == "registered"
    with units() as uow:
        places = event_catalogue.get_event(uow, NOBORIBETSU, ev["id"])["places"]
    assert places == {"capacity": 2, "taken": 2, "free": 0, "waiting": 1, "awaiting_approval": 0}
    # Raising the capacity offers the new place at once.
    with units() as uow:
        event_catalogue.update_event(uow, NOBORIBETSU, ev["id"], {"capacity": 3}, NOW)
    assert status_of(units, d["id"]) == "pending_from_waitlist"
    changed = [e for e in outbox(_dsn(units))
               if e["type"] == "registration.status_changed" and e["payload"]["event_id"] == ev["id"]]
    assert [(e["payload"]["from_status"], e["payload"]["status"]) for e in changed] == [
        ("registered", "cancelled"), ("on_waitlist", "pending_from_waitlist"),
        ("pending_from_waitlist", "registered"), ("on_waitlist", "pending_from_waitlist")]


def _dsn(_units=None):
    return settings.database_url("events")


def test_forbidden_transitions_are_refused_and_participants_only_cancel_or_accept(units, world):
    ev = new_event(units, world)
    a = register(units, org(world, "org_a"), ev["id"], organization_id=world["org_a"])
    with pytest.raises(Conflict):
        move(units, NOBORIBETSU, a["id"], "on_waitlist")
    with pytest.raises(Conflict):
        move(units, NOBORIBETSU, a["id"], "pending_from_approval")
    with pytest.raises(Forbidden):  # the organisation may not reject itself or others' decisions
        move(units, org(world, "org_a"), a["id"], "rejected")
    with pytest.raises(NotFound):  # another organisation does not see it at all
        move(units, org(world, "org_b"), a["id"], "cancelled")
    move(units, org(world, "org_a"), a["id"], "cancelled")
    with pytest.raises(Conflict):  # cancelled is final
        move(units, NOBORIBETSU, a["id"], "registered")


def test_approval_required(units, world):
    ev = new_event(units, world, approval_required=True, capacity=1, waitlist_enabled=False)
    a = register(units, org(world, "org_a"), ev["id"], organization_id=world["org_a"])
    b = register(units, org(world, "org_b"), ev["id"], organization_id=world["org_b"])
    assert a["status"] == b["status"] == "awaiting_approval" and not a["is_counted"]
    with pytest.raises(Conflict):  # approval comes first
        move(units, NOBORIBETSU, a["id"], "registered")
    with pytest.raises(Forbidden):  # the organisation cannot approve itself
        move(units, org(world, "org_a"), a["id"], "pending_from_approval")
    assert move(units, NOBORIBETSU, a["id"], "pending_from_approval")["is_counted"]
    with pytest.raises(Conflict):  # the only place is held by A's approval
        move(units, NOBORIBETSU, b["id"], "pending_from_approval")
    assert move(units, NOBORIBETSU, b["id"], "rejected")["status_class"] == "Negative"
    assert move(units, org(world, "org_a"), a["id"], "registered")["status"] == "registered"


def test_a_full_event_without_waitlist_refuses_and_registration_needs_an_open_event(units, world):
    ev = new_event(units, world, capacity=1, waitlist_enabled=False)
    register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    with pytest.raises(Conflict):
        register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    planned = new_event(units, world, status="planned")
    with pytest.raises(Conflict):
        register(units, NOBORIBETSU, planned["id"], participant_kind="anonymous", attendee_category="general")
    closing = new_event(units, world, registration_closes_at=(NOW - timedelta(hours=1)).isoformat())
    with pytest.raises(Conflict):  # the window closed (the host may still register late)
        register(units, org(world, "org_a"), closing["id"], organization_id=world["org_a"])


@pytest.mark.parametrize("waitlist", [True, False])
def test_racing_for_the_last_place_exactly_one_gets_it(units, world, waitlist):
    """Eight registrations at once for one place, each in its own transaction on its own connection."""
    ev = new_event(units, world, capacity=1, waitlist_enabled=waitlist)
    barrier = threading.Barrier(8)
    results, errors = [], []

    def attempt():
        barrier.wait()
        try:
            results.append(register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous",
                                    attendee_category="general")["status"])
        except Conflict:
            errors.append("full")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("registered") == 1
    if waitlist:
        assert sorted(results) == ["on_waitlist"] * 7 + ["registered"]
    else:
        assert errors == ["full"] * 7
    with units() as uow:
        assert event_catalogue.get_event(uow, NOBORIBETSU, ev["id"])["places"]["taken"] == 1


def test_personal_data_is_encrypted_shown_only_to_the_host_exported_with_audit_and_erased(units, world):
    ev = new_event(units, world, capacity=None)
    named = register(units, NOBORIBETSU, ev["id"], participant_kind="individual", attendee_category="commissioner",
                     person={"name": "登別 太郎", "name_kana": "のぼりべつ たろう", "contact": "0143-00-0000"})
    register(units, org(world, "org_a"), ev["id"], organization_id=world["org_a"], people=2)
    with units() as uow:
        raw = uow.conn.execute("SELECT personal_sealed, personal_key_id FROM registrations WHERE id = %s",
                               (named["id"],)).fetchone()
    assert raw["personal_key_id"] == "t1" and "登別 太郎".encode() not in bytes(raw["personal_sealed"])
    with units() as uow:
        assert registration_desk.get_registration(uow, NOBORIBETSU, named["id"], KEYRING)["person"]["name"] == "登別 太郎"
        assert "person" not in registration_desk.get_registration(uow, BUREAU, named["id"], KEYRING)
        with pytest.raises(NotFound):
            registration_desk.get_registration(uow, KOTO, named["id"], KEYRING)
    with units("req-export-1") as uow:
        host_csv = registration_desk.export_participants(uow, NOBORIBETSU, ev["id"], KEYRING, "req-export-1")
    with units("req-export-2") as uow:
        bureau_csv = registration_desk.export_participants(uow, BUREAU, ev["id"], KEYRING, "req-export-2")
    assert host_csv["personal_data_included"] and "登別 太郎" in host_csv["csv"] and host_csv["rows"] == 2
    assert not bureau_csv["personal_data_included"] and "登別 太郎" not in bureau_csv["csv"]
    assert "民生委員児童委員" in bureau_csv["csv"]
    with units() as uow:
        audit = registration_desk.export_audit(uow, NOBORIBETSU, ev["id"])
        with pytest.raises(Forbidden):
            registration_desk.export_audit(uow, BUREAU, ev["id"])
    assert [(a["subject"], a["personal_included"], a["correlation_id"]) for a in audit] == [
        ("staff-noboribetsu", True, "req-export-1"), ("staff-iburi", False, "req-export-2")]
    # No event in the outbox carries the name, kana or contact.
    for envelope in outbox(_dsn(units)):
        text = str(envelope)
        assert "登別 太郎" not in text and "のぼりべつ" not in text and "0143-00-0000" not in text
    # Erased N days after the event: 2024-02-16 + 30 days.
    with units() as uow:
        assert registration_desk.erase_personal_data(uow, date(2024, 3, 17), 30) == 0
    with units() as uow:
        assert registration_desk.erase_personal_data(uow, date(2024, 3, 18), 30) >= 1
    with units() as uow:
        after = registration_desk.get_registration(uow, NOBORIBETSU, named["id"], KEYRING)
    assert after["personal_data"] == "erased" and after["person"] is None


def test_offers_expire_and_pass_on(units, world):
    ev = new_event(units, world, capacity=1, offer_expiration_hours=24)
    a = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    b = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    c = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    move(units, NOBORIBETSU, a["id"], "cancelled")
    assert status_of(units, b["id"]) == "pending_from_waitlist"
    with units() as uow:
        assert registration_desk.expire_offers(uow, NOW + timedelta(hours=23)) == 0
    with units() as uow:
        assert registration_desk.expire_offers(uow, NOW + timedelta(hours=25)) == 1
    assert status_of(units, b["id"]) == "expired"
    assert status_of(units, c["id"]) == "pending_from_waitlist"


def test_scope_of_events(units, world):
    with pytest.raises(InvalidInput):  # bureau staff do not manage a municipal PF
        new_event(units, world, principal=BUREAU)
    ev = new_event(units, world)
    with units() as uow:
        assert event_catalogue.get_event(uow, BUREAU, ev["id"])["may_manage"] is False
        with pytest.raises(NotFound):
            event_catalogue.get_event(uow, KOTO, ev["id"])
        with pytest.raises(Forbidden):
            event_catalogue.change_status(uow, BUREAU, ev["id"], "closed", NOW)
        assert ev["id"] not in [e["id"] for e in event_catalogue.list_events(uow, KOTO, {})]
        assert ev["id"] in [e["id"] for e in event_catalogue.list_events(uow, BUREAU, {})]
        # Search folds width and kana: 'ＰＦ推進' finds 'PF推進', 'ぬぷる' finds the venue 「ヌプル」.
        for q in ("ＰＦ推進", "ぬぷる"):
            assert ev["id"] in [e["id"] for e in event_catalogue.list_events(uow, BUREAU, {"q": q})]
        assert ev["id"] not in [e["id"] for e in event_catalogue.list_events(uow, BUREAU, {"q": "フォーラム"})]


def test_cancelling_an_event_cancels_its_registrations(units, world):
    ev = new_event(units, world, capacity=1)
    a = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    b = register(units, NOBORIBETSU, ev["id"], participant_kind="anonymous", attendee_category="general")
    with units() as uow:
        event_catalogue.change_status(uow, NOBORIBETSU, ev["id"], "cancelled", NOW)
    assert status_of(units, a["id"]) == status_of(units, b["id"]) == "cancelled"
    types = [e["type"] for e in outbox(_dsn(units)) if e["payload"].get("event_id") == ev["id"]]
    assert types[0] == "event.scheduled" and types[-1] == "event.cancelled"
