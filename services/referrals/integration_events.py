"""The referrals service's integration events (exchange `referrals.events`), per the contract in DEVELOPERS.md.

The payload schema is explicit and the envelope rejects unknown fields: no personal data can ride along.
`interested_organization_ids`: the organisations the change concerns (sender, target and, while a pool referral
is unclaimed — and at the moment it is claimed — every organisation eligible to claim it); webhooks notify
exactly these (planned by a trigger on the outbox, referrals migration 0101, in the transaction of the change).
"""
from marshmallow import Schema, fields, validate

from services.servicekit.envelope import IntegrationEvent

from .referral_lifecycle import STATES, URGENCIES


class PoolRef(Schema):
    area_code = fields.String(required=True)
    category = fields.String(required=True)


class ReferralEventPayload(Schema):
    referral_id = fields.UUID(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATES))
    category = fields.String(required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    sender_organization_id = fields.UUID(required=True)
    target_organization_id = fields.UUID(required=True, allow_none=True)
    pool = fields.Nested(PoolRef, required=True, allow_none=True)
    area_code = fields.String(required=True)
    interested_organization_ids = fields.List(fields.UUID(), required=True)


def _event(name: str) -> IntegrationEvent:
    return IntegrationEvent(f"referral.{name}", 1, ReferralEventPayload)


REQUESTED = _event("requested")
ACCEPTED = _event("accepted")
REJECTED = _event("rejected")
IN_PROGRESS = _event("in_progress")
ON_HOLD = _event("on_hold")
COMPLETED = _event("completed")
FAILED = _event("failed")
CANCELLED = _event("cancelled")
OVERDUE = _event("overdue")
FORWARDED = _event("forwarded")
CLAIMED = _event("claimed")

BY_TYPE = {e.type: e for e in (REQUESTED, ACCEPTED, REJECTED, IN_PROGRESS, ON_HOLD, COMPLETED, FAILED, CANCELLED,
                               OVERDUE, FORWARDED, CLAIMED)}
