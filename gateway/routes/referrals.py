"""Referrals between organisations (partner systems with an API key, organisation staff with a JWT) and the
counts staff see. Personal data only ever reaches the sender and the target; the service decides and audits."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request

from services.referrals.schemas import (AuditListSchema, AuditQuery, ForwardSchema, HistorySchema,
                                        ReferralCreateSchema, ReferralListQuery, ReferralListSchema, ReferralView,
                                        StatisticsQuery, StatisticsSchema, StatusChangeSchema)
from services.referrals.statistics import rollup
from services.servicekit.errors import BadRequest, TsunaguError

from .. import services_client
from ..endpoints import ADMINS, PARTNERS, STAFF, endpoint

bp = Blueprint("referrals", __name__)

# Organisations act on referrals: partner systems, organisation staff, and municipal / bureau / prefectural
# offices whose token names their office's organisation (the service refuses callers without one).
ACTORS = tuple(dict.fromkeys(PARTNERS + ("prefecture", "bureau", "municipality")))
READERS = tuple(dict.fromkeys(STAFF + PARTNERS))
TAGS = ["referrals"]
IDEMPOTENCY = {"400": {"description": "Idempotency-Key header missing"},
               "409": {"description": "a request with this Idempotency-Key is still in flight"},
               "422": {"description": "invalid input, or the Idempotency-Key was used with another body"}}


class PreconditionRequired(TsunaguError):
    status, slug, title = 428, "precondition-required", "Precondition required"


def _json(body: dict, status: int = 200, headers: dict | None = None):
    response = current_app.response_class(current_app.json.dumps(body), status=status,
                                          mimetype="application/json")
    if "revision" in body:
        response.headers["ETag"] = f'"{body["revision"]}"'
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _if_match() -> str:
    value = request.headers.get("If-Match")
    if not value:
        raise PreconditionRequired("send If-Match with the ETag of the referral you read")
    return value


@endpoint(bp, "/v1/referrals", "POST", summary="Refer a person to an organisation or to a pool",
          audience=ACTORS, tags=TAGS, body=ReferralCreateSchema, response=ReferralView, status=201,
          extra_responses=IDEMPOTENCY, body_loaded_by_service=True,
          description="Requires an `Idempotency-Key` header (≤255 characters, scoped to your organisation): the "
                      "same key with the same body replays the first response (`Idempotent-Replayed: true`); "
                      "with another body it is refused (422); while the first is in flight, 409. Needs a consent "
                      "record or a legal basis. The response never contains the person. Keys are kept 7 days "
                      "(REFERRALS_IDEMPOTENCY_KEY_DAYS); a retry after that creates a new referral.")
def create_referral():
    key = request.headers.get("Idempotency-Key")
    if key is None or not key.strip():
        raise BadRequest("the Idempotency-Key header is required")
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':  # sf-string form
        key = key[1:-1]
    result = services_client.call_coalesced("referrals", "create_referrals", g.body, key)
    headers = {"Location": f"/v1/referrals/{result['body']['id']}"}
    if result["replayed"]:
        headers["Idempotent-Replayed"] = "true"
    return _json(result["body"], result["status"], headers)


@endpoint(bp, "/v1/referrals", summary="List referrals sent, received, claimable (pool) or in your area",
          audience=READERS, tags=TAGS, query=ReferralListQuery, response=ReferralListSchema,
          description="Poll with `modified_after` (and `after_id`) from the previous page's `next`; to be safe "
                      "against changes committed late, poll with a few seconds of overlap and keep the highest "
                      "`revision` per id. Items never contain the person: read one referral to see it (audited). "
                      "Staff without an office organisation get the referrals of their area (`box=area`).")
def list_referrals():
    return services_client.call("referrals", "list_referrals", g.query_args)


@endpoint(bp, "/v1/referrals/statistics", summary="Referral counts and timings in your scope",
          audience=STAFF, tags=TAGS, query=StatisticsQuery, response=StatisticsSchema,
          description="Counts by state and category per area, rolled up prefecture → bureau → municipality; "
                      "time to accept / close (median, p90); overdue backlog; unique persons. No personal data.")
def referral_statistics():
    result = services_client.call("referrals", "statistics", g.query_args)
    result["tree"] = rollup(result["scope"], result["by_area"])
    return result


@endpoint(bp, "/v1/referrals/<uuid:referral_id>", summary="One referral (the person only for sender and target)",
          audience=READERS, tags=TAGS, response=ReferralView)
def get_referral(referral_id):
    return _json(services_client.call("referrals", "get_referral", str(referral_id)),
                 headers={"Cache-Control": "no-store"})


@endpoint(bp, "/v1/referrals/<uuid:referral_id>/status", "POST", summary="Change a referral's status",
          audience=ACTORS, tags=TAGS, body=StatusChangeSchema, response=ReferralView,
          extra_responses={"409": {"description": "illegal transition"},
                           "412": {"description": "If-Match does not match the current ETag"},
                           "428": {"description": "If-Match missing"}})
def change_status(referral_id):
    return _json(services_client.call("referrals", "change_status", str(referral_id), g.body, _if_match()))


@endpoint(bp, "/v1/referrals/<uuid:referral_id>/claim", "POST", summary="Claim a pool referral",
          audience=ACTORS, tags=TAGS, response=ReferralView,
          extra_responses={"409": {"description": "already claimed"}})
def claim_referral(referral_id):
    return _json(services_client.call("referrals", "claim", str(referral_id), request.headers.get("If-Match")))


@endpoint(bp, "/v1/referrals/<uuid:referral_id>/forward", "POST", summary="Re-refer to another organisation",
          audience=ACTORS, tags=TAGS, body=ForwardSchema, response=ReferralView, status=201)
def forward_referral(referral_id):
    created = services_client.call("referrals", "forward", str(referral_id), g.body)
    return _json(created, 201, {"Location": f"/v1/referrals/{created['id']}"})


@endpoint(bp, "/v1/referrals/<uuid:referral_id>/history", summary="Who changed what, when, from which state, why",
          audience=READERS, tags=TAGS, response=HistorySchema)
def referral_history(referral_id):
    return services_client.call("referrals", "history", str(referral_id))


@endpoint(bp, "/v1/admin/referrals/personal-data-reads", summary="Audit of every read of personal data",
          audience=ADMINS, tags=["admin"], query=AuditQuery, response=AuditListSchema)
def personal_data_reads():
    return services_client.call("referrals", "personal_data_reads", g.query_args)
