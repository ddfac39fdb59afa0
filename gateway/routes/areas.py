"""The area tree (prefecture → promotion bureau → municipality), limited to the caller's scope."""
from flask import Blueprint, g

from services.servicekit.areas.registry import default_registry
from services.servicekit.areas.scope import scope_contains
from services.servicekit.errors import NotFound

from ..endpoints import STAFF, endpoint
from ..schemas import AreaQuerySchema, AreaTreeSchema

bp = Blueprint("areas", __name__)


@endpoint(bp, "/v1/areas", summary="Area tree within your scope", audience=STAFF, tags=["areas"],
          query=AreaQuerySchema, response=AreaTreeSchema,
          description="Prefecture staff get their prefecture, bureau staff their bureau, municipal staff their "
                      "municipality; organisation staff and admins the whole country. `root` narrows to a "
                      "sub-tree; a root outside your scope answers 404.")
def list_areas():
    registry = default_registry()
    scope = g.principal.scope or "JP"
    root = g.query.get("root") or scope
    if registry.find(root) is None or not scope_contains(scope, root):
        raise NotFound("no such area in your scope")
    groups = [{"code": a.code, "name": a.name, "members": list(a.member_codes)}
              for a in registry.cross_area_groups() if scope_contains(scope, a.code)]
    return AreaTreeSchema().dump({"root": registry.tree(root), "cross_area_groups": groups})
