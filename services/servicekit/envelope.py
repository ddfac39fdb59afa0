"""The one event envelope every integration event travels in, and the declaration of event types.

Each service lists its integration events, versioned, in its own `integration_events.py`. A payload schema
is explicit and rejects unknown fields, so nothing (in particular no personal data) rides along by accident.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property

from marshmallow import RAISE, Schema, ValidationError, fields, validate


class EventEnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+\.[a-z_]+$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True, allow_none=True)
    area = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)


ENVELOPE = EventEnvelopeSchema()


@dataclass(frozen=True)
class IntegrationEvent:
    """A named, versioned event type with the schema its payload must satisfy.

    The envelope's fixed fields (type, version) are checked once, here, where the type is declared; the others
    are made by `envelope()` itself. So an envelope built by `envelope()` is valid by construction and the
    outbox does not check it again (checking cost about as much as building it)."""
    type: str
    version: int
    payload_schema: type[Schema]

    def __post_init__(self):
        errors = ENVELOPE.validate({"type": self.type, "version": self.version}, partial=True)
        if errors:
            raise ValidationError(errors)

    @cached_property
    def _payload(self) -> Schema:
        # Built once per event type: marshmallow schemas are reusable, and building one costs more than a load.
        return self.payload_schema(unknown=RAISE)

    def envelope(self, payload: dict, *, producer: str, area: str | None,
                 correlation_id: str | None = None) -> dict:
        errors = self._payload.validate(payload)
        if errors:
            # A programming error, not user input: the event would carry fields it must not.
            raise ValidationError(errors)
        return {
            "event_id": str(uuid.uuid4()),
            "type": self.type,
            "version": self.version,
            "occurred_at": datetime.now(timezone.utc).isoformat(),
            "producer": producer,
            "correlation_id": correlation_id,
            "area": area,
            "payload": self._payload.dump(payload),
        }


def parse_envelope(body: dict) -> dict:
    """Validate an incoming envelope; raises marshmallow.ValidationError for a malformed one."""
    errors = ENVELOPE.validate(body)
    if errors:
        raise ValidationError(errors)
    return body
