"""Loading input at a service's edge: one marshmallow load, unknown fields refused, failures as InvalidInput
with field-level pointers. Schema instances are built once per class (reusable; building costs more than a load)."""
from __future__ import annotations

from marshmallow import RAISE, ValidationError

from .errors import InvalidInput, field_errors_from_marshmallow

_SCHEMAS: dict = {}


def load_input(schema_cls, data, what: str = "the request", partial: bool = False) -> dict:
    schema = _SCHEMAS.get(schema_cls)
    if schema is None:
        schema = _SCHEMAS[schema_cls] = schema_cls(unknown=RAISE)
    try:
        return schema.load(data or {}, partial=partial)
    except ValidationError as exc:
        raise InvalidInput(f"{what} has invalid fields", field_errors_from_marshmallow(exc.messages)) from None
