"""Schemas at the edge of the referral_webhooks service (the gateway reuses them for validation and OpenAPI)."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

REFERRAL_EVENT_TYPES = ("referral.requested", "referral.accepted", "referral.rejected", "referral.in_progress",
                        "referral.on_hold", "referral.completed", "referral.failed", "referral.cancelled",
                        "referral.overdue", "referral.forwarded", "referral.claimed")
DELIVERY_STATUSES = ("pending", "succeeded", "failed")
MAX_OVERLAP_SECONDS = 7 * 24 * 3600


def _unique(values):
    if values is not None and len(set(values)) != len(values):
        raise ValidationError("event types must not repeat")


class EndpointCreateSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2048),
                        metadata={"example": "https://partner.example.jp/tsunagu/webhooks"})
    description = fields.String(load_default="", validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=validate.OneOf(REFERRAL_EVENT_TYPES)), allow_none=True,
                              load_default=None, validate=[validate.Length(min=1), _unique],
                              metadata={"description": "only these referral event types; omitted or null: all"})


class EndpointUpdateSchema(Schema):
    description = fields.String(validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=validate.OneOf(REFERRAL_EVENT_TYPES)), allow_none=True,
                              validate=[validate.Length(min=1), _unique])
    active = fields.Boolean(metadata={"description": "false disables the endpoint (pending deliveries stop); "
                                                     "true enables it again after re-checking its URL"})


class RotateSecretSchema(Schema):
    overlap_seconds = fields.Integer(validate=validate.Range(min=0, max=MAX_OVERLAP_SECONDS),
                                     metadata={"description": "how long the previous secret still signs; "
                                                              "default from configuration (24 h)"})


class EndpointQuerySchema(Schema):
    organization_id = fields.UUID(metadata={"description": "admins only: one organisation's endpoints"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    after = fields.UUID(metadata={"description": "the last id of the previous page"})


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.UUID(metadata={"description": "the last delivery id of the previous page (newest first)"})


class SecretSummarySchema(Schema):
    id = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "null: the current secret"})


class EndpointSchema(Schema):
    id = fields.String()
    organization_id = fields.String()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String(), allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    disabled_at = fields.DateTime(allow_none=True)
    secrets = fields.List(fields.Nested(SecretSummarySchema), metadata={"description": "valid secrets (never "
                                                                                         "their values)"})


class CreatedEndpointSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "the signing secret, shown once: store it now"})


class RotatedSecretSchema(Schema):
    endpoint_id = fields.String()
    secret = fields.String(metadata={"description": "the new signing secret, shown once"})
    previous_secret_expires_at = fields.DateTime(allow_none=True)


class AttemptSchema(Schema):
    number = fields.Integer()
    trigger = fields.String(metadata={"enum": ["scheduled", "redeliver"]})
    attempted_at = fields.DateTime()
    duration_ms = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    outcome = fields.String(metadata={"enum": ["succeeded", "http_error", "timeout", "connection_error",
                                               "refused_target", "error"]})
    error_class = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.String()
    endpoint_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    referral_id = fields.String()
    occurred_at = fields.DateTime()
    status = fields.String(metadata={"enum": list(DELIVERY_STATUSES)})
    attempt_count = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_outcome = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    attempts = fields.List(fields.Nested(AttemptSchema))


class OrganizationDeactivatedPayloadSchema(Schema):
    """members' `organization.deactivated` v1 (DEVELOPERS.md)."""
    class Meta:
        unknown = EXCLUDE

    organization_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
