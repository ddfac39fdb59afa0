"""Turning rows into what nameko RPC can carry (JSON): no UUID, date, time, datetime, Decimal or bytes objects."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, memoryview)):
        raise TypeError("binary values never leave the service")
    return value
