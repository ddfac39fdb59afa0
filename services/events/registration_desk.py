"""Registrations: who takes a place, who waits, who is approved, and what happens when a place frees up.

Every change to an event's places happens while holding that event's row lock (`SELECT … FOR UPDATE`), so
two registrations racing for the last place are serialised: the first takes it, the second sees the event
full and goes on the waitlist (or is refused when there is none). Freed places are offered, in waitlist
order, in the same transaction as the change that freed them.
"""
from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import access, integration_events as ie, repository as repo
from .event_catalogue import managed_event, readable_event
from .event_lifecycle import registration_window_open
from services.servicekit.jsonable import jsonable
from .personal_data import Sealed, minimal
from .registration_lifecycle import (COUNTED_STATUSES, STATUS_TYPES, TRANSITIONS, NoPlace, TransitionRefused,
                                     check_transition, initial_status, offers_for_freed_places)
from .vocabulary import ATTENDEE_CATEGORIES

NOT_FOUND = "no such registration in your scope"
PERSONAL_COLUMNS = ("name", "name_kana", "contact")


def payload(ev, reg, from_status=None) -> dict:
    st = STATUS_TYPES[reg["status"]]
    return jsonable({"registration_id": reg["id"], "revision": reg["revision"], "event_id": ev["id"],
                     "platform_id": ev["host_platform_id"], "area_code": ev["area_code"],
                     "participant_kind": reg["participant_kind"], "organization_id": reg["organization_id"],
                     "people": reg["people"], "attendee_category": reg["attendee_category"],
                     "status": reg["status"], "from_status": from_status, "status_class": st.klass,
                     "is_counted": st.is_counted})


def view(reg, person: dict | None = None, include_person: bool = False) -> dict:
    st = STATUS_TYPES[reg["status"]]
    out = {k: reg[k] for k in ("id", "revision", "event_id", "participant_kind", "organization_id", "people",
                               "attended_people", "attendee_category", "status", "offered_at", "offer_expires_at",
                               "created_at", "status_changed_at")}
    out["status_class"] = st.klass
    out["is_counted"] = st.is_counted
    out["status_label"] = st.label
    out["personal_data"] = ("erased" if reg["personal_erased_at"] else
                            "held" if reg["personal_sealed"] is not None else "none")
    if include_person:
        out["person"] = person
    return jsonable(out)


def _move(uow, ev, reg, target, by, reason=None, extra=None) -> dict:
    try:
        check_transition(reg["status"], target)
    except TransitionRefused as exc:
        raise Conflict(str(exc)) from None
    updated = repo.set_registration_status(uow.conn, reg["id"], reg["status"], target, by, reason, extra)
    uow.emit(ie.REGISTRATION_STATUS_CHANGED, payload(ev, updated, reg["status"]), area=ev["area_code"])
    return updated


def fill_freed_places(uow, ev, by: str, now) -> list[str]:
    """Offer free places to the first on the waitlist (Pending from waitlist). Caller holds the event lock."""
    if ev["status"] not in ("open", "closed") or not ev["waitlist_enabled"]:
        return []
    seats = repo.seat_counts(uow.conn, ev["id"])
    offered = offers_for_freed_places(ev["capacity"], seats["counted_seats"], repo.waitlist(uow.conn, ev["id"]))
    expires = now + timedelta(hours=ev["offer_expiration_hours"]) if ev["offer_expiration_hours"] else None
    for registration_id in offered:
        reg = repo.registration(uow.conn, registration_id, lock=True)
        _move(uow, ev, reg, "pending_from_waitlist", by, "a place became free",
              {"offered_at": now, "offer_expires_at": expires})
    return [str(r) for r in offered]


def register(uow, principal, event_id, data: dict, keyring, now) -> dict:
    conn = uow.conn
    ev = readable_event(conn, principal, event_id, lock=True)  # the row lock serialises the places
    kind = data["participant_kind"]
    manager = access.manages_event(principal, ev)
    if principal.role == "organization" and not manager:  # a secretariat organisation registers as a manager
        if kind != "organization" or str(data.get("organization_id") or principal.organization_id) != \
                principal.organization_id:
            raise Forbidden("organisation staff register their own organisation")
        data = {**data, "organization_id": principal.organization_id}
    elif not manager:
        raise Forbidden("only the host PF's managers or organisation staff register participants")
    problems = []
    if data.get("attendee_category") not in ATTENDEE_CATEGORIES:
        problems.append({"pointer": "#/attendee_category", "detail": "unknown attendee category"})
    if kind == "organization" and not data.get("organization_id"):
        problems.append({"pointer": "#/organization_id", "detail": "an organisation registration names it"})
    if kind != "organization" and data.get("organization_id"):
        problems.append({"pointer": "#/organization_id", "detail": "only organisation registrations name one"})
    if kind == "individual" and not minimal(data.get("person") or {}).get("name"):
        problems.append({"pointer": "#/person/name", "detail": "a named participant has a name"})
    if kind != "individual" and data.get("person"):
        problems.append({"pointer": "#/person", "detail": "only named participants carry personal data"})
    if problems:
        raise InvalidInput("the request has invalid fields", problems)
    if kind == "organization":
        org = repo.organization(conn, data["organization_id"])
        if org is None or not org["active"]:
            raise InvalidInput("the request has invalid fields",
                               [{"pointer": "#/organization_id", "detail": "no such active organisation"}])
        if set(ev["audiences"]) == {"pf_members"} and \
                repo.active_membership(conn, data["organization_id"], ev["host_platform_id"]) is None:
            raise Forbidden("this event is for the host PF's member organisations")
        if any(r["status"] not in ("cancelled", "rejected", "expired")
               for r in repo.registrations_of(conn, event_id, organization_id=data["organization_id"])):
            raise Conflict("this organisation is already registered for the event")
    if not ev["registration_enabled"]:
        raise Conflict("this event takes no registrations")
    if ev["status"] != "open":
        raise Conflict("registration for this event is not open")
    if not registration_window_open(now, ev["registration_opens_at"], ev["registration_closes_at"]) and not manager:
        raise Conflict("the registration window is closed")
    seats = repo.seat_counts(conn, event_id)
    try:
        status = initial_status(capacity=ev["capacity"], counted_seats=seats["counted_seats"],
                                waiting_count=seats["waiting"], seats=data["people"],
                                waitlist_enabled=ev["waitlist_enabled"], approval_required=ev["approval_required"])
    except NoPlace:
        raise Conflict("the event is full and has no waitlist") from None
    registration_id = str(uuid.uuid4())
    sealed = keyring.seal(minimal(data["person"]), registration_id) if kind == "individual" else None
    reg = repo.insert_registration(conn, {
        "id": registration_id, "event_id": event_id, "participant_kind": kind,
        "organization_id": data.get("organization_id"), "people": data["people"],
        "attendee_category": data["attendee_category"], "status": status,
        "personal_key_id": sealed.key_id if sealed else None, "personal_sealed": sealed.blob if sealed else None,
        "offered_at": None, "offer_expires_at": None, "created_by": principal.subject})
    repo.log_initial_status(conn, registration_id, status, principal.subject)
    uow.emit(ie.REGISTRATION_CREATED, payload(ev, reg), area=ev["area_code"])
    return view(reg)


def _registration_in_scope(conn, principal, registration_id, lock=True):
    reg = repo.registration(conn, registration_id)
    if reg is None:
        raise NotFound(NOT_FOUND)
    try:
        ev = readable_event(conn, principal, reg["event_id"], lock=lock)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    manager = access.manages_event(principal, ev)
    own = principal.role == "organization" and reg["organization_id"] is not None and \
        principal.acts_for(reg["organization_id"])
    if not (manager or own or access.reads_event(principal, ev)):
        raise NotFound(NOT_FOUND)
    return ev, repo.registration(conn, registration_id, lock=lock), manager, own


# What a participant may do to its own registration; everything else is the host's.
SELF_SERVICE = {"cancelled", "registered"}


def change_status(uow, principal, registration_id, target: str, reason: str | None, now) -> dict:
    conn = uow.conn
    ev, reg, manager, own = _registration_in_scope(conn, principal, registration_id)
    if not manager and not (own and target in SELF_SERVICE):
        if own or access.reads_event(principal, ev):
            raise Forbidden("only the host PF's managers may make this change")
        raise NotFound(NOT_FOUND)
    if target in ("attended", "no_show"):
        raise Conflict("attendance is recorded with the attendance endpoint")
    if target == "pending_from_approval":
        seats = repo.seat_counts(conn, ev["id"])
        if ev["capacity"] is not None and seats["counted_seats"] + reg["people"] > ev["capacity"]:
            raise Conflict("no place is free to approve this registration into")
    extra = None
    if target in ("pending_from_approval", "pending_from_waitlist"):
        expires = now + timedelta(hours=ev["offer_expiration_hours"]) if ev["offer_expiration_hours"] else None
        extra = {"offered_at": now, "offer_expires_at": expires}
    updated = _move(uow, ev, reg, target, principal.subject, reason, extra)
    if reg["status"] in COUNTED_STATUSES and target not in COUNTED_STATUSES:
        fill_freed_places(uow, ev, "system", now)
    return view(updated)


def cancel_all_for_event(uow, event_id, by: str) -> None:
    ev = repo.event(uow.conn, event_id)
    for reg in repo.registrations_of(uow.conn, event_id):
        if "cancelled" in TRANSITIONS[reg["status"]]:
            _move(uow, ev, reg, "cancelled", by, "the event was cancelled")


def release_organization(uow, organization_id, now) -> int:
    """A deactivated organisation no longer holds places at events still to come: its live registrations
    are cancelled and the places go to the waitlist."""
    count = 0
    for reg in repo.registrations_of_organization(uow.conn, organization_id):
        ev = repo.event(uow.conn, reg["event_id"], lock=True)
        if ev["status"] not in ("planned", "open", "closed") or ev["last_day"] < now.date():
            continue
        reg = repo.registration(uow.conn, reg["id"], lock=True)
        if "cancelled" not in TRANSITIONS[reg["status"]]:
            continue
        _move(uow, ev, reg, "cancelled", "system", "the organisation was deactivated")
        if reg["status"] in COUNTED_STATUSES:
            fill_freed_places(uow, repo.event(uow.conn, ev["id"]), "system", now)
        count += 1
    return count


def expire_offers(uow, now) -> int:
    """Offers not taken up in time expire, and the place goes to the next on the waitlist."""
    count = 0
    for row in repo.expired_offers(uow.conn, now):
        ev = repo.event(uow.conn, row["event_id"], lock=True)
        reg = repo.registration(uow.conn, row["id"], lock=True)
        if reg["status"] not in ("pending_from_waitlist", "pending_from_approval"):
            continue
        _move(uow, ev, reg, "expired", "system", "the offer was not taken up in time")
        fill_freed_places(uow, repo.event(uow.conn, ev["id"]), "system", now)
        count += 1
    return count


def list_registrations(uow, principal, event_id) -> list[dict]:
    conn = uow.conn
    ev = readable_event(conn, principal, event_id)
    if access.reads_event(principal, ev):
        rows = repo.registrations_of(conn, event_id)
    else:
        rows = repo.registrations_of(conn, event_id, organization_id=principal.organization_id)
    return [view(r) for r in rows]


def get_registration(uow, principal, registration_id, keyring) -> dict:
    """The registration; the named participant's personal data only for the host's managers, each such read
    audited."""
    ev, reg, manager, own = _registration_in_scope(uow.conn, principal, registration_id, lock=False)
    person = _open(reg, keyring) if manager else None
    if person is not None:
        repo.audit_personal_read(uow.conn, reg, principal, uow.correlation_id)
    out = view(reg, person, include_person=manager)
    out["history"] = jsonable(repo.status_log(uow.conn, registration_id)) if manager or not own else None
    return out


def _open(reg, keyring) -> dict | None:
    if reg["personal_sealed"] is None:
        return None
    return keyring.open(Sealed(reg["personal_key_id"], bytes(reg["personal_sealed"])), str(reg["id"]))


CSV_HEADER = ("registration_id", "participant_kind", "organization_id", "organization_name", "people",
              "attended_people", "attendee_category", "status", "status_class", "registered_at")


def export_participants(uow, principal, event_id, keyring, correlation_id) -> dict:
    """CSV of an event's participants. Names and contacts only for the host PF's managers; every export,
    with or without them, is recorded in the audit table."""
    conn = uow.conn
    ev = readable_event(conn, principal, event_id)
    if not access.reads_event(principal, ev):
        raise NotFound("no such event in your scope")
    personal = access.manages_event(principal, ev)
    rows = repo.registrations_of(conn, event_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER + (PERSONAL_COLUMNS if personal else ()))
    for r in rows:
        org = repo.organization(conn, r["organization_id"]) if r["organization_id"] else None
        line = [r["id"], r["participant_kind"], r["organization_id"] or "", (org or {}).get("name") or "",
                r["people"], "" if r["attended_people"] is None else r["attended_people"],
                ATTENDEE_CATEGORIES[r["attendee_category"]], STATUS_TYPES[r["status"]].label,
                STATUS_TYPES[r["status"]].klass, r["created_at"].isoformat()]
        if personal:
            person = _open(r, keyring) or {}
            line += [_safe_cell(person.get(c, "")) for c in PERSONAL_COLUMNS]
        writer.writerow([_safe_cell(v) if isinstance(v, str) else v for v in line])
    repo.audit_export(conn, event_id, principal, len(rows), personal, correlation_id)
    return {"filename": f"participants-{event_id}.csv", "csv": "\ufeff" + out.getvalue(),
            "personal_data_included": personal, "rows": len(rows)}


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formula injection in exported cells."""
    return "'" + value if value and value[0] in "=+-@\t\r" else value


def export_audit(uow, principal, event_id) -> list[dict]:
    managed_event(uow.conn, principal, event_id)
    return jsonable(repo.exports_of(uow.conn, event_id))


def personal_data_reads(uow, principal, event_id) -> list[dict]:
    """The audit of single registrations' personal data reads, for the event's managers."""
    managed_event(uow.conn, principal, event_id)
    return jsonable(repo.personal_reads_of(uow.conn, event_id))


def erase_personal_data(uow, today, retention_days: int) -> int:
    return repo.erase_personal_data(uow.conn, today, retention_days)
