"""Trial projects (試行的事業): create, read, list, and verify outcomes against KPI targets (成果検証)."""
from __future__ import annotations

import uuid

from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import access, integration_events as ie, repository as repo
from services.servicekit.fiscal_year import fiscal_year_of, short_label
from services.servicekit.jsonable import jsonable
from .trial_project_rules import achieved, attainment, budget_total, verification_problems

NOT_FOUND = "no such trial project in your scope"


def _owner(conn, principal, data) -> tuple:
    """(platform_id, level, area_code) the project belongs to; the caller must manage it."""
    if data.get("platform_id"):
        pf = repo.platform(conn, data["platform_id"])
        if pf is None or not access.can_manage(principal, pf["level"], pf["area_code"]):
            raise InvalidInput("the request has invalid fields",
                               [{"pointer": "#/platform_id", "detail": "no such PF that you manage"}])
        return pf["id"], pf["level"], pf["area_code"]
    area = data.get("area_code")
    try:
        level = access.area_level(area) if area else None
    except KeyError:
        level = None
    if level is None or not access.can_manage(principal, level, area):
        raise InvalidInput("the request has invalid fields",
                           [{"pointer": "#/area_code", "detail": "name a PF or an area that you manage"}])
    return None, level, area


def payload(p) -> dict:
    kpis = p["kpis"]
    reached = [achieved(k["target"], k["measured"], k["direction"]) for k in kpis]
    return jsonable({"trial_project_id": p["id"], "revision": p["revision"], "fiscal_year": p["fiscal_year"],
                     "platform_id": p["platform_id"], "area_code": p["area_code"], "status": p["status"],
                     "budget_yen": budget_total(p["contractors"]), "kpis": len(kpis),
                     "kpis_achieved": sum(1 for r in reached if r) if p["status"] == "verified" else None})


def view(p) -> dict:
    out = {k: p[k] for k in ("id", "revision", "fiscal_year", "platform_id", "level", "area_code", "name",
                             "content", "kpi_text", "timing_text", "starts_on", "ends_on", "status",
                             "verification_text", "verified_on", "event_ids", "handout_ids")}
    out["fiscal_year_label"] = short_label(p["fiscal_year"])
    out["contractors"] = [{k: c[k] for k in ("name", "amount_yen", "note")} for c in p["contractors"]]
    out["budget_yen"] = budget_total(p["contractors"])
    out["kpis"] = [{**{k: kp[k] for k in ("code", "label", "unit", "direction", "target", "measured",
                                          "measured_note")},
                    "attainment": attainment(kp["target"], kp["measured"], kp["direction"]),
                    "achieved": achieved(kp["target"], kp["measured"], kp["direction"])} for kp in p["kpis"]]
    return jsonable(out)


def create(uow, principal, data: dict, project_id: str | None = None) -> dict:
    conn = uow.conn
    platform_id, level, area_code = _owner(conn, principal, data)
    fiscal_year = data.get("fiscal_year") or (fiscal_year_of(data["starts_on"]) if data.get("starts_on") else None)
    if fiscal_year is None:
        raise InvalidInput("the request has invalid fields",
                           [{"pointer": "#/fiscal_year", "detail": "give the fiscal year or a start date"}])
    if data.get("starts_on") and fiscal_year_of(data["starts_on"]) != fiscal_year:
        raise InvalidInput("the request has invalid fields",
                           [{"pointer": "#/starts_on", "detail": "starts outside the fiscal year"}])
    codes = [k["code"] for k in data.get("kpis", [])]
    if len(set(codes)) != len(codes):
        raise InvalidInput("the request has invalid fields", [{"pointer": "#/kpis", "detail": "KPI codes repeat"}])
    project_id = project_id or str(uuid.uuid4())
    repo.insert_trial_project(conn, {
        "id": project_id, "fiscal_year": fiscal_year, "platform_id": platform_id, "level": level,
        "area_code": area_code, "name": data["name"], "content": data.get("content", ""),
        "kpi_text": data.get("kpi_text", ""), "timing_text": data.get("timing_text", ""),
        "starts_on": data.get("starts_on"), "ends_on": data.get("ends_on")},
        data.get("contractors", []), data.get("kpis", []))
    p = repo.trial_project(conn, project_id)
    uow.emit(ie.TRIAL_PROJECT_CREATED, payload(p), area=area_code)
    return view(p)


def _readable(conn, principal, project_id, lock=False):
    p = repo.trial_project(conn, project_id, lock=lock)
    if p is None or not access.can_read(principal, p["level"], p["area_code"]):
        raise NotFound(NOT_FOUND)
    return p


def get(uow, principal, project_id) -> dict:
    return view(_readable(uow.conn, principal, project_id))


def list_(uow, principal, filters: dict) -> list[dict]:
    from services.servicekit.areas.scope import scope_contains
    area = filters.get("area_code")
    return [view(p) for p in repo.trial_projects(uow.conn, fiscal_year=filters.get("fiscal_year"))
            if access.can_read(principal, p["level"], p["area_code"])
            and (not area or scope_contains(area, p["area_code"]))]


def verify(uow, principal, project_id, data: dict) -> dict:
    conn = uow.conn
    p = _readable(conn, principal, project_id, lock=True)
    if not access.can_manage(principal, p["level"], p["area_code"]):
        raise Forbidden("only the project's managers verify its outcomes")
    if p["status"] == "verified":
        raise Conflict("the outcomes of this project were already verified")
    problems = verification_problems(p["kpis"], data.get("measurements", {}))
    if problems:
        raise InvalidInput("the request has invalid fields", problems)
    repo.record_measurements(conn, project_id, data.get("measurements", {}), data["verification_text"],
                             data["verified_on"])
    p = repo.trial_project(conn, project_id)
    uow.emit(ie.TRIAL_PROJECT_VERIFIED, payload(p), area=p["area_code"])
    return view(p)
