"""Trial projects (試行的事業), handouts and publications, and the events dashboard figures."""
from flask import Blueprint, g

from services.events.schemas import (HandoutCreateSchema, HandoutQuerySchema, HandoutSchema, StatisticsQuerySchema,
                                     StatisticsSchema, TrialProjectCreateSchema, TrialProjectQuerySchema,
                                     TrialProjectSchema, TrialProjectVerifySchema)
from services.events.statistics import roll_up
from services.servicekit.areas.registry import default_registry
from services.servicekit.areas.scope import scope_contains

from .. import services_client
from ..endpoints import STAFF, endpoint

bp = Blueprint("events_programmes", __name__)


def _call(method, *args):
    return services_client.call("events", method, *args)


@endpoint(bp, "/v1/trial-projects", summary="Trial projects in your scope", audience=STAFF, tags=["trial projects"],
          query=TrialProjectQuerySchema, response=TrialProjectSchema, many=True)
def list_trial_projects():
    return {"items": _call("list_trial_projects", g.query_args)}


@endpoint(bp, "/v1/trial-projects", "POST", summary="Create a trial project", audience=STAFF,
          tags=["trial projects"], body=TrialProjectCreateSchema, response=TrialProjectSchema, status=201,
          description="For a PF you manage, or for your own municipality/prefecture/bureau (area_code).")
def create_trial_project():
    return _call("create_trial_project", g.body), 201


@endpoint(bp, "/v1/trial-projects/<uuid:project_id>", summary="One trial project", audience=STAFF,
          tags=["trial projects"], response=TrialProjectSchema)
def get_trial_project(project_id):
    return _call("get_trial_project", str(project_id))


@endpoint(bp, "/v1/trial-projects/<uuid:project_id>/verification", "POST",
          summary="Record the outcome verification (成果検証)", audience=STAFF, tags=["trial projects"],
          body=TrialProjectVerifySchema, response=TrialProjectSchema)
def verify_trial_project(project_id):
    return _call("verify_trial_project", str(project_id), g.body)


@endpoint(bp, "/v1/handouts", summary="Handouts and publications in your scope", audience=STAFF, tags=["handouts"],
          query=HandoutQuerySchema, response=HandoutSchema, many=True)
def list_handouts():
    return {"items": _call("list_handouts", g.query_args)}


@endpoint(bp, "/v1/handouts", "POST", summary="Record a handout and where it was distributed", audience=STAFF,
          tags=["handouts"], body=HandoutCreateSchema, response=HandoutSchema, status=201)
def record_handout():
    return _call("record_handout", g.body), 201


@endpoint(bp, "/v1/handouts/<uuid:handout_id>", summary="One handout", audience=STAFF, tags=["handouts"],
          response=HandoutSchema)
def get_handout(handout_id):
    return _call("get_handout", str(handout_id))


@endpoint(bp, "/v1/statistics/events", summary="Events dashboard figures for a scope and fiscal year",
          audience=STAFF, tags=["statistics"], query=StatisticsQuerySchema, response=StatisticsSchema,
          description="Events held by type and month, attendance by category, survey KPIs per standard question "
                      "(with the previous fiscal year), handouts, trial-project budgets and KPI attainment. Per "
                      "area code, rolled up here to the scope's direct sub-areas (`by_sub_area`).")
def events_statistics():
    figures = _call("statistics", g.query["scope_area"], g.query["fiscal_year"])
    registry = default_registry()
    scope = g.query["scope_area"]
    sub_areas = {}
    if registry.find(scope) is not None:
        for child in registry.children(scope):
            inside = {code: a for code, a in figures["areas"].items() if scope_contains(child.code, code)}
            if inside:
                sub_areas[child.code] = {"name": child.name, **roll_up(inside)}
    figures["by_sub_area"] = sub_areas
    return figures
