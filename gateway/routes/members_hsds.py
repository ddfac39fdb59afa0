"""The public, unauthenticated, read-only HSDS 3.0 API over the published organisation directory (Japan
profile). Open to anyone, with `Access-Control-Allow-Origin: *`, as Open Referral publishers are expected to be."""

from flask import Blueprint, g, request

from services.members.schemas import HsdsPageSchema, HsdsQuerySchema, HsdsRootSchema, HsdsServiceQuerySchema

from .. import services_client
from ..endpoints import PUBLIC, endpoint
from ..ndjson import NDJSON, ndjson_pages

bp = Blueprint("members_hsds", __name__)
TAGS = ["hsds"]


@bp.after_request
def _open_to_everyone(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _stream(kind: str):
    query = {k: v for k, v in g.query_args.items() if k not in ("format", "page", "per_page")}
    return ndjson_pages("members", "hsds_export", kind, query)


@endpoint(bp, "/hsds/", summary="HSDS API root: version and profile", audience=PUBLIC, tags=TAGS,
          response=HsdsRootSchema)
def hsds_root():
    base = request.host_url.rstrip("/")
    return {"version": "3.0", "profile": base + "/hsds/profile", "openapi_url": base + "/openapi.json"}


@endpoint(bp, "/hsds/profile", summary="The Japan profile (area codes, taxonomy, legal forms)", audience=PUBLIC,
          tags=TAGS)
def hsds_profile():
    return services_client.call("members", "hsds_profile")


@endpoint(bp, "/hsds/organizations", summary="Published organisations (HSDS Page, or ndjson)", audience=PUBLIC,
          tags=TAGS, query=HsdsQuerySchema, response=HsdsPageSchema, content_types=("application/json", NDJSON))
def hsds_organizations():
    if g.query.get("format") == "ndjson":
        return _stream("organizations")
    return services_client.call("members", "hsds_organizations", g.query_args)


@endpoint(bp, "/hsds/organizations/<organization_id>", summary="A published organisation with its services",
          audience=PUBLIC, tags=TAGS)
def hsds_organization(organization_id):
    return services_client.call("members", "hsds_organization", organization_id)


@endpoint(bp, "/hsds/services", summary="Services of published organisations (HSDS Page, or ndjson)",
          audience=PUBLIC, tags=TAGS, query=HsdsServiceQuerySchema, response=HsdsPageSchema,
          content_types=("application/json", NDJSON),
          description="One service per organisation and activity type; `service_areas` carry area codes. "
                      "`area_code` returns services serving that area or an area containing it.")
def hsds_services():
    if g.query.get("format") == "ndjson":
        return _stream("services")
    return services_client.call("members", "hsds_services", g.query_args)


@endpoint(bp, "/hsds/services/<service_id>", summary="One service", audience=PUBLIC, tags=TAGS)
def hsds_service(service_id):
    return services_client.call("members", "hsds_service", service_id)


def _term_page(terms: list[dict]) -> dict:
    from services.members.paging import page
    number = max(1, request.args.get("page", 1, type=int) or 1)
    size = min(500, max(1, request.args.get("per_page", 50, type=int) or 50))
    return page(terms[(number - 1) * size:number * size], len(terms), number, size)


@endpoint(bp, "/hsds/taxonomies", summary="The taxonomy used (HSDS Page)", audience=PUBLIC, tags=TAGS,
          response=HsdsPageSchema)
def hsds_taxonomies():
    from services.servicekit import taxonomy
    return _term_page([{"id": taxonomy.TAXONOMY_ID, "name": taxonomy.TAXONOMY_NAME,
                        "description": "活動分野・対象（つなぐ 共通タクソノミー）", "uri": None, "version": "1"}])


@endpoint(bp, "/hsds/taxonomy_terms", summary="Its terms, with parent_id (HSDS Page)", audience=PUBLIC, tags=TAGS,
          response=HsdsPageSchema,
          description="`parent_id` narrows to a term's children; `top_only=true` gives the top level.")
def hsds_taxonomy_terms():
    from services.members.hsds import term_dict
    from services.servicekit import taxonomy
    terms = [term_dict(t) for t in taxonomy.terms().values()]
    if request.args.get("top_only") in ("true", "1"):
        terms = [t for t in terms if t["parent_id"] is None]
    if request.args.get("parent_id"):
        terms = [t for t in terms if t["parent_id"] == request.args["parent_id"]]
    return _term_page(terms)
