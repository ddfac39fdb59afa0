"""Use cases for the organisation directory: register, update (with a per-field change log, HSDS `metadata`),
deactivate, get, search and export. Called by service.py inside a unit of work."""
from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache

from services.servicekit import taxonomy
from services.servicekit.caller import Principal
from services.servicekit.jsonable import jsonable
from services.servicekit.errors import Conflict, Forbidden, NotFound, PreconditionFailed

from . import access, integration_events as events, japanese_text, repository
from .paging import page
from .vocabulary import canonical_legal_form

# Fields an organisation record has (input names); taxonomy terms are stored as their codes.
EDITABLE = ("name", "name_kana", "alternate_name", "description", "legal_form", "corporate_number", "external_id",
            "taxonomy_codes", "activity_types", "service_area_codes", "service_area_note", "home_area_code", "email",
            "phone", "website", "contacts", "referral_capacity", "published")
EVENT_FIELDS = ("name", "name_kana", "legal_form", "taxonomy_codes", "activity_types", "service_area_codes",
                "home_area_code", "referral_capacity", "published", "active")


def _unique(values) -> list:
    seen, out = set(), []
    for v in values or ():
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def normalise_input(data: dict) -> dict:
    """Schema-loaded input → stored values (canonical legal form, term codes, de-duplicated lists)."""
    out = {k: v for k, v in data.items() if k in EDITABLE or k == "taxonomy_terms"}
    if "taxonomy_terms" in out:
        out["taxonomy_codes"] = _unique(taxonomy.get(t).code for t in out.pop("taxonomy_terms"))
    if "legal_form" in out:
        out["legal_form"] = canonical_legal_form(out["legal_form"])
    for key in ("activity_types", "service_area_codes"):
        if key in out:
            out[key] = _unique(out[key])
    if "contacts" in out:
        out["contacts"] = [{k: v for k, v in c.items() if v is not None} for c in out["contacts"] or []]
    for key in ("name", "name_kana", "alternate_name", "description", "service_area_note"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    return out


def diff(current: dict, changes: dict) -> list[tuple[str, object, object]]:
    """(field, previous, replacement) for every field whose value really changes."""
    out = []
    for name, new in changes.items():
        old = current.get(name)
        if jsonable(old) != jsonable(new):
            out.append((name, jsonable(old), jsonable(new)))
    return out


def event_payload(org: dict, changed_fields: list[str] | None = None) -> dict:
    payload = {"organization_id": str(org["id"]), "revision": org["revision"],
               **{k: org[k] for k in EVENT_FIELDS}}
    payload["taxonomy_codes"] = list(org["taxonomy_codes"])
    if changed_fields is not None:
        payload["changed_fields"] = changed_fields
    return payload


@lru_cache(maxsize=256)
def _term_ref(code: str) -> dict | None:
    term = taxonomy.get(code)
    return {"id": term.id, "code": term.code, "name": term.name, "parent_id": term.parent_id} if term else None


def term_refs(codes) -> list[dict]:
    return [dict(ref) for ref in (_term_ref(c) for c in codes or ()) if ref is not None]


def to_dict(org: dict, include_contacts: bool, memberships: list[dict] | None = None,
            metadata: list[dict] | None = None) -> dict:
    out = {c: jsonable(org[c]) for c in repository.ORG_COLUMNS if c not in ("taxonomy_codes", "contacts",
                                                                               "deactivated_at")}
    out["taxonomy_terms"] = term_refs(org["taxonomy_codes"])
    out["activity_types"] = list(org["activity_types"])
    out["service_area_codes"] = list(org["service_area_codes"])
    out["contacts"] = list(org["contacts"] or []) if include_contacts else []
    if memberships is not None:
        out["memberships"] = [{k: jsonable(v) for k, v in m.items() if k != "organization_id"} for m in memberships]
    if metadata is not None:
        out["metadata"] = [metadata_dict(m) for m in metadata]
    return out


def metadata_dict(row: dict) -> dict:
    return {"id": str(row["id"]), "resource_id": str(row["organization_id"]), "resource_type": "organization",
            "last_action_date": row["changed_at"].isoformat(), "last_action_type": row["action_type"],
            "field_name": row["field_name"], "previous_value": row["previous_value"],
            "replacement_value": row["replacement_value"], "updated_by": row["updated_by"],
            "revision": row["revision"]}


def register(uow, principal: Principal, data: dict) -> dict:
    values = normalise_input(data)
    if not access.can_register_organization(principal, values["home_area_code"]):
        raise Forbidden("you may register organisations only in your own area")
    existing = repository.find_organization_by_key(uow.conn, values.get("external_id"), values["name"],
                                                   values["home_area_code"])
    if existing is not None:
        raise Conflict("an organisation with this name (or external id) already exists in this area")
    values.setdefault("referral_capacity", "accepting")
    values.setdefault("published", False)
    values.setdefault("description", "")
    values.setdefault("taxonomy_codes", [])
    values.setdefault("activity_types", [])
    values.setdefault("contacts", [])
    org = repository.insert_organization(uow.conn, {"id": str(uuid.uuid4()), **values, "revision": 1})
    created = [(name, None, jsonable(org[name])) for name in EDITABLE
               if org.get(name) not in (None, "", [], {})]
    repository.insert_changes(uow.conn, str(org["id"]), 1, "create", created, principal.subject)
    uow.emit(events.ORGANIZATION_REGISTERED, event_payload(org), area=org["home_area_code"])
    return to_dict(org, include_contacts=True)


def _load_for_change(uow, principal, organization_id, check) -> dict:
    org = repository.get_organization(uow.conn, organization_id, for_update=True)
    if org is None or not access.can_read_organization(principal, org):
        raise NotFound("no such organisation")
    if not check(principal, org):
        raise Forbidden("you may not change this organisation")
    return org


def update(uow, principal: Principal, organization_id: str, data: dict) -> dict:
    org = _load_for_change(uow, principal, organization_id, access.can_edit_organization)
    expected = data.get("revision")
    if expected is not None and expected != org["revision"]:
        raise PreconditionFailed("the organisation changed since you read it; reload and edit again")
    values = normalise_input(data)
    if "home_area_code" in values and not access.is_admin(principal) and principal.role != "organization" \
            and not principal.covers(values["home_area_code"]):
        raise Forbidden("you may not move an organisation out of your area")
    changes = diff(org, values)
    if not changes:
        return to_dict(org, include_contacts=True)
    if {"name", "home_area_code"} & {c[0] for c in changes}:
        clash = repository.find_organization_by_key(uow.conn, None, values.get("name", org["name"]),
                                                    values.get("home_area_code", org["home_area_code"]))
        if clash is not None and clash["id"] != org["id"]:
            raise Conflict("an organisation with this name already exists in this area")
    if "external_id" in values and values["external_id"]:
        clash = repository.find_organization_by_key(uow.conn, values["external_id"], "\x00", "\x00")
        if clash is not None and clash["id"] != org["id"]:
            raise Conflict("another organisation has this external id")
    revision = org["revision"] + 1
    updated = repository.update_organization(uow.conn, str(org["id"]), {c[0]: values[c[0]] for c in changes},
                                             revision)
    repository.insert_changes(uow.conn, str(org["id"]), revision, "update", changes, principal.subject)
    changed = [c[0] for c in changes]
    uow.emit(events.ORGANIZATION_UPDATED, event_payload(updated, changed),
             area=updated["home_area_code"])
    return to_dict(updated, include_contacts=True)


def deactivate(uow, principal: Principal, organization_id: str, reason: str | None = None) -> dict:
    org = _load_for_change(uow, principal, organization_id, access.can_deactivate_organization)
    if not org["active"]:
        raise Conflict("the organisation is already deactivated")
    revision = org["revision"] + 1
    updated = repository.update_organization(uow.conn, str(org["id"]), {"active": False}, revision)
    repository.insert_changes(uow.conn, str(org["id"]), revision, "deactivate", [("active", True, False)],
                              principal.subject)
    uow.emit(events.ORGANIZATION_DEACTIVATED, {"organization_id": str(org["id"]), "revision": revision},
             area=org["home_area_code"])
    return to_dict(updated, include_contacts=True)


def get(uow, principal: Principal, organization_id: str, include_metadata: bool = True) -> dict:
    org = repository.get_organization(uow.conn, organization_id)
    if org is None or not access.can_read_organization(principal, org):
        raise NotFound("no such organisation")
    memberships = repository.memberships_of_organizations(uow.conn, [str(org["id"])]).get(str(org["id"]), [])
    memberships = [m for m in memberships if _may_see_membership(principal, org, m)]
    can_edit = access.can_edit_organization(principal, org)
    metadata = repository.list_changes(uow.conn, str(org["id"])) if include_metadata and can_edit else None
    return to_dict(org, include_contacts=can_edit, memberships=memberships, metadata=_redact(metadata))


def _redact(metadata):
    """Contacts are personal data: the change log says they changed, not what they were."""
    if metadata is None:
        return None
    out = []
    for row in metadata:
        if row["field_name"] == "contacts":
            row = {**row, "previous_value": None, "replacement_value": None}
        out.append(row)
    return out


def _may_see_membership(principal, org, m) -> bool:
    return (access.is_admin(principal) or principal.acts_for(str(org["id"]))
            or (access.is_staff(principal) and principal.covers(m["platform_area_code"])))


def directory_query(uow, principal: Principal, q: dict) -> repository.DirectoryQuery:
    query = repository.DirectoryQuery(
        terms=japanese_text.search_terms(q.get("q")),
        legal_form=canonical_legal_form(q["legal_form"]) if q.get("legal_form") else None,
        referral_capacity=q.get("referral_capacity"), published=q.get("published"),
        include_inactive=bool(q.get("include_inactive")), modified_after=q.get("modified_after"),
        membership_class=q.get("membership_class"), membership_status=q.get("membership_status"))
    if q.get("taxonomy_term"):
        codes: set[str] = set()
        for value in q["taxonomy_term"]:
            codes |= taxonomy.with_descendants(taxonomy.get(value).code)
        query.taxonomy_codes = sorted(codes)
    if q.get("activity_type"):
        query.activity_types = list(q["activity_type"])
    if q.get("service_area"):
        query.area_codes_containing = list(access.areas_containing(q["service_area"]))
    if q.get("platform_id"):
        from . import platforms
        platforms.load_readable(uow, principal, str(q["platform_id"]))  # NotFound outside the caller's scope
        query.platform_id = str(q["platform_id"])
    if access.is_admin(principal):
        pass
    elif access.is_staff(principal):
        within = list(access.areas_within(principal.area))
        query.scope_home_areas = within
        query.scope_service_areas = sorted(set(within) | set(access.areas_containing(principal.area)))
    elif principal is not None and principal.role == "organization" and principal.organization_id:
        query.published_or_own = True
        query.own_organization_id = principal.organization_id
        if query.include_inactive:
            query.include_inactive = False
    else:
        raise NotFound("no such organisation")
    return query


def search(uow, principal: Principal, q: dict) -> dict:
    query = directory_query(uow, principal, q)
    rows, total = repository.search_organizations(uow.conn, query, q["page"], q["per_page"])
    # People's contacts are shown one organisation at a time (GET) to those who may edit it, never in bulk.
    contents = [to_dict(r, include_contacts=False) for r in rows]
    return page(contents, total, q["page"], q["per_page"])


def export(uow, principal: Principal, q: dict, after: list | None, limit: int) -> dict:
    query = directory_query(uow, principal, q)
    key = (datetime.fromisoformat(after[0]), after[1]) if after else None
    rows = repository.export_organizations(uow.conn, query, key, limit)
    items = [to_dict(r, include_contacts=False) for r in rows]
    next_after = [rows[-1]["updated_at"].isoformat(), str(rows[-1]["id"])] if len(rows) == limit else None
    return {"items": items, "next_after": next_after}
