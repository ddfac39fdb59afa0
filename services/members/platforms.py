"""Use cases for platforms (PFs): create, read, update, change phase, and the PF tree within the caller's scope."""
from __future__ import annotations

import uuid
from datetime import date

from services.servicekit.areas.registry import default_registry
from services.servicekit.caller import Principal
from services.servicekit.errors import Forbidden, InvalidInput, NotFound, PreconditionFailed

from . import access, integration_events as events, repository
from services.servicekit.jsonable import jsonable
from .platform_rules import PlatformRuleViolation, change_phase, check_level_and_area, check_parent, is_subcommittee
from .vocabulary import PHASES


def _invalid(exc: PlatformRuleViolation):
    return InvalidInput("the PF breaks a rule", [{"pointer": f"#/{exc.field}", "detail": exc.message}])


def to_dict(pf: dict, parent_area: str | None = None, history: list[dict] | None = None,
            secretariat_orgs: dict[str, dict] | None = None) -> dict:
    out = {c: jsonable(pf[c]) for c in repository.PF_COLUMNS}
    area = default_registry().find(pf["area_code"])
    out["area_name"] = area.name if area else pf["area_code"]
    out["secretariat_organization_ids"] = [str(o) for o in pf["secretariat_organization_ids"]]
    out["existing_bodies"] = list(pf["existing_bodies"])
    out["joint_secretariat"] = len(out["secretariat_organization_ids"]) > 1
    if secretariat_orgs is not None:
        out["secretariat"] = [{"organization_id": i, "name": secretariat_orgs[i]["name"],
                               "legal_form": secretariat_orgs[i]["legal_form"],
                               "sector": sector_of(secretariat_orgs[i]["legal_form"])}
                              for i in out["secretariat_organization_ids"] if i in secretariat_orgs]
        out["joint_public_private"] = {s["sector"] for s in out["secretariat"]} == {"public", "private"}
    out["subcommittee"] = is_subcommittee(pf["area_code"], parent_area)
    out["phase_label"] = PHASES[pf["phase"]]
    if history is not None:
        out["phase_history"] = [{k: jsonable(h[k]) for k in ("from_phase", "to_phase", "effective_on", "reason",
                                                                 "actor")} for h in history]
    return out


PUBLIC_LEGAL_FORMS = frozenset({"行政機関"})


def sector_of(legal_form: str) -> str:
    """public (a government body) or private (everyone else): a 共同事務局 has both."""
    return "public" if legal_form in PUBLIC_LEGAL_FORMS else "private"


def _secretariat_orgs(uow, rows) -> dict[str, dict]:
    ids = sorted({str(o) for r in rows for o in r["secretariat_organization_ids"]})
    return repository.get_organizations(uow.conn, ids)


def _member_orgs(uow, principal, pf_id) -> frozenset:
    if principal is not None and principal.role == "organization" and principal.organization_id:
        if repository.organization_is_member(uow.conn, principal.organization_id, pf_id):
            return frozenset({principal.organization_id})
    return frozenset()


def load_readable(uow, principal: Principal, platform_id: str, for_update: bool = False) -> dict:
    pf = repository.get_platform(uow.conn, platform_id, for_update=for_update)
    if pf is None or not access.can_read_platform(principal, pf, _member_orgs(uow, principal, platform_id)):
        raise NotFound("no such platform")
    return pf


def _parent_area(uow, pf) -> str | None:
    if not pf["parent_platform_id"]:
        return None
    parent = repository.get_platform(uow.conn, str(pf["parent_platform_id"]))
    return parent["area_code"] if parent else None


def _check_secretariat(uow, ids) -> list[str]:
    ids = [str(i) for i in dict.fromkeys(ids or [])]
    found = repository.get_organizations(uow.conn, ids)
    missing = [i for i in ids if i not in found or not found[i]["active"]]
    if missing:
        raise InvalidInput("unknown secretariat organisation", [{"pointer": "#/secretariat_organization_ids",
                                                                 "detail": "no such active organisation"}])
    return ids


def _event_payload(pf: dict) -> dict:
    return {"platform_id": str(pf["id"]), "revision": pf["revision"], "level": pf["level"],
            "area_code": pf["area_code"],
            "parent_platform_id": str(pf["parent_platform_id"]) if pf["parent_platform_id"] else None,
            "name": pf["name"], "phase": pf["phase"],
            "secretariat_organization_ids": [str(o) for o in pf["secretariat_organization_ids"]]}


def create(uow, principal: Principal, data: dict, platform_id: str | None = None) -> dict:
    """`platform_id` is for demo data only (stable ids other services' demos refer to); the API never passes it."""
    try:
        check_level_and_area(data["level"], data["area_code"])
    except PlatformRuleViolation as exc:
        raise _invalid(exc) from None
    if not access.can_manage_area(principal, data["level"], data["area_code"]):
        raise Forbidden("you may create PFs only for your own area")
    parent_area = None
    if data.get("parent_platform_id"):
        parent = load_readable(uow, principal, str(data["parent_platform_id"]))
        parent_area = parent["area_code"]
        try:
            check_parent(data["area_code"], parent_area)
        except PlatformRuleViolation as exc:
            raise _invalid(exc) from None
    phase_since = data.get("phase_since") or date.today()
    pf = repository.insert_platform(uow.conn, {
        "id": platform_id or str(uuid.uuid4()), "name": data["name"].strip(), "level": data["level"], "area_code": data["area_code"],
        "parent_platform_id": str(data["parent_platform_id"]) if data.get("parent_platform_id") else None,
        "description": data.get("description", ""), "phase": data["phase"], "phase_since": phase_since,
        "first_meeting_on": data.get("first_meeting_on"),
        "secretariat_organization_ids": _check_secretariat(uow, data.get("secretariat_organization_ids")),
        "existing_bodies": list(dict.fromkeys(data.get("existing_bodies") or [])),
        "two_tier": data.get("two_tier", True), "revision": 1})
    repository.insert_phase_history(uow.conn, str(pf["id"]), None, pf["phase"], phase_since, None, principal.subject)
    uow.emit(events.PLATFORM_CREATED, _event_payload(pf), area=pf["area_code"])
    return to_dict(pf, parent_area, repository.phase_histories(uow.conn, [str(pf["id"])]).get(str(pf["id"]), []),
                   _secretariat_orgs(uow, [pf]))


def get(uow, principal: Principal, platform_id: str) -> dict:
    pf = load_readable(uow, principal, platform_id)
    return to_dict(pf, _parent_area(uow, pf), repository.phase_histories(uow.conn, [platform_id]).get(platform_id, []),
                   _secretariat_orgs(uow, [pf]))


def update(uow, principal: Principal, platform_id: str, data: dict) -> dict:
    pf = load_readable(uow, principal, platform_id, for_update=True)
    if not access.can_manage_platform(principal, pf):
        raise Forbidden("you may not manage this PF")
    if data.get("revision") is not None and data["revision"] != pf["revision"]:
        raise PreconditionFailed("the PF changed since you read it; reload and edit again")
    changes = {k: v for k, v in data.items() if k in ("name", "description", "parent_platform_id", "first_meeting_on",
                                                     "secretariat_organization_ids", "existing_bodies", "two_tier")}
    if "secretariat_organization_ids" in changes:
        changes["secretariat_organization_ids"] = _check_secretariat(uow, changes["secretariat_organization_ids"])
    if "parent_platform_id" in changes:
        parent_id = changes["parent_platform_id"]
        if parent_id is not None:
            parent_id = str(parent_id)
            if parent_id == platform_id:
                raise _invalid(PlatformRuleViolation("parent_platform_id", "a PF cannot be its own parent"))
            parent = load_readable(uow, principal, parent_id)
            try:
                check_parent(pf["area_code"], parent["area_code"])
            except PlatformRuleViolation as exc:
                raise _invalid(exc) from None
            if _is_descendant(uow, parent_id, platform_id):
                raise _invalid(PlatformRuleViolation("parent_platform_id", "the PF tree cannot have a cycle"))
        changes["parent_platform_id"] = parent_id
    if "existing_bodies" in changes:
        changes["existing_bodies"] = list(dict.fromkeys(changes["existing_bodies"]))
    changed = {k: v for k, v in changes.items() if jsonable(pf[k]) != jsonable(v)
               and not (k == "secretariat_organization_ids" and [str(x) for x in pf[k]] == v)}
    if not changed:
        return get(uow, principal, platform_id)
    repository.update_platform(uow.conn, platform_id, changed, pf["revision"] + 1)
    # Other services keep copies (events authorises a PF's secretariat organisations by them).
    uow.emit(events.PLATFORM_UPDATED, _event_payload(repository.get_platform(uow.conn, platform_id)),
             area=pf["area_code"])
    return get(uow, principal, platform_id)


def _is_descendant(uow, candidate_id: str, ancestor_id: str) -> bool:
    current = candidate_id
    seen = set()
    while current and current not in seen:
        if current == ancestor_id:
            return True
        seen.add(current)
        row = repository.get_platform(uow.conn, current)
        current = str(row["parent_platform_id"]) if row and row["parent_platform_id"] else None
    return False


def set_phase(uow, principal: Principal, platform_id: str, data: dict) -> dict:
    pf = load_readable(uow, principal, platform_id, for_update=True)
    if not access.can_manage_platform(principal, pf):
        raise Forbidden("you may not manage this PF")
    try:
        change = change_phase(pf["phase"], pf["phase_since"], data["to_phase"], data["effective_on"],
                              data.get("reason"))
    except PlatformRuleViolation as exc:
        raise _invalid(exc) from None
    revision = pf["revision"] + 1
    repository.update_platform(uow.conn, platform_id, {"phase": change.to_phase, "phase_since": change.effective_on},
                               revision)
    repository.insert_phase_history(uow.conn, platform_id, change.from_phase, change.to_phase, change.effective_on,
                                    change.reason, principal.subject)
    uow.emit(events.PLATFORM_PHASE_CHANGED, {
        "platform_id": platform_id, "revision": revision, "area_code": pf["area_code"],
        "from_phase": change.from_phase, "to_phase": change.to_phase,
        "effective_on": change.effective_on.isoformat()}, area=pf["area_code"])
    return get(uow, principal, platform_id)


def visible_platforms(uow, principal: Principal, level=None, phase=None, area_code=None) -> list[dict]:
    if access.is_admin(principal):
        rows = repository.list_platforms(uow.conn, level=level, phase=phase)
    elif access.is_staff(principal):
        rows = repository.list_platforms(uow.conn, list(access.areas_within(principal.area)), level, phase)
    elif principal is not None and principal.role == "organization" and principal.organization_id:
        ids = repository.platforms_of_organization(uow.conn, principal.organization_id)
        rows = repository.list_platforms(uow.conn, ids=ids, level=level, phase=phase)
    else:
        rows = []
    if area_code:
        within = set(access.areas_within(area_code))
        rows = [r for r in rows if r["area_code"] in within]
    return rows


def list_(uow, principal: Principal, q: dict) -> dict:
    rows = visible_platforms(uow, principal, q.get("level"), q.get("phase"), q.get("area_code"))
    areas = {str(r["id"]): r["area_code"] for r in rows}
    histories = repository.phase_histories(uow.conn, list(areas))
    secretariat = _secretariat_orgs(uow, rows)
    out = []
    for r in rows:
        parent = str(r["parent_platform_id"]) if r["parent_platform_id"] else None
        parent_area = areas.get(parent) if parent else None
        if parent and parent_area is None:
            parent_area = _parent_area(uow, r)
        out.append(to_dict(r, parent_area, histories.get(str(r["id"]), []), secretariat))
    return {"items": out}


def tree(uow, principal: Principal) -> dict:
    """The PFs the caller may read, nested under their parents; a PF whose parent is not readable is a root."""
    items = list_(uow, principal, {})["items"]
    nodes = {i["id"]: {**i, "children": []} for i in items}
    roots = []
    for node in nodes.values():
        parent = node["parent_platform_id"]
        if parent in nodes:
            nodes[parent]["children"].append(node)
        else:
            roots.append(node)
    return {"roots": roots}
