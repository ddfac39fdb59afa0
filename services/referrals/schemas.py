"""Schemas at the referrals service edge; the gateway reuses them for validation and OpenAPI."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.servicekit import taxonomy
from services.servicekit.areas.registry import default_registry

from .referral_lifecycle import CONSENT_METHODS, LEGAL_BASES, PERSON_FIELDS, STATES, URGENCIES

AGE_BANDS = ("0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+")


def _municipality(code: str) -> None:
    area = default_registry().find(code)
    if area is None or area.level != "municipality":
        raise ValidationError("not a municipality code")


def _area(code: str) -> None:
    if default_registry().find(code) is None or code == "JP":
        raise ValidationError("unknown area code")


def _category(code: str) -> None:
    if code not in taxonomy.terms():
        raise ValidationError("not a taxonomy term code")


class PersonSchema(Schema):
    """Personal data: encrypted at rest, shown only to the sender and the target, every read audited."""
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_kana = fields.String(validate=validate.Length(max=200))
    date_of_birth = fields.Date()
    age_band = fields.String(validate=validate.OneOf(AGE_BANDS))
    phone = fields.String(validate=validate.Regexp(r"^[0-9０-９+\-‐－() ]{6,24}$"))
    email = fields.Email(validate=validate.Length(max=254))
    address_area_code = fields.String(validate=_municipality)
    address = fields.String(validate=validate.Length(max=400))


class ConsentSchema(Schema):
    obtained_by = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                metadata={"description": "who obtained the consent (staff role or id)"})
    obtained_at = fields.AwareDateTime(required=True)
    method = fields.String(required=True, validate=validate.OneOf(CONSENT_METHODS),
                           metadata={"description": "written 書面 / verbal 口頭 / electronic 電子"})
    organization_ids = fields.List(fields.UUID(), metadata={
        "description": "organisations the person agreed may receive the data; absent: the referral's target"})
    fields_ = fields.List(fields.String(validate=validate.OneOf(PERSON_FIELDS)), data_key="fields",
                          attribute="fields", metadata={"description": "person fields that may be shared"})
    valid_until = fields.AwareDateTime(allow_none=True)


class LegalBasisSchema(Schema):
    basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES), metadata={
        "description": "protection_of_life: 人の生命・身体の保護 (consent cannot be obtained); regional_council: "
                       "a case inside a 孤独・孤立対策地域協議会 whose members carry a duty of confidentiality"})
    recorded_by = fields.String(required=True, validate=validate.Length(min=1, max=200))
    recorded_at = fields.AwareDateTime(required=True)
    explanation = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    council_name = fields.String(validate=validate.Length(max=200))


class PoolSchema(Schema):
    area_code = fields.String(required=True, validate=_area)
    category = fields.String(required=True, validate=_category)


class _SharingMixin(Schema):
    consent = fields.Nested(ConsentSchema, allow_none=True)
    legal_basis = fields.Nested(LegalBasisSchema, allow_none=True)

    @validates_schema
    def _one_destination(self, data, **_):
        if bool(data.get("target_organization_id")) == bool(data.get("pool")):
            raise ValidationError("give exactly one of target_organization_id and pool", "target_organization_id")


class ReferralCreateSchema(_SharingMixin):
    target_organization_id = fields.UUID(allow_none=True)
    pool = fields.Nested(PoolSchema, allow_none=True)
    category = fields.String(required=True, validate=_category)
    urgency = fields.String(load_default="routine", validate=validate.OneOf(URGENCIES))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                            metadata={"description": "non-personal summary of the need"})
    area_code = fields.String(required=True, validate=_municipality,
                              metadata={"description": "municipality the referral concerns"})
    person = fields.Nested(PersonSchema, required=True)
    do_not_contact = fields.Boolean(load_default=False, metadata={"description": "本人への連絡不可"})
    partner_reference = fields.String(validate=validate.Length(max=200))
    status = fields.String(load_default="requested", validate=validate.OneOf(("draft", "requested")))


class ForwardSchema(_SharingMixin):
    target_organization_id = fields.UUID(allow_none=True)
    pool = fields.Nested(PoolSchema, allow_none=True)
    category = fields.String(validate=_category)
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    summary = fields.String(validate=validate.Length(min=1, max=2000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATES))
    reason = fields.String(validate=validate.Length(max=2000))
    outcome = fields.String(validate=validate.Length(max=2000))


class ReferralView(Schema):
    """A referral as one caller may see it. `person`, `consent`, `legal_basis` and `partner_reference` appear
    only for the sender and the target."""
    id = fields.UUID()
    revision = fields.Integer()
    status = fields.String()
    category = fields.String()
    urgency = fields.String()
    summary = fields.String()
    area_code = fields.String()
    sender_organization_id = fields.UUID()
    target_organization_id = fields.UUID(allow_none=True)
    pool = fields.Nested(PoolSchema, allow_none=True)
    do_not_contact = fields.Boolean()
    forwarded_from_id = fields.UUID(allow_none=True)
    part_of_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    requested_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    overdue_at = fields.DateTime(allow_none=True)
    modified_at = fields.DateTime()
    personal_data_erased = fields.Boolean()
    partner_reference = fields.String(allow_none=True)
    consent = fields.Dict(allow_none=True)
    legal_basis = fields.Dict(allow_none=True)
    person = fields.Nested(PersonSchema, allow_none=True)


class ReferralListSchema(Schema):
    items = fields.List(fields.Nested(ReferralView))
    next = fields.Dict(allow_none=True, metadata={"description": "query to poll for the next page"})


class ReferralListQuery(Schema):
    box = fields.String(load_default="all", validate=validate.OneOf(("all", "sent", "received", "pool", "area")))
    modified_after = fields.AwareDateTime()
    after_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(STATES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class HistoryEntrySchema(Schema):
    revision = fields.Integer()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    actor_subject = fields.String()
    actor_role = fields.String()
    actor_organization_id = fields.UUID(allow_none=True)
    occurred_at = fields.DateTime()


class HistorySchema(Schema):
    items = fields.List(fields.Nested(HistoryEntrySchema))


class AuditQuery(Schema):
    referral_id = fields.UUID()
    since = fields.AwareDateTime()
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    referral_id = fields.UUID()
    reader_subject = fields.String()
    reader_role = fields.String()
    reader_organization_id = fields.UUID(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    purpose = fields.String()
    request_id = fields.String(allow_none=True)
    read_at = fields.DateTime()


class AuditListSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))


class StatisticsQuery(Schema):
    scope = fields.String(required=True, validate=_area)
    period_start = fields.AwareDateTime(required=True)
    period_end = fields.AwareDateTime(required=True)
    unique_persons = fields.Boolean(load_default=True, metadata={
        "description": "count distinct persons (not pre-aggregated: costly for a whole prefecture)"})

    @validates_schema
    def _ordered(self, data, **_):
        if data["period_end"] <= data["period_start"]:
            raise ValidationError("must be after period_start", "period_end")


class StatisticsSchema(Schema):
    scope = fields.String()
    period_start = fields.DateTime()
    period_end = fields.DateTime()
    as_of = fields.DateTime()
    by_area = fields.Dict(metadata={"description": "area code -> {by_status, by_category, total, overdue_backlog}"})
    totals = fields.Dict()
    time_to_accept_seconds = fields.Dict(metadata={
        "description": "{median, p90, n, method}: method 'exact', or 'histogram' (within 1 %) for large scopes"})
    time_to_close_seconds = fields.Dict(metadata={"description": "{median, p90, n}"})
    overdue_backlog = fields.Integer()
    unique_persons = fields.Integer(allow_none=True, metadata={"description": "null when not asked for"})
    tree = fields.Dict(metadata={"description": "prefecture → bureau → municipality roll-up of the counts"})


__all__ = [name for name in dir() if name.endswith(("Schema", "Query", "View"))]
