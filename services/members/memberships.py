"""Use cases for memberships (organisation × PF): invite, apply, approve, reinstate, change class, suspend,
withdraw, and listing a PF's members. The rules live in membership_lifecycle.py."""
from __future__ import annotations

import uuid
from datetime import date

from services.servicekit.caller import Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import access, integration_events as events, repository
from .membership_lifecycle import EVENT_OF_ACTION, LifecycleViolation, transition
from services.servicekit.jsonable import jsonable
from .paging import page
from .platforms import load_readable
from .vocabulary import tier_of


def _invalid(exc: LifecycleViolation):
    if exc.field == "action":
        return Conflict(exc.message)
    return InvalidInput("the membership change breaks a rule", [{"pointer": f"#/{exc.field}", "detail": exc.message}])


def to_dict(m: dict, pf: dict, org_name: str | None, legal_form: str | None,
            history: list[dict] | None = None) -> dict:
    out = {c: jsonable(m[c]) for c in repository.M_COLUMNS if c not in ("created_at", "updated_at")}
    out.update({"organization_name": org_name, "legal_form": legal_form, "platform_name": pf["name"],
                "platform_area_code": pf["area_code"], "tier": tier_of(m["membership_class"])})
    if history is not None:
        out["history"] = [{k: jsonable(h[k]) for k in ("action", "from_status", "to_status", "membership_class",
                                                         "effective_on", "reason", "actor", "recorded_at")}
                          for h in history]
    return out


def _emit(uow, action: str, m: dict, pf: dict, effective_on: date) -> None:
    uow.emit(events.MEMBERSHIP_EVENTS[EVENT_OF_ACTION[action]], {
        "membership_id": str(m["id"]), "revision": m["revision"], "organization_id": str(m["organization_id"]),
        "platform_id": str(pf["id"]), "platform_area_code": pf["area_code"],
        "membership_class": m["membership_class"], "status": m["status"],
        "effective_on": effective_on.isoformat()}, area=pf["area_code"])


def _result(uow, m, pf) -> dict:
    org = repository.get_organization(uow.conn, str(m["organization_id"]))
    history = repository.membership_histories(uow.conn, [str(m["id"])]).get(str(m["id"]), [])
    return to_dict(m, pf, org["name"], org["legal_form"], history)


def _start(uow, principal: Principal, pf: dict, action: str, data: dict) -> dict:
    organization_id = str(data["organization_id"])
    org = repository.get_organization(uow.conn, organization_id)
    visible = org is not None and (access.can_read_organization(principal, org)
                                   or access.can_manage_memberships(principal, pf))
    if not visible:
        raise NotFound("no such organisation")
    if not org["active"]:
        raise Conflict("a deactivated organisation cannot join a PF")
    current = repository.current_membership(uow.conn, organization_id, str(pf["id"]), for_update=True)
    effective_on = data.get("effective_on") or date.today()
    membership_class = data.get("membership_class") or "member"
    try:
        if current is None:
            step = transition(action, None, membership_class, effective_on, data.get("reason"))
        else:
            step = transition(action, current["status"], current["membership_class"], effective_on, data.get("reason"),
                              last_effective_on=repository.last_effective_on(uow.conn, str(current["id"])))
    except LifecycleViolation as exc:
        raise _invalid(exc) from None
    if current is None:
        m = repository.insert_membership(uow.conn, {
            "id": str(uuid.uuid4()), "organization_id": organization_id, "platform_id": str(pf["id"]),
            "membership_class": membership_class, "status": step.to_status,
            "recruitment_source": data.get("recruitment_source"), "status_since": effective_on, "revision": 1})
    else:
        changes = {"status": step.to_status, "status_since": effective_on}
        if data.get("recruitment_source") and not current["recruitment_source"]:
            changes["recruitment_source"] = data["recruitment_source"]
        m = repository.update_membership(uow.conn, str(current["id"]), changes)
    repository.insert_membership_history(uow.conn, str(m["id"]), step, principal.subject)
    _emit(uow, action, m, pf, effective_on)
    return _result(uow, m, pf)


def invite(uow, principal: Principal, platform_id: str, data: dict) -> dict:
    pf = load_readable(uow, principal, platform_id, for_update=True)
    if not access.can_manage_memberships(principal, pf):
        raise Forbidden("you may not manage this PF's memberships")
    return _start(uow, principal, pf, "invite", data)


def apply(uow, principal: Principal, platform_id: str, data: dict) -> dict:
    """An organisation applies to join (or accepts an invitation). PFs are public bodies, so an organisation
    may apply to any existing PF; a PF's managers may record an application on an organisation's behalf."""
    pf = repository.get_platform(uow.conn, platform_id, for_update=True)
    if pf is None:
        raise NotFound("no such platform")
    acting_for_org = principal.role == "organization" and principal.acts_for(str(data["organization_id"]))
    if not acting_for_org:
        if not access.can_read_platform(principal, pf):
            raise NotFound("no such platform")
        if not access.can_manage_memberships(principal, pf):
            raise Forbidden("only the organisation itself or the PF's secretariat may apply")
    return _start(uow, principal, pf, "apply", data)


def _load(uow, principal: Principal, membership_id: str, for_update: bool = False) -> tuple[dict, dict]:
    m = repository.get_membership(uow.conn, membership_id, for_update=for_update)
    if m is None:
        raise NotFound("no such membership")
    pf = repository.get_platform(uow.conn, str(m["platform_id"]))
    own = principal is not None and principal.acts_for(str(m["organization_id"]))
    member_orgs = frozenset({principal.organization_id}) if own else frozenset()
    if not (own or access.can_read_platform(principal, pf, member_orgs)):
        raise NotFound("no such membership")
    return m, pf


def get(uow, principal: Principal, membership_id: str) -> dict:
    m, pf = _load(uow, principal, membership_id)
    return _result(uow, m, pf)


def act(uow, principal: Principal, membership_id: str, action: str, data: dict) -> dict:
    """approve | reinstate | suspend | withdraw | change_class on an existing membership."""
    m, pf = _load(uow, principal, membership_id, for_update=True)
    may_manage = access.can_manage_memberships(principal, pf)
    own = principal.acts_for(str(m["organization_id"]))
    if not (may_manage or (own and action == "withdraw")):
        raise Forbidden("you may not make this change to the membership")
    effective_on = data.get("effective_on") or date.today()
    try:
        step = transition(action, m["status"], m["membership_class"], effective_on, data.get("reason"),
                          last_effective_on=repository.last_effective_on(uow.conn, membership_id),
                          new_class=data.get("membership_class"))
    except LifecycleViolation as exc:
        raise _invalid(exc) from None
    changes = {"membership_class": step.membership_class}
    if step.to_status != m["status"]:
        changes.update({"status": step.to_status, "status_since": effective_on})
    if step.to_status == "active" and m["joined_on"] is None:
        changes["joined_on"] = effective_on
    updated = repository.update_membership(uow.conn, membership_id, changes)
    repository.insert_membership_history(uow.conn, membership_id, step, principal.subject)
    _emit(uow, action, updated, pf, effective_on)
    return _result(uow, updated, pf)


def list_for_platform(uow, principal: Principal, platform_id: str, q: dict) -> dict:
    pf = load_readable(uow, principal, platform_id)
    rows, total = repository.list_platform_members(uow.conn, platform_id, q.get("status"), q.get("membership_class"),
                                                   q["page"], q["per_page"])
    histories = repository.membership_histories(uow.conn, [str(r["id"]) for r in rows])
    contents = [to_dict(r, pf, r["organization_name"], r["legal_form"], histories.get(str(r["id"]), []))
                for r in rows]
    return page(contents, total, q["page"], q["per_page"])
