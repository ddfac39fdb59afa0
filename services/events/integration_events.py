"""The events service's integration events (exchange `events.events`), and the members service's events it
consumes. Payloads carry ids, statuses, area codes and counts — never a participant's name or contact."""
from marshmallow import Schema, fields, validate

from .registration_lifecycle import STATUS_TYPES
from .vocabulary import ATTENDEE_CATEGORIES, EVENT_STATUSES, EVENT_TYPES
from services.servicekit.envelope import IntegrationEvent

_status = validate.OneOf(list(STATUS_TYPES))


class EventChangedPayload(Schema):
    event_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(EVENT_STATUSES))
    type = fields.String(required=True, validate=validate.OneOf(list(EVENT_TYPES)))
    platform_id = fields.UUID(required=True)
    area_code = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    first_day = fields.Date(required=True)
    capacity = fields.Integer(allow_none=True, load_default=None)
    registered_people = fields.Integer(required=True)
    waiting = fields.Integer(required=True)
    trial_project_id = fields.UUID(allow_none=True, load_default=None)


class RegistrationPayload(Schema):
    registration_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    event_id = fields.UUID(required=True)
    platform_id = fields.UUID(required=True)
    area_code = fields.String(required=True)
    participant_kind = fields.String(required=True, validate=validate.OneOf(["organization", "individual",
                                                                            "anonymous"]))
    organization_id = fields.UUID(allow_none=True, load_default=None)
    people = fields.Integer(required=True)
    attendee_category = fields.String(required=True, validate=validate.OneOf(list(ATTENDEE_CATEGORIES)))
    status = fields.String(required=True, validate=_status)
    from_status = fields.String(allow_none=True, load_default=None, validate=_status)
    status_class = fields.String(required=True)
    is_counted = fields.Boolean(required=True)


class AttendancePayload(Schema):
    event_id = fields.UUID(required=True)
    platform_id = fields.UUID(required=True)
    area_code = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    total = fields.Integer(required=True)
    by_category = fields.Dict(keys=fields.String(validate=validate.OneOf(list(ATTENDEE_CATEGORIES))),
                              values=fields.Integer(), required=True)
    source = fields.String(required=True, validate=validate.OneOf(["registrations", "head_counts"]))


class SurveyRecordedPayload(Schema):
    event_id = fields.UUID(required=True)
    platform_id = fields.UUID(required=True)
    area_code = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    respondents = fields.Integer(required=True)
    response_rate = fields.Float(allow_none=True, load_default=None)
    questions = fields.Integer(required=True)
    standard_questions = fields.List(fields.String(), required=True)


class TrialProjectPayload(Schema):
    trial_project_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    fiscal_year = fields.Integer(required=True)
    platform_id = fields.UUID(allow_none=True, load_default=None)
    area_code = fields.String(required=True)
    status = fields.String(required=True)
    budget_yen = fields.Integer(required=True)
    kpis = fields.Integer(required=True)
    kpis_achieved = fields.Integer(allow_none=True, load_default=None)


EVENT_SCHEDULED = IntegrationEvent("event.scheduled", 1, EventChangedPayload)
EVENT_OPENED = IntegrationEvent("event.opened", 1, EventChangedPayload)
EVENT_CLOSED = IntegrationEvent("event.closed", 1, EventChangedPayload)
EVENT_HELD = IntegrationEvent("event.held", 1, EventChangedPayload)
EVENT_CANCELLED = IntegrationEvent("event.cancelled", 1, EventChangedPayload)
EVENT_STATUS_EVENTS = {"open": EVENT_OPENED, "closed": EVENT_CLOSED, "held": EVENT_HELD,
                       "cancelled": EVENT_CANCELLED}
REGISTRATION_CREATED = IntegrationEvent("registration.created", 1, RegistrationPayload)
REGISTRATION_STATUS_CHANGED = IntegrationEvent("registration.status_changed", 1, RegistrationPayload)
ATTENDANCE_RECORDED = IntegrationEvent("attendance.recorded", 1, AttendancePayload)
SURVEY_RECORDED = IntegrationEvent("survey.recorded", 1, SurveyRecordedPayload)
TRIAL_PROJECT_CREATED = IntegrationEvent("trial_project.created", 1, TrialProjectPayload)
TRIAL_PROJECT_VERIFIED = IntegrationEvent("trial_project.verified", 1, TrialProjectPayload)

ALL = (EVENT_SCHEDULED, EVENT_OPENED, EVENT_CLOSED, EVENT_HELD, EVENT_CANCELLED, REGISTRATION_CREATED,
       REGISTRATION_STATUS_CHANGED, ATTENDANCE_RECORDED, SURVEY_RECORDED, TRIAL_PROJECT_CREATED,
       TRIAL_PROJECT_VERIFIED)

# --- consumed: the members service's contract (DEVELOPERS.md) ---------------------------------------------
MEMBERS_SOURCE = "members"
PLATFORM_EVENTS = ("platform.created", "platform.phase_changed")
ORGANIZATION_EVENTS = ("organization.registered", "organization.updated", "organization.deactivated")
MEMBERSHIP_EVENTS = tuple(f"membership.{t}" for t in ("invited", "applied", "activated", "class_changed",
                                                     "suspended", "withdrawn"))
