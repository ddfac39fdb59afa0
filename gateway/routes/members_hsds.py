"""The public, unauthenticated, read-only HSDS 3.0 API over the published organisation directory (Japan
profile). Open to anyone, with `Access-Control-Allow-Origin: *`, as Open Referral publishers are expected to be."""
import json

from flask import Blueprint, Response, g, request, stream_with_context

from services.members.schemas import HsdsPageSchema, HsdsQuerySchema, HsdsRootSchema, HsdsServiceQuerySchema

from .. import services_client
from ..endpoints import PUBLIC, endpoint

bp = Blueprint("members_hsds", __name__)
TAGS = ["hsds"]
NDJSON = "application/x-ndjson"


@bp.after_request
def _open_to_everyone(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _stream(kind: str):
    query = {k: v for k, v in g.query_args.items() if k not in ("format", "page", "per_page")}

    def generate():
        after = None
        while True:
            batch = services_client.call("members", "hsds_export", kind, query, after, 500)
            for item in batch["items"]:
                yield json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"
            after = batch["next_after"]
            if after is None:
                return
    return Response(stream_with_context(generate()), mimetype=NDJSON)


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
