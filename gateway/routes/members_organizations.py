"""The organisation directory (members service): register, update, deactivate, read, search and stream."""

from flask import Blueprint, g, request

from services.members.csv_import import decode
from services.members.schemas import (ImportQuerySchema, ImportReportSchema, OrganizationCreateSchema,
                                      OrganizationPageSchema, OrganizationQuerySchema, OrganizationSchema,
                                      OrganizationUpdateSchema)
from services.servicekit.errors import BadRequest

from .. import services_client
from ..endpoints import STAFF, endpoint
from ..ndjson import NDJSON, ndjson_pages
from ..problems import problem

bp = Blueprint("members_organizations", __name__)
TAGS = ["organizations"]



@endpoint(bp, "/v1/organizations", "POST", summary="Register an organisation", audience=STAFF, tags=TAGS,
          body=OrganizationCreateSchema, response=OrganizationSchema, status=201,
          description="Staff register organisations whose home area they cover; admins anywhere. A second "
                      "organisation with the same name in the same home area (or the same external id) is a 409.")
def register_organization():
    return services_client.call("members", "register_organization", g.body), 201


@endpoint(bp, "/v1/organizations", summary="Search the organisation directory", audience=STAFF, tags=TAGS,
          query=OrganizationQuerySchema, response=OrganizationPageSchema, content_types=("application/json", NDJSON),
          description="Filters combine with AND: `q` (Japanese free text, NFKC and katakana/hiragana folded, "
                      "substring; "
                      "every word must match), `taxonomy_term` (with descendants; repeated = any of), `activity_type`, "
                      "`service_area` (organisations serving the area or an area containing it), `platform_id`, "
                      "`membership_class`, `membership_status`, `legal_form`, `referral_capacity`, `published`, "
                      "`modified_after`. HSDS `Page` shape; `format=ndjson` streams every match without paging. "
                      "Only organisations in your scope are returned.")
def list_organizations():
    if g.query.get("format") == "ndjson":
        args = {k: v for k, v in g.query_args.items() if k not in ("format", "page", "per_page")}
        return ndjson_pages("members", "export_organizations", args)
    return services_client.call("members", "list_organizations", g.query_args)


@endpoint(bp, "/v1/organizations/<organization_id>", summary="Read an organisation", audience=STAFF, tags=TAGS,
          response=OrganizationSchema,
          description="With its memberships you may see and, if you may edit it, its people's contacts (shown only "
                      "here, never in lists or exports) and its change log "
                      "(HSDS `metadata`). Outside your scope: 404.")
def get_organization(organization_id):
    return services_client.call("members", "get_organization", organization_id)


@endpoint(bp, "/v1/organizations/<organization_id>", "PATCH", summary="Update an organisation", audience=STAFF,
          tags=TAGS, body=OrganizationUpdateSchema, response=OrganizationSchema,
          description="Organisation staff edit their own organisation; staff those whose home area they cover. "
                      "Send `revision` to fail with 412 if someone changed it meanwhile. Every changed field is "
                      "logged (who, old, new, when).")
def update_organization(organization_id):
    return services_client.call("members", "update_organization", organization_id, g.body)


@endpoint(bp, "/v1/organizations/<organization_id>/deactivate", "POST", summary="Deactivate an organisation",
          audience=STAFF, tags=TAGS, response=OrganizationSchema)
def deactivate_organization(organization_id):
    return services_client.call("members", "deactivate_organization", organization_id)


MAX_UPLOAD = 10 * 1024 * 1024


@endpoint(bp, "/v1/organizations/import", "POST", summary="Import organisations from CSV", audience=STAFF, tags=TAGS,
          query=ImportQuerySchema, response=ImportReportSchema, content_types=("application/json",),
          description="Body: `text/csv`, or `multipart/form-data` with a `file` field (UTF-8 or Shift_JIS). Every "
                      "row is validated and reported with its line number; on any invalid row nothing is imported "
                      "(422 with `errors[].line`) unless `skip_invalid=true`. Rows match existing organisations by "
                      "`external_id`, else by normalised name + home area, so re-importing creates no duplicates.")
def import_organizations():
    if request.content_length and request.content_length > MAX_UPLOAD:
        raise BadRequest("the file is larger than 10 MB")
    if request.files.get("file") is not None:
        data = request.files["file"].read(MAX_UPLOAD + 1)
    else:
        data = request.get_data(cache=False)
    if not data:
        raise BadRequest("send the CSV as a text/csv body or as a multipart 'file' field")
    if len(data) > MAX_UPLOAD:
        raise BadRequest("the file is larger than 10 MB")
    report = services_client.call("members", "import_organizations", decode(data), g.query_args)
    if report["rejected"]:
        lines = len({e["line"] for e in report["errors"]})
        return problem(422, "Invalid input", f"{lines} line(s) with errors; nothing was imported", "invalid-input",
                       report["errors"])
    return report
