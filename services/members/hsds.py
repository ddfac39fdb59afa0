"""The public HSDS 3.0 view of the directory (audience PUBLIC): published, active organisations only, never
people's contacts. Japan profile: service areas carry national local-government codes (JIS X 0401/0402) as
`area_code` and in `uri`; fields of activity are the shared taxonomy, attached through `attributes`; the legal
form is `legal_status`, one of the profile's legal forms; 法人番号 is an organization_identifier."""
from __future__ import annotations

import uuid
from datetime import datetime

from services.servicekit import taxonomy
from services.servicekit.areas.registry import default_registry
from services.servicekit.errors import NotFound

from . import japanese_text, repository
from .access import areas_containing
from .paging import page
from .vocabulary import ACTIVITY_TYPES, LEGAL_FORMS, REFERRAL_CAPACITY

HSDS_VERSION = "3.0"
BASE = "https://tsunagu.example.jp"
PROFILE_URI = f"{BASE}/hsds/profile/jp-tsunagu/1.0"
_NS = uuid.UUID("6f2b8d4e-3c1a-5e7b-9a0d-2f4c6e8a1b3d")


def _id(*parts) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def area_uri(code: str) -> str:
    return f"{BASE}/areas/{code}"


def _attributes(owner_id: str, link_type: str, codes) -> list[dict]:
    out = []
    for code in codes or ():
        term = taxonomy.get(code)
        if term is None:
            continue
        out.append({"id": _id("attribute", owner_id, term.code), "link_id": owner_id, "link_type": link_type,
                    "link_entity": link_type, "taxonomy_term_id": term.id, "value": term.name,
                    "taxonomy_term": term_dict(term)})
    return out


def term_dict(term) -> dict:
    return {"id": term.id, "code": term.code, "name": term.name, "description": term.description,
            "parent_id": term.parent_id, "taxonomy": taxonomy.TAXONOMY_NAME, "taxonomy_id": taxonomy.TAXONOMY_ID,
            "language": "ja"}


def service_status(org: dict) -> str:
    if not org["active"]:
        return "inactive"
    return "temporarily closed" if org["referral_capacity"] == "paused" else "active"


def service_areas(service_id: str, org: dict) -> list[dict]:
    registry = default_registry()
    out = []
    for code in org["service_area_codes"]:
        area = registry.find(code)
        out.append({"id": _id("service_area", service_id, code), "service_id": service_id,
                    "name": area.name if area else code, "description": org.get("service_area_note") or None,
                    "extent": None, "extent_type": None, "uri": area_uri(code), "area_code": code})
    return out


# A service's id is its organisation's id XOR a fixed mask per activity type: stable, a valid version-4 UUID (the
# mask leaves the version and variant bits alone), and reversible, so GET /services/{id} needs no extra table.
_VERSION_VARIANT_BITS = (0xF << 76) | (0x3 << 62)


def _service_mask(activity_type: str) -> int:
    return uuid.uuid5(_NS, f"service/{activity_type}").int & ~_VERSION_VARIANT_BITS


def service_id_of(organization_id: str, activity_type: str) -> str:
    return str(uuid.UUID(int=uuid.UUID(str(organization_id)).int ^ _service_mask(activity_type)))


def service_dict(org: dict, activity_type: str) -> dict:
    org_id = str(org["id"])
    service_id = service_id_of(org_id, activity_type)
    label = ACTIVITY_TYPES.get(activity_type, ACTIVITY_TYPES["other"])
    return {
        "id": service_id, "organization_id": org_id, "program_id": None,
        "name": f"{org['name']}（{label}）", "alternate_name": None,
        "description": org["description"] or None, "url": org["website"], "email": org["email"],
        "status": service_status(org), "last_modified": org["updated_at"].isoformat(),
        "service_areas": service_areas(service_id, org),
        "phones": [{"id": _id("phone", service_id), "number": org["phone"]}] if org["phone"] else [],
        "attributes": _attributes(service_id, "service", org["taxonomy_codes"]) + [{
            "id": _id("attribute", service_id, "activity_type"), "link_id": service_id, "link_type": "service",
            "link_entity": "service", "taxonomy_term_id": None, "label": "activity_type", "value": activity_type}, {
            "id": _id("attribute", service_id, "referral_capacity"), "link_id": service_id, "link_type": "service",
            "link_entity": "service", "taxonomy_term_id": None, "label": "referral_capacity",
            "value": org["referral_capacity"]}],
        "contacts": [], "schedules": [], "service_at_locations": [], "languages": [], "metadata": [],
    }


def organization_dict(org: dict, with_services: bool = False) -> dict:
    org_id = str(org["id"])
    out = {
        "id": org_id, "name": org["name"], "alternate_name": org["alternate_name"] or org["name_kana"] or None,
        "description": org["description"] or org["name"], "email": org["email"], "website": org["website"],
        "legal_status": org["legal_form"], "year_incorporated": None, "logo": None, "uri": None,
        "parent_organization_id": None,
        "organization_identifiers": ([{"id": _id("identifier", org_id), "organization_id": org_id,
                                       "identifier_scheme": "JP-CN", "identifier_type": "法人番号",
                                       "identifier": org["corporate_number"]}] if org["corporate_number"] else []),
        "phones": [{"id": _id("phone", org_id), "organization_id": org_id, "number": org["phone"]}]
        if org["phone"] else [],
        "contacts": [],  # people's contacts are never published
        "attributes": _attributes(org_id, "organization", org["taxonomy_codes"]),
        "metadata": [],
        "last_modified": org["updated_at"].isoformat(),
    }
    if with_services:
        types = list(org["activity_types"]) or ["other"]
        out["services"] = [service_dict(org, t) for t in types]
    return out


def public_query(q: dict) -> repository.DirectoryQuery:
    query = repository.DirectoryQuery(terms=japanese_text.search_terms(q.get("search")), published=True,
                                      modified_after=q.get("modified_after"))
    if q.get("taxonomy_term_id"):
        term = taxonomy.get(q["taxonomy_term_id"])
        query.taxonomy_codes = sorted(taxonomy.with_descendants(term.code)) if term else ["\x00"]
    if q.get("area_code"):
        query.area_codes_containing = list(areas_containing(q["area_code"]))
    if q.get("organization_id"):
        query.organization_id = str(q["organization_id"])
    return query


def list_organizations(uow, q: dict) -> dict:
    rows, total = repository.search_organizations(uow.conn, public_query(q), q["page"], q["per_page"])
    return page([organization_dict(r) for r in rows], total, q["page"], q["per_page"])


def get_organization(uow, organization_id: str) -> dict:
    org = repository.get_organization(uow.conn, organization_id)
    if org is None or not (org["published"] and org["active"]):
        raise NotFound("no such organization")
    return organization_dict(org, with_services=True)


def list_services(uow, q: dict) -> dict:
    query = public_query(q)
    rows, total = repository.search_services(uow.conn, query, q.get("activity_type"), q["page"], q["per_page"])
    return page([service_dict(r, r["activity_type"]) for r in rows], total, q["page"], q["per_page"])


def get_service(uow, service_id: str) -> dict:
    try:
        sid = uuid.UUID(str(service_id))
    except ValueError:
        raise NotFound("no such service") from None
    candidates = {str(uuid.UUID(int=sid.int ^ _service_mask(t))): t for t in ACTIVITY_TYPES}
    for org_id, org in repository.get_organizations(uow.conn, list(candidates)).items():
        activity_type = candidates[org_id]
        if org["published"] and org["active"] and activity_type in (list(org["activity_types"]) or ["other"]):
            return service_dict(org, activity_type)
    raise NotFound("no such service")


def export(uow, kind: str, q: dict, after: list | None, limit: int) -> dict:
    query = public_query(q)
    key = (datetime.fromisoformat(after[0]), after[1]) if after else None
    rows = repository.export_organizations(uow.conn, query, key, limit)
    items: list[dict] = []
    for r in rows:
        if kind == "organizations":
            items.append(organization_dict(r))
        else:
            items += [service_dict(r, t) for t in (list(r["activity_types"]) or ["other"])
                      if not q.get("activity_type") or t == q["activity_type"]]
    next_after = [rows[-1]["updated_at"].isoformat(), str(rows[-1]["id"])] if len(rows) == limit else None
    return {"items": items, "next_after": next_after}


def profile_document() -> dict:
    registry = default_registry()
    return {
        "name": "Tsunagu Japan profile of HSDS 3.0 (つなぐ 日本プロファイル)",
        "uri": PROFILE_URI,
        "hsds_version": HSDS_VERSION,
        "description": "HSDS 3.0 for Japan's loneliness and isolation public-private platforms. Only published, "
                       "active organisations appear; contacts of people are never published.",
        "service_areas": {
            "description": "A service area is an administrative area identified by its national code: prefectures "
                           "by JIS X 0401 (01–47), municipalities by the six-digit local-government code "
                           "(JIS X 0402 + check digit), Hokkaido's promotion bureaus (振興局) by 01Bnn and "
                           "cross-area groups (広域) by xa-*. `service_area.area_code` carries the code and "
                           "`service_area.uri` is https://tsunagu.example.jp/areas/{code}. A query by `area_code` "
                           "returns services serving that area or any area containing it.",
            "added_properties": {"service_area.area_code": "string, required in this profile"},
            "levels": ["prefecture", "bureau", "municipality", "cross_area"],
            "count": len(registry),
        },
        "taxonomy": {"id": taxonomy.TAXONOMY_ID, "name": taxonomy.TAXONOMY_NAME,
                     "description": "Fields of activity and target groups (domain.md §2.7); hierarchy by parent_id. "
                                    "Attached to organisations and services through `attributes`.",
                     "terms": [term_dict(t) for t in taxonomy.terms().values()]},
        "legal_forms": {"field": "organization.legal_status", "values": list(LEGAL_FORMS)},
        "organization_identifiers": {"identifier_scheme": "JP-CN", "identifier_type": "法人番号",
                                     "description": "the 13-digit corporate number of the National Tax Agency"},
        "service_status": {"active": "accepting referrals or on a waiting list",
                           "temporarily closed": "not taking referrals for now (受入停止)",
                           "inactive": "the organisation is no longer active"},
        "service_attributes": {"activity_type": ACTIVITY_TYPES, "referral_capacity": REFERRAL_CAPACITY},
        "services": "Each organisation's offerings are services, one per activity type (相談窓口, 居場所づくり, "
                    "アウトリーチ, その他); their ids are stable.",
    }
