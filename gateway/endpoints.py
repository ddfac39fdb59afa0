"""Declaring an endpoint once: its route, who may call it, and the marshmallow schemas of its query, body and
response. The same declaration enforces access, validates input (problem+json on failure) and feeds the
OpenAPI document, so documentation and behaviour cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, g, request
from marshmallow import RAISE, Schema

from services.servicekit.errors import BadRequest, InvalidInput, field_errors_from_marshmallow

from .access import authorize

PUBLIC: tuple = ()
STAFF = ("prefecture", "bureau", "municipality", "organization", "admin")  # people, with a JWT
PARTNERS = ("partner", "organization", "admin")  # partner systems (API key) and organisation staff
ADMINS = ("admin",)


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    audience: tuple
    tags: tuple = ()
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    description: str = ""
    extra_responses: dict = field(default_factory=dict)
    content_types: tuple = ("application/json",)


OPERATIONS: list[Operation] = []


def endpoint(bp: Blueprint, rule: str, method: str = "GET", *, summary: str, audience: tuple, tags=(),
             query=None, body=None, response=None, many=False, status=200, description="",
             extra_responses=None, content_types=("application/json",), body_loaded_by_service=False):
    """`body_loaded_by_service`: for a hot path whose service loads every request's body with this same schema at
    its edge, answering each invalid one with the same field-by-field 422: the gateway then checks only that the
    body is a JSON document without NUL characters, and the schema still documents it. (Loading the referral
    body in both places cost about a quarter of the gateway's CPU per POST /v1/referrals, measured with yappi.)"""
    operation = Operation(rule, method, summary, audience, tuple(tags), query, body, response, many, status,
                          description, extra_responses or {}, tuple(content_types))
    OPERATIONS.append(operation)

    # Schemas are built once per endpoint (marshmallow schemas are reusable), not per request.
    query_schema = query(unknown=RAISE) if query is not None else None
    body_schema = body(unknown=RAISE) if body is not None and not body_loaded_by_service else None
    takes_body = body is not None

    def decorate(fn):
        @wraps(fn)
        def view(*args, **kwargs):
            g.principal = authorize(audience)
            if query_schema is not None:
                g.query_args = _query_args(query_schema)
                _refuse_nul(g.query_args, "the query")
                g.query = query_schema.load(g.query_args)
            if takes_body:
                payload = request.get_json(silent=True)
                if payload is None:
                    raise BadRequest("the request body must be a JSON document")
                _refuse_nul(payload, "the request")
                errors = body_schema.validate(payload) if body_schema is not None else None
                if errors:
                    raise InvalidInput("the request has invalid fields", field_errors_from_marshmallow(errors))
                # Forwarded as JSON: the service loads it again at its own edge (nameko RPC speaks JSON).
                g.body = payload
            return fn(*args, **kwargs)

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        view.operation = operation
        return view

    return decorate


def _nul_pointers(value, path: str = "#") -> list[dict]:
    if isinstance(value, str):
        return [{"pointer": path, "detail": "must not contain the NUL character (U+0000)"}] if "\x00" in value else []
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _nul_pointers(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [e for i, v in enumerate(value) for e in _nul_pointers(v, f"{path}/{i}")]
    return []


def _refuse_nul(data, what: str) -> None:
    """PostgreSQL text cannot hold U+0000: refuse it here, field by field, instead of failing in a service."""
    errors = _nul_pointers(data)
    if errors:
        raise InvalidInput(f"{what} has invalid fields", errors)


def _query_args(schema) -> dict:
    """Query strings are flat; list fields accept repeated parameters (?term=a&term=b)."""
    from marshmallow import fields as mf
    out = {}
    for key in request.args:
        values = request.args.getlist(key)
        declared = schema.fields.get(key)
        out[key] = values if isinstance(declared, mf.List) else values[-1]
    return out
