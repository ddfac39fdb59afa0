"""Events: scheduling and status, registrations (organisation staff register their own organisation),
attendance, survey results, the public calendar, and the audited participant export."""
from flask import Blueprint, Response, g

from services.events.schemas import (AttendanceResultSchema, AttendanceSchema, EventCreateSchema, EventQuerySchema,
                                     EventSchema, EventStatusChangeSchema, EventUpdateSchema, ExportAuditSchema,
                                     PersonalDataReadSchema, PublicEventQuerySchema, PublicEventSchema,
                                     RegistrationCreateSchema, RegistrationSchema, RegistrationStatusChangeSchema,
                                     SurveyResultSchema, SurveySchema)

from .. import services_client
from ..endpoints import PUBLIC, STAFF, endpoint

bp = Blueprint("events", __name__)
TAGS = ["events"]


def _call(method, *args):
    return services_client.call("events", method, *args)


@endpoint(bp, "/v1/public/events", summary="Open events on the public calendar", audience=PUBLIC, tags=TAGS,
          query=PublicEventQuerySchema, response=PublicEventSchema, many=True,
          description="Events whose registration is open and that their host published. No participant data.")
def public_events():
    return {"items": _call("public_events", g.query_args)}


@endpoint(bp, "/v1/events", summary="Events in your scope", audience=STAFF, tags=TAGS, query=EventQuerySchema,
          response=EventSchema, many=True,
          description="Staff see the events of PFs in their scope; organisation staff see open events of their "
                      "PFs, public ones, and those they registered for.")
def list_events():
    return {"items": _call("list_events", g.query_args)}


@endpoint(bp, "/v1/events", "POST", summary="Schedule an event", audience=STAFF, tags=TAGS, body=EventCreateSchema,
          response=EventSchema, status=201,
          description="Only the host PF's managers (the staff at the PF's level whose scope covers its area).")
def create_event():
    return _call("create_event", g.body), 201


@endpoint(bp, "/v1/events/<uuid:event_id>", summary="One event", audience=STAFF, tags=TAGS, response=EventSchema)
def get_event(event_id):
    return _call("get_event", str(event_id))


@endpoint(bp, "/v1/events/<uuid:event_id>", "PATCH", summary="Change an event", audience=STAFF, tags=TAGS,
          body=EventUpdateSchema, response=EventSchema,
          description="Raising the capacity offers the new places to the waitlist in order.")
def update_event(event_id):
    return _call("update_event", str(event_id), g.body)


@endpoint(bp, "/v1/events/<uuid:event_id>/status", "POST", summary="Open, close, hold or cancel an event",
          audience=STAFF, tags=TAGS, body=EventStatusChangeSchema, response=EventSchema,
          description="planned → open → closed → held, or cancelled (which cancels its registrations). An event "
                      "without registration goes planned → held.")
def change_event_status(event_id):
    return _call("change_event_status", str(event_id), g.body)


@endpoint(bp, "/v1/events/<uuid:event_id>/registrations", summary="Registrations for an event", audience=STAFF,
          tags=TAGS, response=RegistrationSchema, many=True,
          description="No personal data in lists. Organisation staff see their own organisation's registration.")
def list_registrations(event_id):
    return {"items": _call("list_registrations", str(event_id))}


@endpoint(bp, "/v1/events/<uuid:event_id>/registrations", "POST", summary="Register for an event", audience=STAFF,
          tags=TAGS, body=RegistrationCreateSchema, response=RegistrationSchema, status=201,
          description="Organisation staff register their own organisation (with a number of people). The host "
                      "PF's managers also register named individuals (kept encrypted, erased after the event) or "
                      "anonymous head counts. Full events put newcomers on the waitlist, if it is on.")
def register(event_id):
    return _call("register", str(event_id), g.body), 201


@endpoint(bp, "/v1/registrations/<uuid:registration_id>", summary="One registration", audience=STAFF, tags=TAGS,
          response=RegistrationSchema,
          description="The person's name and contact only for the host PF's managers.")
def get_registration(registration_id):
    return _call("get_registration", str(registration_id)), 200, {"Cache-Control": "no-store"}


@endpoint(bp, "/v1/registrations/<uuid:registration_id>/status", "POST", summary="Change a registration's status",
          audience=STAFF, tags=TAGS, body=RegistrationStatusChangeSchema, response=RegistrationSchema,
          description="CiviEvent's transitions only (e.g. Awaiting approval → Pending from approval → Registered). "
                      "Participants may cancel or take up an offered place; everything else is the host's.")
def change_registration_status(registration_id):
    return _call("change_registration_status", str(registration_id), g.body)


@endpoint(bp, "/v1/registration-statuses", summary="Registration statuses with class and counting", audience=STAFF,
          tags=TAGS)
def registration_statuses():
    return {"items": _call("registration_status_types")}


@endpoint(bp, "/v1/survey-templates", summary="Standard survey questions and their KPIs", audience=STAFF, tags=TAGS,
          description="Use `template_code` in survey results to make a question comparable across events and "
                      "fiscal years (awareness, understanding, intention to act, the support navigator).")
def survey_templates():
    return {"items": _call("survey_templates")}


@endpoint(bp, "/v1/events/<uuid:event_id>/participants.csv", summary="Export participants as CSV", audience=STAFF,
          tags=TAGS, content_types=("text/csv",),
          description="Names and contacts only for the host PF's managers; every export is audited.")
def export_participants(event_id):
    result = _call("export_participants", str(event_id))
    response = Response(result["csv"], mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{result["filename"]}"'
    response.headers["X-Personal-Data"] = "included" if result["personal_data_included"] else "excluded"
    response.headers["Cache-Control"] = "no-store"
    return response


@endpoint(bp, "/v1/events/<uuid:event_id>/exports", summary="Audit trail of participant exports", audience=STAFF,
          tags=TAGS, response=ExportAuditSchema, many=True)
def export_audit(event_id):
    return {"items": _call("export_audit", str(event_id))}


@endpoint(bp, "/v1/events/<uuid:event_id>/personal-data-reads", summary="Audit trail of personal data reads",
          audience=STAFF, tags=TAGS, response=PersonalDataReadSchema, many=True,
          description="Every read of a named participant's name or contact through a single registration: who, "
                      "when, under which request id. For the host PF's managers.")
def personal_data_reads(event_id):
    return {"items": _call("personal_data_reads", str(event_id))}


@endpoint(bp, "/v1/events/<uuid:event_id>/attendance", "PUT", summary="Record attendance", audience=STAFF,
          tags=TAGS, body=AttendanceSchema, response=AttendanceResultSchema,
          description="Per registration (attended or not, how many came), or head counts by attendee category "
                      "for events without registration.")
def record_attendance(event_id):
    return _call("record_attendance", str(event_id), g.body)


@endpoint(bp, "/v1/events/<uuid:event_id>/attendance", summary="Attendance of an event", audience=STAFF, tags=TAGS,
          response=AttendanceResultSchema)
def get_attendance(event_id):
    return _call("get_attendance", str(event_id))


@endpoint(bp, "/v1/events/<uuid:event_id>/survey", "PUT", summary="Record survey results", audience=STAFF,
          tags=TAGS, body=SurveySchema, response=SurveyResultSchema,
          description="Aggregated answers per question; standard questions (template_code) are comparable across "
                      "events and fiscal years.")
def record_survey(event_id):
    return _call("record_survey", str(event_id), g.body)


@endpoint(bp, "/v1/events/<uuid:event_id>/survey", summary="Survey results of an event", audience=STAFF, tags=TAGS,
          response=SurveyResultSchema)
def get_survey(event_id):
    return _call("get_survey", str(event_id))
