"""marshmallow schemas at the service edge; the gateway reuses them to validate requests and for OpenAPI."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .registration_lifecycle import STATUS_TYPES
from .survey_results import KINDS, TEMPLATES
from .vocabulary import ATTENDEE_CATEGORIES, AUDIENCES, EVENT_STATUSES, EVENT_TYPES

_text = validate.Length(min=1, max=500)


class SessionSchema(Schema):
    label = fields.String(allow_none=True, validate=validate.Length(max=200))
    date = fields.Date(required=True)
    start_time = fields.Time(allow_none=True)
    end_time = fields.Time(allow_none=True)
    venue_name = fields.String(allow_none=True, validate=validate.Length(max=300))
    venue_area_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    online_url = fields.Url(allow_none=True, schemes={"https", "http"})


class CoHostSchema(Schema):
    name = fields.String(required=True, validate=_text)
    organization_id = fields.UUID(allow_none=True)
    platform_id = fields.UUID(allow_none=True)


class SpeakerSchema(Schema):
    name = fields.String(required=True, validate=_text)
    affiliation = fields.String(allow_none=True, validate=validate.Length(max=300))
    role = fields.String(allow_none=True, validate=validate.Length(max=100))
    topic = fields.String(allow_none=True, validate=validate.Length(max=500))


class EventFieldsSchema(Schema):
    type = fields.String(validate=validate.OneOf(list(EVENT_TYPES)))
    co_hosts = fields.List(fields.Nested(CoHostSchema))
    contractor = fields.String(allow_none=True, validate=validate.Length(max=300))
    title = fields.String(validate=_text)
    description = fields.String(validate=validate.Length(max=10_000))
    audiences = fields.List(fields.String(validate=validate.OneOf(list(AUDIENCES))), validate=validate.Length(min=1))
    public = fields.Boolean(metadata={"description": "listed on the public calendar while open"})
    registration_enabled = fields.Boolean()
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    registration_opens_at = fields.AwareDateTime(allow_none=True)
    registration_closes_at = fields.AwareDateTime(allow_none=True)
    waitlist_enabled = fields.Boolean()
    approval_required = fields.Boolean()
    offer_expiration_hours = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=24 * 60))
    sessions = fields.List(fields.Nested(SessionSchema), validate=validate.Length(min=1, max=50))
    speakers = fields.List(fields.Nested(SpeakerSchema))
    archive_media_url = fields.Url(allow_none=True, schemes={"https", "http"})
    archive_view_count = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    archive_views_as_of = fields.Date(allow_none=True)
    trial_project_id = fields.UUID(allow_none=True)


class EventCreateSchema(EventFieldsSchema):
    host_platform_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(EVENT_TYPES)))
    title = fields.String(required=True, validate=_text)
    audiences = fields.List(fields.String(validate=validate.OneOf(list(AUDIENCES))), required=True,
                            validate=validate.Length(min=1))
    sessions = fields.List(fields.Nested(SessionSchema), required=True, validate=validate.Length(min=1, max=50))
    co_hosts = fields.List(fields.Nested(CoHostSchema), load_default=list)
    speakers = fields.List(fields.Nested(SpeakerSchema), load_default=list)
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    public = fields.Boolean(load_default=False)
    registration_enabled = fields.Boolean(load_default=True)
    waitlist_enabled = fields.Boolean(load_default=False)
    approval_required = fields.Boolean(load_default=False)


class EventUpdateSchema(EventFieldsSchema):
    pass


class EventStatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf([s for s in EVENT_STATUSES if s != "planned"]))


class EventQuerySchema(Schema):
    fiscal_year = fields.Integer()
    status = fields.String(validate=validate.OneOf(EVENT_STATUSES))
    type = fields.String(validate=validate.OneOf(list(EVENT_TYPES)))
    platform_id = fields.UUID()
    trial_project_id = fields.UUID()
    area_code = fields.String()
    q = fields.String(validate=validate.Length(min=1, max=100),
                      metadata={"description": "text search (NFKC, katakana = hiragana, spaces ignored)"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class PublicEventQuerySchema(Schema):
    type = fields.String(validate=validate.OneOf(list(EVENT_TYPES)))
    q = fields.String(validate=validate.Length(min=1, max=100))
    area_code = fields.String()
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class PlacesSchema(Schema):
    capacity = fields.Integer(allow_none=True)
    taken = fields.Integer()
    free = fields.Integer(allow_none=True)
    waiting = fields.Integer()
    awaiting_approval = fields.Integer()
    waitlist_open = fields.Boolean()


class EventSchema(EventFieldsSchema):
    id = fields.UUID()
    revision = fields.Integer()
    status = fields.String()
    host_platform = fields.Dict()
    first_day = fields.Date()
    last_day = fields.Date()
    fiscal_year = fields.Integer()
    area_code = fields.String()
    places = fields.Nested(PlacesSchema)
    may_manage = fields.Boolean()


class PublicEventSchema(Schema):
    id = fields.UUID()
    type = fields.String()
    title = fields.String()
    description = fields.String()
    audiences = fields.List(fields.String())
    status = fields.String()
    host_platform = fields.Dict()
    sessions = fields.List(fields.Nested(SessionSchema))
    speakers = fields.List(fields.Nested(SpeakerSchema))
    places = fields.Nested(PlacesSchema)
    registration_opens_at = fields.AwareDateTime(allow_none=True)
    registration_closes_at = fields.AwareDateTime(allow_none=True)
    first_day = fields.Date()
    area_code = fields.String()


class PersonSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_kana = fields.String(allow_none=True, validate=validate.Length(max=100))
    contact = fields.String(allow_none=True, validate=validate.Length(max=200),
                            metadata={"description": "an e-mail address or phone number, kept encrypted"})


class RegistrationCreateSchema(Schema):
    participant_kind = fields.String(load_default="organization",
                                     validate=validate.OneOf(["organization", "individual", "anonymous"]))
    organization_id = fields.UUID(allow_none=True)
    people = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    attendee_category = fields.String(load_default="pf_member", validate=validate.OneOf(list(ATTENDEE_CATEGORIES)))
    person = fields.Nested(PersonSchema, allow_none=True)


class RegistrationStatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(list(STATUS_TYPES)))
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class RegistrationSchema(Schema):
    id = fields.UUID()
    revision = fields.Integer()
    event_id = fields.UUID()
    participant_kind = fields.String()
    organization_id = fields.UUID(allow_none=True)
    people = fields.Integer()
    attended_people = fields.Integer(allow_none=True)
    attendee_category = fields.String()
    status = fields.String()
    status_label = fields.String()
    status_class = fields.String()
    is_counted = fields.Boolean()
    offered_at = fields.AwareDateTime(allow_none=True)
    offer_expires_at = fields.AwareDateTime(allow_none=True)
    personal_data = fields.String(metadata={"description": "none | held | erased"})
    person = fields.Nested(PersonSchema, allow_none=True,
                           metadata={"description": "only for the host PF's managers"})
    history = fields.List(fields.Dict(), allow_none=True)


class AttendanceItemSchema(Schema):
    registration_id = fields.UUID(required=True)
    attended = fields.Boolean(required=True)
    attended_people = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class AttendanceSchema(Schema):
    registrations = fields.List(fields.Nested(AttendanceItemSchema))
    head_counts = fields.Dict(keys=fields.String(validate=validate.OneOf(list(ATTENDEE_CATEGORIES))),
                              values=fields.Integer(validate=validate.Range(min=0)))

    @validates_schema
    def one_kind(self, data, **_):
        if (data.get("registrations") is None) == (data.get("head_counts") is None):
            raise ValidationError("give either per-registration attendance or head counts by category",
                                  "registrations")


class AttendanceResultSchema(Schema):
    total = fields.Integer()
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    source = fields.String()


class OptionSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    label = fields.String(required=True, validate=_text)


class QuestionSchema(Schema):
    template_code = fields.String(allow_none=True, validate=validate.OneOf(list(TEMPLATES)))
    kind = fields.String(validate=validate.OneOf(KINDS))
    text = fields.String(validate=validate.Length(max=1000))
    options = fields.List(fields.Nested(OptionSchema))
    answered = fields.Integer(validate=validate.Range(min=0))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(validate=validate.Range(min=0)))
    free_text_answers = fields.Integer(validate=validate.Range(min=0))


class SurveySchema(Schema):
    respondents = fields.Integer(required=True, validate=validate.Range(min=0))
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=200))


class SurveyResultSchema(Schema):
    event_id = fields.UUID()
    respondents = fields.Integer()
    participants = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    recorded_at = fields.AwareDateTime()
    questions = fields.List(fields.Dict())


class DistributionSchema(Schema):
    site_kind = fields.String(required=True, validate=_text)
    site_count = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    copies = fields.Integer(required=True, validate=validate.Range(min=0))


class HandoutCreateSchema(Schema):
    platform_id = fields.UUID(required=True)
    event_id = fields.UUID(allow_none=True)
    trial_project_id = fields.UUID(allow_none=True)
    item = fields.String(required=True, validate=_text)
    kind = fields.String(load_default="pamphlet", validate=validate.OneOf(
        ["pamphlet", "leaflet", "poster", "goods", "card", "sticker", "video", "other"]))
    copies_printed = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    distributed_on = fields.Date(required=True)
    distributions = fields.List(fields.Nested(DistributionSchema), load_default=list)


class HandoutSchema(HandoutCreateSchema):
    id = fields.UUID()
    area_code = fields.String()
    fiscal_year = fields.Integer()
    totals = fields.Dict()


class HandoutQuerySchema(Schema):
    fiscal_year = fields.Integer()
    event_id = fields.UUID()
    trial_project_id = fields.UUID()


class ContractorSchema(Schema):
    name = fields.String(required=True, validate=_text)
    amount_yen = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class KpiSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,50}$"))
    label = fields.String(required=True, validate=_text)
    unit = fields.String(allow_none=True, validate=validate.Length(max=20))
    direction = fields.String(load_default="at_least", validate=validate.OneOf(["at_least", "at_most"]))
    target = fields.Decimal(allow_none=True, as_string=False)


class TrialProjectCreateSchema(Schema):
    fiscal_year = fields.Integer(allow_none=True, validate=validate.Range(min=2019, max=2100))
    platform_id = fields.UUID(allow_none=True)
    area_code = fields.String(allow_none=True)
    name = fields.String(required=True, validate=_text)
    content = fields.String(load_default="", validate=validate.Length(max=10_000))
    kpi_text = fields.String(load_default="", validate=validate.Length(max=5_000))
    timing_text = fields.String(load_default="", validate=validate.Length(max=500))
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    contractors = fields.List(fields.Nested(ContractorSchema), load_default=list)
    kpis = fields.List(fields.Nested(KpiSchema), load_default=list)


class MeasurementSchema(Schema):
    measured = fields.Decimal(required=True, allow_none=True, as_string=False)
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class TrialProjectVerifySchema(Schema):
    verification_text = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    verified_on = fields.Date(required=True)
    measurements = fields.Dict(keys=fields.String(), values=fields.Nested(MeasurementSchema), load_default=dict)


class TrialProjectSchema(Schema):
    id = fields.UUID()
    fiscal_year = fields.Integer()
    fiscal_year_label = fields.String()
    platform_id = fields.UUID(allow_none=True)
    area_code = fields.String()
    name = fields.String()
    content = fields.String()
    kpi_text = fields.String()
    timing_text = fields.String()
    status = fields.String()
    budget_yen = fields.Integer()
    contractors = fields.List(fields.Nested(ContractorSchema))
    kpis = fields.List(fields.Dict())
    event_ids = fields.List(fields.UUID())
    handout_ids = fields.List(fields.UUID())
    verification_text = fields.String(allow_none=True)
    verified_on = fields.Date(allow_none=True)


class TrialProjectQuerySchema(Schema):
    fiscal_year = fields.Integer()
    area_code = fields.String()


class StatisticsQuerySchema(Schema):
    scope_area = fields.String(required=True)
    fiscal_year = fields.Integer(required=True, validate=validate.Range(min=2019, max=2100))


class StatisticsSchema(Schema):
    scope_area = fields.String()
    fiscal_year = fields.Integer()
    fiscal_year_label = fields.String()
    period = fields.Dict()
    as_of = fields.AwareDateTime()
    areas = fields.Dict(keys=fields.String(), values=fields.Dict())
    totals = fields.Dict()


class PersonalDataReadSchema(Schema):
    registration_id = fields.UUID()
    subject = fields.String()
    role = fields.String()
    area = fields.String(allow_none=True)
    correlation_id = fields.String(allow_none=True)
    read_at = fields.AwareDateTime()


class ExportAuditSchema(Schema):
    subject = fields.String()
    role = fields.String()
    area = fields.String(allow_none=True)
    rows_exported = fields.Integer()
    personal_included = fields.Boolean()
    correlation_id = fields.String(allow_none=True)
    exported_at = fields.AwareDateTime()
