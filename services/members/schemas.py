"""marshmallow schemas at the members service's edge; the gateway reuses them to validate and document."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from services.servicekit import taxonomy
from services.servicekit.areas.registry import default_registry

from .vocabulary import (ACTIVITY_TYPES, LEGAL_FORMS, MEMBERSHIP_CLASSES, MEMBERSHIP_STATUSES, PHASES,
                         PLATFORM_LEVELS, RECRUITMENT_SOURCES, REFERRAL_CAPACITY, canonical_legal_form)


def _known_area(code: str) -> None:
    if default_registry().find(code) is None:
        raise ValidationError("unknown area code")


def _home_area(code: str) -> None:
    area = default_registry().find(code)
    if area is None:
        raise ValidationError("unknown area code")
    if area.level not in ("prefecture", "bureau", "municipality"):
        raise ValidationError("a home area is a prefecture, a promotion bureau or a municipality")


def _known_term(value: str) -> None:
    if taxonomy.get(value) is None:
        raise ValidationError("unknown taxonomy term (give its code or id)")


def _legal_form(value: str) -> None:
    if canonical_legal_form(value) is None:
        raise ValidationError(f"unknown legal form; one of: {', '.join(LEGAL_FORMS)}")


class AreaCode(fields.String):
    def __init__(self, **kwargs):
        super().__init__(validate=_known_area, metadata={"example": "012301", **kwargs.pop("metadata", {})},
                         **kwargs)


# ---- organisations ----------------------------------------------------------------------------------------
class ContactSchema(Schema):
    """A person to contact (HSDS contact). Personal data: never published, never in events or logs."""
    name = fields.String(validate=validate.Length(max=200), allow_none=True)
    title = fields.String(validate=validate.Length(max=200), allow_none=True)
    department = fields.String(validate=validate.Length(max=200), allow_none=True)
    email = fields.Email(allow_none=True)
    phone = fields.String(validate=validate.Length(max=40), allow_none=True)


class OrganizationFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=300))
    name_kana = fields.String(validate=validate.Length(max=300), allow_none=True)
    alternate_name = fields.String(validate=validate.Length(max=300), allow_none=True)
    description = fields.String(validate=validate.Length(max=5000))
    legal_form = fields.String(validate=_legal_form, metadata={"enum": list(LEGAL_FORMS)})
    corporate_number = fields.String(validate=validate.Regexp(r"^\d{13}$"), allow_none=True,
                                     metadata={"description": "法人番号 (13 digits)"})
    external_id = fields.String(validate=validate.Length(min=1, max=200), allow_none=True,
                                metadata={"description": "id in a source system such as 支援情報ナビ"})
    taxonomy_terms = fields.List(fields.String(validate=_known_term),
                                 metadata={"description": "taxonomy term codes or ids (fields of activity, targets)"})
    activity_types = fields.List(fields.String(validate=validate.OneOf(list(ACTIVITY_TYPES))))
    service_area_codes = fields.List(AreaCode(), validate=validate.Length(min=1))
    service_area_note = fields.String(validate=validate.Length(max=500), allow_none=True)
    home_area_code = fields.String(validate=_home_area, metadata={"example": "012301"})
    email = fields.Email(allow_none=True)
    phone = fields.String(validate=validate.Length(max=40), allow_none=True)
    website = fields.Url(allow_none=True)
    contacts = fields.List(fields.Nested(ContactSchema))
    referral_capacity = fields.String(validate=validate.OneOf(list(REFERRAL_CAPACITY)))
    published = fields.Boolean()


class OrganizationCreateSchema(OrganizationFieldsSchema):
    class Meta:
        fields_required = ("name", "legal_form", "home_area_code", "service_area_codes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.Meta.fields_required:
            self.fields[name].required = True
            self.declared_fields[name].required = True


class OrganizationUpdateSchema(OrganizationFieldsSchema):
    revision = fields.Integer(validate=validate.Range(min=1),
                              metadata={"description": "the revision you edited; a newer one answers 412"})


class OrganizationQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "free text (kanji, kana, full/half width); every word must match"})
    taxonomy_term = fields.List(fields.String(validate=_known_term),
                                metadata={"description": "term code or id, descendants included"})
    activity_type = fields.List(fields.String(validate=validate.OneOf(list(ACTIVITY_TYPES))))
    service_area = AreaCode(metadata={"description": "organisations serving this area or an area containing it"})
    legal_form = fields.String(validate=_legal_form)
    platform_id = fields.UUID()
    membership_class = fields.String(validate=validate.OneOf(list(MEMBERSHIP_CLASSES)))
    membership_status = fields.String(validate=validate.OneOf(list(MEMBERSHIP_STATUSES)))
    referral_capacity = fields.String(validate=validate.OneOf(list(REFERRAL_CAPACITY)))
    published = fields.Boolean()
    include_inactive = fields.Boolean(load_default=False)
    modified_after = fields.AwareDateTime(metadata={"description": "RFC 3339; incremental sync"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    format = fields.String(validate=validate.OneOf(["json", "ndjson"]), load_default="json")


class TaxonomyTermRefSchema(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)


class MetadataSchema(Schema):
    """HSDS `metadata`: one per changed field."""
    id = fields.String()
    resource_id = fields.String()
    resource_type = fields.String()
    last_action_date = fields.DateTime()
    last_action_type = fields.String()
    field_name = fields.String()
    previous_value = fields.Raw(allow_none=True)
    replacement_value = fields.Raw(allow_none=True)
    updated_by = fields.String()
    revision = fields.Integer()


class OrganizationSchema(Schema):
    id = fields.String()
    name = fields.String()
    name_kana = fields.String(allow_none=True)
    alternate_name = fields.String(allow_none=True)
    description = fields.String()
    legal_form = fields.String()
    corporate_number = fields.String(allow_none=True)
    external_id = fields.String(allow_none=True)
    taxonomy_terms = fields.List(fields.Nested(TaxonomyTermRefSchema))
    activity_types = fields.List(fields.String())
    service_area_codes = fields.List(fields.String())
    service_area_note = fields.String(allow_none=True)
    home_area_code = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    contacts = fields.List(fields.Nested(ContactSchema))
    referral_capacity = fields.String()
    published = fields.Boolean()
    active = fields.Boolean()
    revision = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    memberships = fields.List(fields.Dict())
    metadata = fields.List(fields.Nested(MetadataSchema))


class PageSchema(Schema):
    """HSDS 3.0 `Page`."""
    total_items = fields.Integer()
    total_pages = fields.Integer()
    page_number = fields.Integer()
    size = fields.Integer()
    first_page = fields.Boolean()
    last_page = fields.Boolean()
    empty = fields.Boolean()
    contents = fields.List(fields.Dict())


class OrganizationPageSchema(PageSchema):
    contents = fields.List(fields.Nested(OrganizationSchema))


# ---- platforms --------------------------------------------------------------------------------------------
class PlatformFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=300))
    description = fields.String(validate=validate.Length(max=5000))
    parent_platform_id = fields.UUID(allow_none=True)
    first_meeting_on = fields.Date(allow_none=True)
    secretariat_organization_ids = fields.List(fields.UUID(),
                                               metadata={"description": "several for a joint secretariat 共同事務局"})
    existing_bodies = fields.List(fields.String(validate=validate.Length(min=1, max=300)),
                                  metadata={"description": "bodies the PF builds on: 生活困窮支援PF, 見守り連絡会議 …"})
    two_tier = fields.Boolean(metadata={"description": "core members (steering/core) vs the wider membership"})


class PlatformCreateSchema(PlatformFieldsSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    level = fields.String(required=True, validate=validate.OneOf(list(PLATFORM_LEVELS)))
    area_code = AreaCode(required=True)
    phase = fields.String(load_default="initial", validate=validate.OneOf(list(PHASES)))
    phase_since = fields.Date(metadata={"description": "defaults to today"})


class PlatformUpdateSchema(PlatformFieldsSchema):
    revision = fields.Integer(validate=validate.Range(min=1))


class PhaseChangeSchema(Schema):
    to_phase = fields.String(required=True, validate=validate.OneOf(list(PHASES)))
    effective_on = fields.Date(required=True)
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)


class PhaseHistorySchema(Schema):
    from_phase = fields.String(allow_none=True)
    to_phase = fields.String()
    effective_on = fields.String()
    reason = fields.String(allow_none=True)
    actor = fields.String()


class PlatformSchema(Schema):
    id = fields.String()
    name = fields.String()
    level = fields.String()
    area_code = fields.String()
    area_name = fields.String()
    parent_platform_id = fields.String(allow_none=True)
    subcommittee = fields.Boolean()
    description = fields.String()
    phase = fields.String()
    phase_label = fields.String()
    phase_since = fields.String()
    first_meeting_on = fields.String(allow_none=True)
    secretariat_organization_ids = fields.List(fields.String())
    joint_secretariat = fields.Boolean()
    joint_public_private = fields.Boolean(metadata={"description": "the secretariat has public and private members"})
    secretariat = fields.List(fields.Dict(), metadata={"description": "[{organization_id, name, legal_form, sector}]"})
    existing_bodies = fields.List(fields.String())
    two_tier = fields.Boolean()
    revision = fields.Integer()
    phase_history = fields.List(fields.Nested(PhaseHistorySchema))
    created_at = fields.String()
    updated_at = fields.String()


class PlatformQuerySchema(Schema):
    level = fields.String(validate=validate.OneOf(list(PLATFORM_LEVELS)))
    area_code = AreaCode(metadata={"description": "PFs in this area or below it"})
    phase = fields.String(validate=validate.OneOf(list(PHASES)))


class PlatformListSchema(Schema):
    items = fields.List(fields.Nested(PlatformSchema))


class PlatformTreeNodeSchema(PlatformSchema):
    children = fields.List(fields.Nested(lambda: PlatformTreeNodeSchema()))


class PlatformTreeSchema(Schema):
    roots = fields.List(fields.Nested(PlatformTreeNodeSchema))


# ---- memberships ------------------------------------------------------------------------------------------
class MembershipInviteSchema(Schema):
    organization_id = fields.UUID(required=True)
    membership_class = fields.String(load_default="member", validate=validate.OneOf(list(MEMBERSHIP_CLASSES)))
    recruitment_source = fields.String(validate=validate.OneOf(list(RECRUITMENT_SOURCES)), allow_none=True)
    effective_on = fields.Date(metadata={"description": "defaults to today"})
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)


class MembershipApplySchema(MembershipInviteSchema):
    pass


class MembershipActionSchema(Schema):
    effective_on = fields.Date(metadata={"description": "defaults to today"})
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)


class MembershipClassChangeSchema(MembershipActionSchema):
    membership_class = fields.String(required=True, validate=validate.OneOf(list(MEMBERSHIP_CLASSES)))


class MembershipQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(list(MEMBERSHIP_STATUSES)))
    membership_class = fields.String(validate=validate.OneOf(list(MEMBERSHIP_CLASSES)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class MembershipHistorySchema(Schema):
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    membership_class = fields.String()
    effective_on = fields.String()
    reason = fields.String(allow_none=True)
    actor = fields.String()
    recorded_at = fields.String()


class MembershipSchema(Schema):
    id = fields.String()
    organization_id = fields.String()
    organization_name = fields.String()
    legal_form = fields.String()
    platform_id = fields.String()
    platform_name = fields.String()
    platform_area_code = fields.String()
    membership_class = fields.String()
    tier = fields.String(metadata={"enum": ["core", "wider"]})
    status = fields.String()
    status_since = fields.String()
    joined_on = fields.String(allow_none=True)
    recruitment_source = fields.String(allow_none=True)
    revision = fields.Integer()
    history = fields.List(fields.Nested(MembershipHistorySchema))


class MembershipPageSchema(PageSchema):
    contents = fields.List(fields.Nested(MembershipSchema))


# ---- public HSDS API --------------------------------------------------------------------------------------
class HsdsQuerySchema(Schema):
    search = fields.String(validate=validate.Length(max=200), metadata={"description": "free text, Japanese folded"})
    taxonomy_term_id = fields.String(validate=_known_term,
                                     metadata={"description": "term id or code (descendants too)"})
    area_code = AreaCode(metadata={"description": "Japan profile: services serving this area or one containing it"})
    modified_after = fields.AwareDateTime()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    format = fields.String(validate=validate.OneOf(["json", "ndjson"]), load_default="json")


class HsdsServiceQuerySchema(HsdsQuerySchema):
    organization_id = fields.UUID()
    activity_type = fields.String(validate=validate.OneOf(list(ACTIVITY_TYPES)))


class HsdsRootSchema(Schema):
    version = fields.String()
    profile = fields.String()
    openapi_url = fields.String()


class HsdsPageSchema(PageSchema):
    pass


class ImportQuerySchema(Schema):
    skip_invalid = fields.Boolean(load_default=False,
                                  metadata={"description": "import the valid rows even if some are invalid"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "validate and report, change nothing"})


class ImportReportSchema(Schema):
    rejected = fields.Boolean()
    dry_run = fields.Boolean()
    rows_read = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    invalid = fields.Integer()
    errors = fields.List(fields.Dict(), metadata={"description": "[{line, pointer, detail}]"})
    rows = fields.List(fields.Dict(), metadata={"description": "[{line, status, organization_id}]"})


class StatisticsQuerySchema(Schema):
    scope_area = AreaCode(required=True)
    as_of = fields.Date(metadata={"description": "defaults to today"})
