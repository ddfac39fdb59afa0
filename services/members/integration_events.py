"""The members service's integration events (exchange `members.events`), exactly per DEVELOPERS.md.
Payloads carry ids, codes and organisation names (organisations are not people) — never contacts."""
from marshmallow import Schema, fields, validate

from .vocabulary import MEMBERSHIP_CLASSES, MEMBERSHIP_STATUSES, PHASES, PLATFORM_LEVELS, REFERRAL_CAPACITY


class OrganizationPayload(Schema):
    organization_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    name = fields.String(required=True)
    name_kana = fields.String(required=True, allow_none=True)
    legal_form = fields.String(required=True)
    taxonomy_codes = fields.List(fields.String(), required=True)
    activity_types = fields.List(fields.String(), required=True)
    service_area_codes = fields.List(fields.String(), required=True)
    home_area_code = fields.String(required=True)
    referral_capacity = fields.String(required=True, validate=validate.OneOf(list(REFERRAL_CAPACITY)))
    published = fields.Boolean(required=True)
    active = fields.Boolean(required=True)


class OrganizationUpdatedPayload(OrganizationPayload):
    changed_fields = fields.List(fields.String(), required=True)


class OrganizationDeactivatedPayload(Schema):
    organization_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)


class PlatformPayload(Schema):
    """The PF as it now is (platform.created and platform.updated)."""
    platform_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    level = fields.String(required=True, validate=validate.OneOf(list(PLATFORM_LEVELS)))
    area_code = fields.String(required=True)
    parent_platform_id = fields.UUID(required=True, allow_none=True)
    name = fields.String(required=True)
    phase = fields.String(required=True, validate=validate.OneOf(list(PHASES)))
    secretariat_organization_ids = fields.List(fields.UUID(), required=True)


class PlatformPhaseChangedPayload(Schema):
    platform_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    area_code = fields.String(required=True)
    from_phase = fields.String(required=True, validate=validate.OneOf(list(PHASES)))
    to_phase = fields.String(required=True, validate=validate.OneOf(list(PHASES)))
    effective_on = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"))


class MembershipPayload(Schema):
    membership_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    organization_id = fields.UUID(required=True)
    platform_id = fields.UUID(required=True)
    platform_area_code = fields.String(required=True)
    membership_class = fields.String(required=True, validate=validate.OneOf(list(MEMBERSHIP_CLASSES)))
    status = fields.String(required=True, validate=validate.OneOf(list(MEMBERSHIP_STATUSES)))
    effective_on = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"))


from services.servicekit.envelope import IntegrationEvent  # noqa: E402

ORGANIZATION_REGISTERED = IntegrationEvent("organization.registered", 1, OrganizationPayload)
ORGANIZATION_UPDATED = IntegrationEvent("organization.updated", 1, OrganizationUpdatedPayload)
ORGANIZATION_DEACTIVATED = IntegrationEvent("organization.deactivated", 1, OrganizationDeactivatedPayload)
PLATFORM_CREATED = IntegrationEvent("platform.created", 1, PlatformPayload)
PLATFORM_UPDATED = IntegrationEvent("platform.updated", 1, PlatformPayload)
PLATFORM_PHASE_CHANGED = IntegrationEvent("platform.phase_changed", 1, PlatformPhaseChangedPayload)
MEMBERSHIP_EVENTS = {name: IntegrationEvent(name, 1, MembershipPayload) for name in (
    "membership.invited", "membership.applied", "membership.activated", "membership.class_changed",
    "membership.suspended", "membership.withdrawn")}
