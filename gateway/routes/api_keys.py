"""Admin endpoints for partner-system API keys."""
from flask import Blueprint, current_app, g

from services.servicekit.errors import NotFound

from ..endpoints import ADMINS, endpoint
from ..schemas import ApiKeyCreateSchema, ApiKeySchema, IssuedApiKeySchema

bp = Blueprint("api_keys", __name__)


def _store():
    return current_app.extensions["tsunagu"].api_keys


@endpoint(bp, "/v1/admin/api-keys", "POST", summary="Issue an API key for a partner system (shown once)",
          audience=ADMINS, tags=["admin"], body=ApiKeyCreateSchema, response=IssuedApiKeySchema, status=201)
def create_api_key():
    issued = _store().create(g.body["organization_id"], g.body["name"], created_by=g.principal.subject)
    return IssuedApiKeySchema().dump(issued.__dict__), 201


@endpoint(bp, "/v1/admin/api-keys", summary="List API keys (never the secrets)", audience=ADMINS, tags=["admin"],
          response=ApiKeySchema, many=True)
def list_api_keys():
    return {"items": ApiKeySchema(many=True).dump(_store().list())}


@endpoint(bp, "/v1/admin/api-keys/<uuid:key_id>", "DELETE", summary="Revoke an API key", audience=ADMINS,
          tags=["admin"], status=204)
def revoke_api_key(key_id):
    if not _store().revoke(str(key_id)):
        raise NotFound("no such active API key")
    return "", 204
