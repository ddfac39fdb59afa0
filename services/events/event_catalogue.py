"""Use cases for events themselves: schedule, edit, change status, read and list — each checked against the
caller's scope (access.py). Integration events are emitted in the same unit of work."""
from __future__ import annotations

from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import access, integration_events as ie, repository as repo
from .event_lifecycle import EventTransitionRefused, check_event_transition, first_and_last_day, session_problems
from services.servicekit.fiscal_year import fiscal_year_of
from services.servicekit.jsonable import jsonable
from .text_search import event_search_text
from .registration_lifecycle import STATUS_TYPES

NOT_FOUND = "no such event in your scope"


# --- access -----------------------------------------------------------------------------------------------
def organization_may_see(conn, principal, ev) -> bool:
    org = principal.organization_id
    if principal.role != "organization" or not org:
        return False
    if repo.registrations_of(conn, ev["id"], organization_id=org):
        return True
    if ev["status"] in ("open", "closed", "held"):
        return bool(ev["public"]) or repo.active_membership(conn, org, ev["host_platform_id"]) is not None
    return False


def readable_event(conn, principal, event_id, lock: bool = False) -> dict:
    ev = repo.event(conn, event_id, lock=lock)
    if ev is None or not (access.reads_event(principal, ev) or organization_may_see(conn, principal, ev)):
        raise NotFound(NOT_FOUND)
    return ev


def managed_event(conn, principal, event_id, lock: bool = False) -> dict:
    ev = readable_event(conn, principal, event_id, lock=lock)
    if not access.manages_event(principal, ev):
        raise Forbidden("only the host PF's managers may change this event")
    return ev


def managed_platform(conn, principal, platform_id, pointer="#/host_platform_id") -> dict:
    pf = repo.platform(conn, platform_id)
    if pf is None or not access.manages_platform(principal, pf):
        raise InvalidInput("the request has invalid fields",
                           [{"pointer": pointer, "detail": "no such PF that you manage"}])
    return pf


def check_trial_project(conn, principal, project_id):
    if project_id is None:
        return
    p = repo.trial_project(conn, project_id)
    if p is None or not access.can_manage(principal, p["level"], p["area_code"]):
        raise InvalidInput("the request has invalid fields",
                           [{"pointer": "#/trial_project_id", "detail": "no such trial project that you manage"}])


# --- payloads ---------------------------------------------------------------------------------------------
def event_payload(conn, ev) -> dict:
    seats = repo.seat_counts(conn, ev["id"])
    return {"event_id": ev["id"], "revision": ev["revision"], "status": ev["status"], "type": ev["type"],
            "platform_id": ev["host_platform_id"], "area_code": ev["area_code"], "fiscal_year": ev["fiscal_year"],
            "first_day": ev["first_day"], "capacity": ev["capacity"],
            "registered_people": seats["counted_seats"], "waiting": seats["waiting"],
            "trial_project_id": ev["trial_project_id"]}


def emit_event_change(uow, integration_event, event_id):
    ev = repo.event(uow.conn, event_id)
    uow.emit(integration_event, event_payload(uow.conn, ev), area=ev["area_code"])


def view(conn, ev, principal=None, public: bool = False) -> dict:
    sessions = repo.sessions_of(conn, [ev["id"]]).get(str(ev["id"]), [])
    seats = repo.seat_counts(conn, ev["id"])
    pf = repo.platform(conn, ev["host_platform_id"])
    out = {k: ev[k] for k in ("id", "revision", "type", "title", "description", "audiences", "status", "capacity",
                              "registration_enabled", "registration_opens_at", "registration_closes_at",
                              "waitlist_enabled", "approval_required", "speakers", "co_hosts", "contractor",
                              "archive_media_url", "archive_view_count", "archive_views_as_of", "first_day",
                              "last_day", "fiscal_year", "area_code", "public", "offer_expiration_hours",
                              "trial_project_id")}
    out["host_platform"] = {"id": ev["host_platform_id"], "name": pf["name"] if pf else None,
                            "level": ev["host_level"], "area_code": ev["area_code"]}
    out["sessions"] = [{k: s[k] for k in ("label", "date", "start_time", "end_time", "venue_name",
                                          "venue_area_code", "online_url")} for s in sessions]
    free = None if ev["capacity"] is None else max(ev["capacity"] - seats["counted_seats"], 0)
    out["places"] = {"capacity": ev["capacity"], "taken": seats["counted_seats"], "free": free,
                     "waiting": seats["waiting"]}
    if public:
        out.pop("offer_expiration_hours")
        out.pop("trial_project_id")
        out["places"] = {"capacity": ev["capacity"], "free": free, "waitlist_open": ev["waitlist_enabled"]}
    else:
        out["places"]["awaiting_approval"] = seats["awaiting_approval"]
        out["may_manage"] = access.manages_event(principal, ev)
    return jsonable(out)


# --- use cases --------------------------------------------------------------------------------------------
def _derived(data: dict) -> dict:
    first, last = first_and_last_day(data["sessions"])
    return {"first_day": first, "last_day": last, "fiscal_year": fiscal_year_of(first)}


def _check(data: dict):
    problems = session_problems(data.get("sessions", []))
    opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
    if opens and closes and closes <= opens:
        problems.append({"pointer": "#/registration_closes_at", "detail": "closes before it opens"})
    if problems:
        raise InvalidInput("the request has invalid fields", problems)


def create_event(uow, principal, event_id: str, data: dict) -> dict:
    conn = uow.conn
    pf = managed_platform(conn, principal, data["host_platform_id"])
    _check(data)
    check_trial_project(conn, principal, data.get("trial_project_id"))
    row = {**data, **_derived(data), "host_level": pf["level"], "area_code": pf["area_code"],
           "search_text": event_search_text(data, data["sessions"])}
    repo.insert_event(conn, event_id, row, data["sessions"])
    emit_event_change(uow, ie.EVENT_SCHEDULED, event_id)
    return view(conn, repo.event(conn, event_id), principal)


EDITABLE = ("type", "co_hosts", "contractor", "title", "description", "audiences", "public", "capacity",
            "registration_opens_at", "registration_closes_at", "waitlist_enabled", "approval_required",
            "offer_expiration_hours", "speakers", "archive_media_url", "archive_view_count", "archive_views_as_of",
            "trial_project_id", "registration_enabled")


def update_event(uow, principal, event_id, data: dict, now) -> dict:
    from .registration_desk import fill_freed_places
    conn = uow.conn
    ev = managed_event(conn, principal, event_id, lock=True)
    if ev["status"] in ("held", "cancelled") and set(data) - {"archive_media_url", "archive_view_count",
                                                              "archive_views_as_of", "description"}:
        raise Conflict("a held or cancelled event only takes its archive and description")
    changes = {k: data[k] for k in EDITABLE if k in data}
    merged = {**ev, **changes}
    if "sessions" in data:
        merged["sessions"] = data["sessions"]
        changes.update(_derived(data))
    else:
        merged["sessions"] = [dict(s) for s in repo.sessions_of(conn, [event_id]).get(str(event_id), [])]
    _check(merged)
    changes["search_text"] = event_search_text(merged, merged["sessions"])
    if "trial_project_id" in changes:
        check_trial_project(conn, principal, changes["trial_project_id"])
    seats = repo.seat_counts(conn, event_id)
    if changes.get("capacity") is not None and changes["capacity"] < seats["counted_seats"]:
        raise Conflict("the capacity cannot go below the places already taken")
    if "registration_enabled" in changes and changes["registration_enabled"] != ev["registration_enabled"]:
        if ev["status"] != "planned" or repo.registrations_of(conn, event_id):
            raise Conflict("registration can be switched on or off only before anyone registers")
    repo.update_event(conn, event_id, changes)
    if "sessions" in data:
        repo.replace_sessions(conn, event_id, data["sessions"])
    fill_freed_places(uow, repo.event(conn, event_id), principal.subject, now)
    return view(conn, repo.event(conn, event_id), principal)


def change_status(uow, principal, event_id, target: str, now) -> dict:
    from .registration_desk import cancel_all_for_event
    conn = uow.conn
    ev = managed_event(conn, principal, event_id, lock=True)
    try:
        check_event_transition(ev["status"], target, registration_enabled=ev["registration_enabled"])
    except EventTransitionRefused as exc:
        raise Conflict(str(exc)) from None
    if target == "held" and ev["first_day"] > now.date():
        raise Conflict("an event cannot be held before its first day")
    changes = {"status": target}
    if target == "cancelled":
        changes["cancelled_at"] = now
    repo.update_event(conn, event_id, changes)
    if target == "cancelled":
        cancel_all_for_event(uow, event_id, principal.subject)
    emit_event_change(uow, ie.EVENT_STATUS_EVENTS[target], event_id)
    return view(conn, repo.event(conn, event_id), principal)


def get_event(uow, principal, event_id) -> dict:
    return view(uow.conn, readable_event(uow.conn, principal, event_id), principal)


def list_events(uow, principal, filters: dict) -> list[dict]:
    conn = uow.conn
    if principal.role == "organization":
        rows = repo.events_visible_to_organization(conn, principal.organization_id, filters)
    else:
        rows = repo.events(conn, fiscal_year=filters.get("fiscal_year"), status=filters.get("status"),
                           type_=filters.get("type"), platform_id=filters.get("platform_id"),
                           trial_project_id=filters.get("trial_project_id"),
                           area_codes=access.readable_area_codes(principal), text=filters.get("q"),
                           limit=filters.get("limit", 200),
                           offset=filters.get("offset", 0))
    area = filters.get("area_code")
    from services.servicekit.areas.scope import scope_contains
    visible = [ev for ev in rows
               if (access.reads_event(principal, ev) or organization_may_see(conn, principal, ev))
               and (not area or scope_contains(area, ev["area_code"]))]
    return [view(conn, ev, principal) for ev in visible]


def public_events(uow, filters: dict) -> list[dict]:
    conn = uow.conn
    rows = repo.events(conn, status="open", public_only=True, type_=filters.get("type"), text=filters.get("q"),
                       limit=filters.get("limit", 200), offset=filters.get("offset", 0))
    area = filters.get("area_code")
    from services.servicekit.areas.scope import scope_contains
    return [view(conn, ev, public=True) for ev in rows if not area or scope_contains(area, ev["area_code"])]


def status_types() -> list[dict]:
    return [{"code": s.code, "label": s.label, "label_ja": s.label_ja, "class": s.klass, "is_counted": s.is_counted}
            for s in STATUS_TYPES.values()]
