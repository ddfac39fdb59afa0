"""The one access check at the gateway: who is calling, and may that kind of caller use this endpoint.
Object-level scope (which areas, which organisations) is then re-checked by the services."""
from __future__ import annotations

from flask import current_app, request

from services.servicekit.caller import Principal
from services.servicekit.errors import Forbidden, Unauthorized

from .authentication import principal_from_claims


def authenticate() -> Principal | None:
    state = current_app.extensions["tsunagu"]
    header = request.headers.get("Authorization", "")
    api_key = request.headers.get("X-API-Key")
    if header and api_key:
        raise Unauthorized("send either a bearer token or an API key, not both")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        return principal_from_claims(state.jwt.verify(token.strip()))
    if api_key:
        verified = state.api_keys.verify(api_key.strip())
        if verified is None:
            raise Unauthorized("the API key is not valid or has been revoked")
        return Principal(subject=f"api-key:{verified.id}", role="partner",
                         organization_id=verified.organization_id, via="api_key")
    return None


def authorize(audience: tuple) -> Principal | None:
    principal = authenticate()
    if not audience:
        return principal  # public endpoint: a caller may still identify itself
    if principal is None:
        raise Unauthorized("this endpoint needs a bearer token or an API key")
    if principal.role not in audience:
        if principal.via == "api_key":
            raise Forbidden("API keys are accepted only on partner endpoints")
        raise Forbidden(f"the role '{principal.role}' may not use this endpoint")
    return principal
