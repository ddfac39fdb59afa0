"""Schemas of what the gateway itself answers (identity, areas, API keys, problems)."""
from marshmallow import Schema, fields, validate


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Dict(), metadata={"description": "[{pointer: '#/field', detail: '...'}]"})


class AreaSchema(Schema):
    code = fields.String(metadata={"example": "012301"})
    name = fields.String(metadata={"example": "登別市"})
    name_kana = fields.String(allow_none=True)
    level = fields.String(metadata={"enum": ["country", "prefecture", "bureau", "municipality", "cross_area"]})
    kind = fields.String(allow_none=True)


class AreaNodeSchema(AreaSchema):
    children = fields.List(fields.Nested(lambda: AreaNodeSchema()))


class AreaTreeSchema(Schema):
    root = fields.Nested(AreaNodeSchema)
    cross_area_groups = fields.List(fields.Dict())


class AreaQuerySchema(Schema):
    root = fields.String(metadata={"description": "a sub-tree inside your scope (area code)"})


class MeSchema(Schema):
    subject = fields.String()
    role = fields.String()
    via = fields.String()
    area = fields.Nested(AreaSchema, allow_none=True)
    organization_id = fields.String(allow_none=True)
    scope = fields.String(allow_none=True)


class ApiKeyCreateSchema(Schema):
    organization_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ApiKeySchema(Schema):
    id = fields.String()
    prefix = fields.String()
    organization_id = fields.String()
    name = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class IssuedApiKeySchema(Schema):
    id = fields.String()
    key = fields.String(metadata={"description": "shown once; store it now"})
    organization_id = fields.String()
    name = fields.String()
