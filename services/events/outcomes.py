"""What an event achieved: attendance (per registration, or head counts by category for events without
registration), survey results, and handouts distributed."""
from __future__ import annotations

import uuid

from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import access, integration_events as ie, repository as repo
from .event_catalogue import check_trial_project, managed_event, managed_platform, readable_event
from services.servicekit.fiscal_year import fiscal_year_of
from .handouts import distribution_problems, totals
from services.servicekit.jsonable import jsonable
from .registration_desk import _move
from .survey_results import SurveyProblem, kpi, normalise_questions, question_summary, response_rate
from .vocabulary import ATTENDEE_CATEGORIES


def attendance_of(conn, ev) -> dict:
    by_category = repo.attendance_by_category(conn, [ev["id"]]).get(ev["id"], {})
    return {"total": sum(by_category.values()), "by_category": by_category,
            "source": "registrations" if ev["registration_enabled"] else "head_counts"}


def record_attendance(uow, principal, event_id, data: dict) -> dict:
    conn = uow.conn
    ev = managed_event(conn, principal, event_id, lock=True)
    if ev["status"] not in ("closed", "held"):
        raise Conflict("attendance is recorded once registration has closed or the event was held")
    if data.get("head_counts") is not None:
        if ev["registration_enabled"]:
            raise Conflict("this event takes registrations: record attendance per registration")
        bad = [c for c, n in data["head_counts"].items() if c not in ATTENDEE_CATEGORIES or n < 0]
        if bad:
            raise InvalidInput("the request has invalid fields",
                               [{"pointer": f"#/head_counts/{c}", "detail": "unknown category or negative count"}
                                for c in bad])
        repo.replace_attendance_counts(conn, event_id, {c: n for c, n in data["head_counts"].items() if n})
    for i, item in enumerate(data.get("registrations") or []):
        reg = repo.registration(conn, item["registration_id"], lock=True)
        if reg is None or reg["event_id"] != ev["id"]:
            raise InvalidInput("the request has invalid fields",
                               [{"pointer": f"#/registrations/{i}/registration_id",
                                 "detail": "no such registration at this event"}])
        target = "attended" if item["attended"] else "no_show"
        people = item.get("attended_people")
        if people is not None and people > reg["people"]:
            people_problem = [{"pointer": f"#/registrations/{i}/attended_people",
                               "detail": "more people attended than were registered"}]
            raise InvalidInput("the request has invalid fields", people_problem)
        extra = {"attended_people": (people if people is not None else reg["people"]) if item["attended"] else 0}
        if reg["status"] == target:
            conn.execute("UPDATE registrations SET attended_people = %s WHERE id = %s",
                         (extra["attended_people"], reg["id"]))
        else:
            _move(uow, ev, reg, target, principal.subject, None, extra)
    attendance = attendance_of(conn, ev)
    uow.emit(ie.ATTENDANCE_RECORDED, jsonable({
        "event_id": ev["id"], "platform_id": ev["host_platform_id"], "area_code": ev["area_code"],
        "fiscal_year": ev["fiscal_year"], **attendance}), area=ev["area_code"])
    return jsonable(attendance)


def get_attendance(uow, principal, event_id) -> dict:
    ev = readable_event(uow.conn, principal, event_id)
    if not access.reads_event(principal, ev):
        raise NotFound("no such event in your scope")
    return jsonable(attendance_of(uow.conn, ev))


def record_survey(uow, principal, event_id, data: dict) -> dict:
    conn = uow.conn
    ev = managed_event(conn, principal, event_id, lock=True)
    if ev["status"] != "held":
        raise Conflict("survey results are recorded for an event that was held")
    try:
        questions = normalise_questions(data["questions"], data["respondents"])
    except SurveyProblem as exc:
        raise InvalidInput("the request has invalid fields", [{"pointer": exc.pointer, "detail": exc.detail}]) \
            from None
    repo.replace_survey(conn, event_id, data["respondents"], questions)
    summary = survey_view(conn, ev)
    uow.emit(ie.SURVEY_RECORDED, jsonable({
        "event_id": ev["id"], "platform_id": ev["host_platform_id"], "area_code": ev["area_code"],
        "fiscal_year": ev["fiscal_year"], "respondents": data["respondents"],
        "response_rate": summary["response_rate"], "questions": len(questions),
        "standard_questions": [q["template_code"] for q in questions if q["template_code"]]}), area=ev["area_code"])
    return summary


def survey_view(conn, ev) -> dict | None:
    s = repo.survey(conn, ev["id"])
    if s is None:
        return None
    participants = attendance_of(conn, ev)["total"]
    questions = [question_summary(dict(q)) for q in s["questions"]]
    for q in questions:
        if q["template_code"]:
            q["kpi"] = kpi(q["template_code"], q["counts"], q["answered"])
        q.pop("event_id", None)
    return jsonable({"event_id": ev["id"], "respondents": s["respondents"], "participants": participants,
                     "response_rate": response_rate(s["respondents"], participants),
                     "recorded_at": s["recorded_at"], "questions": questions})


def get_survey(uow, principal, event_id) -> dict:
    ev = readable_event(uow.conn, principal, event_id)
    if not access.reads_event(principal, ev):
        raise NotFound("no such event in your scope")
    s = survey_view(uow.conn, ev)
    if s is None:
        raise NotFound("no survey results recorded for this event")
    return s


def record_handout(uow, principal, data: dict, handout_id: str | None = None) -> dict:
    conn = uow.conn
    pf = managed_platform(conn, principal, data["platform_id"], "#/platform_id")
    if data.get("event_id"):
        try:
            ev = managed_event(conn, principal, data["event_id"])
        except (NotFound, Forbidden):
            ev = None
        if ev is None or ev["host_platform_id"] != pf["id"]:
            raise InvalidInput("the request has invalid fields",
                               [{"pointer": "#/event_id", "detail": "no such event of this PF"}])
    check_trial_project(conn, principal, data.get("trial_project_id"))
    problems = distribution_problems(data.get("copies_printed"), data.get("distributions", []))
    if problems:
        raise InvalidInput("the request has invalid fields", problems)
    handout_id = handout_id or str(uuid.uuid4())
    repo.insert_handout(conn, {
        "id": handout_id, "platform_id": pf["id"], "level": pf["level"], "area_code": pf["area_code"],
        "event_id": data.get("event_id"), "trial_project_id": data.get("trial_project_id"), "item": data["item"],
        "kind": data.get("kind") or "pamphlet", "copies_printed": data.get("copies_printed"),
        "distributed_on": data["distributed_on"], "fiscal_year": fiscal_year_of(data["distributed_on"])},
        data.get("distributions", []))
    return handout_view(repo.handout(conn, handout_id))


def handout_view(h) -> dict:
    out = {k: h[k] for k in ("id", "platform_id", "area_code", "event_id", "trial_project_id", "item", "kind",
                             "copies_printed", "distributed_on", "fiscal_year")}
    out["distributions"] = [{k: d[k] for k in ("site_kind", "site_count", "copies")} for d in h["distributions"]]
    out["totals"] = totals(h["copies_printed"], out["distributions"])
    return jsonable(out)


def get_handout(uow, principal, handout_id) -> dict:
    h = repo.handout(uow.conn, handout_id)
    if h is None or not access.can_read(principal, h["level"], h["area_code"]):
        raise NotFound("no such handout in your scope")
    return handout_view(h)


def list_handouts(uow, principal, filters: dict) -> list[dict]:
    rows = repo.handouts(uow.conn, fiscal_year=filters.get("fiscal_year"), event_id=filters.get("event_id"),
                         trial_project_id=filters.get("trial_project_id"))
    return [handout_view(h) for h in rows if access.can_read(principal, h["level"], h["area_code"])]
