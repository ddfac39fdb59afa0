"""Who am I: the verified principal as the services will see it."""
from flask import Blueprint, g

from services.servicekit.areas.registry import default_registry

from ..endpoints import STAFF, endpoint
from ..schemas import MeSchema

bp = Blueprint("identity", __name__)


@endpoint(bp, "/v1/me", summary="The authenticated caller, its role and scope", audience=STAFF + ("partner",),
          tags=["identity"], response=MeSchema)
def me():
    p = g.principal
    area = default_registry().find(p.area) if p.area else None
    return MeSchema().dump({"subject": p.subject, "role": p.role, "via": p.via, "organization_id": p.organization_id,
                            "scope": p.scope, "area": area.__dict__ if area else None})
