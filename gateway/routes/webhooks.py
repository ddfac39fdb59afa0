"""Webhook endpoints of partner systems: registration, secret rotation, delivery log and redelivery.
Partner systems (API key) and organisation staff manage their own organisation's endpoints; admins may list
and read all of them, and disable or delete one."""
from flask import Blueprint, g

from services.referrals.webhook_schemas import (CreatedEndpointSchema, DeliveryQuerySchema, DeliverySchema,
                                                EndpointCreateSchema, EndpointQuerySchema, EndpointSchema,
                                                EndpointUpdateSchema, RotatedSecretSchema, RotateSecretSchema)

from .. import services_client
from ..endpoints import PARTNERS, endpoint

bp = Blueprint("webhooks", __name__)
SERVICE = "referral_webhooks"
TAGS = ["webhooks"]
SIGNING = ("Each POST carries `Tsunagu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>` "
           "(one `v1` per valid secret while a rotation overlaps), `Tsunagu-Delivery-Id` and `Tsunagu-Event-Type`. "
           "The body is id-only: `{id, type, event_id, referral_id, occurred_at}`; fetch the referral with your "
           "own credentials. Answer 2xx within 5 s; anything else is retried with exponential back-off for at "
           "least 24 hours. Deliveries may arrive more than once or out of order: deduplicate by "
           "`Tsunagu-Delivery-Id` (or `event_id`) and read the referral's current state.\n\n"
           "Verify before parsing, on the raw body:\n\n"
           "```python\n"
           "import hashlib, hmac, time\n"
           "def verify(secrets, header, body: bytes, tolerance=300):\n"
           "    parts = [p.split('=', 1) for p in header.split(',') if '=' in p]\n"
           "    t = int(next(v for k, v in parts if k == 't'))\n"
           "    if abs(time.time() - t) > tolerance:\n"
           "        raise ValueError('stale')\n"
           "    signed = f'{t}.'.encode() + body\n"
           "    for s in secrets:\n"
           "        mac = hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()\n"
           "        if any(hmac.compare_digest(mac, v) for k, v in parts if k == 'v1'):\n"
           "            return t\n"
           "    raise ValueError('bad signature')\n"
           "```")


@endpoint(bp, "/v1/webhooks/endpoints", "POST", summary="Register a webhook endpoint (the secret is shown once)",
          audience=PARTNERS, tags=TAGS, body=EndpointCreateSchema, response=CreatedEndpointSchema, status=201,
          description="The URL must use https and resolve to public addresses only; a URL that resolves to a "
                      "private, loopback or link-local address answers 422 with an error on `#/url`. " + SIGNING)
def create_webhook_endpoint():
    return services_client.call(SERVICE, "create_endpoint", g.body), 201


@endpoint(bp, "/v1/webhooks/endpoints", summary="List webhook endpoints", audience=PARTNERS, tags=TAGS,
          query=EndpointQuerySchema, response=EndpointSchema, many=True,
          description="Your organisation's endpoints; admins see every organisation's (`organization_id` "
                      "narrows).")
def list_webhook_endpoints():
    return services_client.call(SERVICE, "list_endpoints", g.query_args)


@endpoint(bp, "/v1/webhooks/endpoints/<uuid:endpoint_id>", summary="Read a webhook endpoint", audience=PARTNERS,
          tags=TAGS, response=EndpointSchema)
def get_webhook_endpoint(endpoint_id):
    return services_client.call(SERVICE, "get_endpoint", str(endpoint_id))


@endpoint(bp, "/v1/webhooks/endpoints/<uuid:endpoint_id>", "PATCH",
          summary="Change a webhook endpoint (description, event filter, enable/disable)", audience=PARTNERS,
          tags=TAGS, body=EndpointUpdateSchema, response=EndpointSchema,
          description="`active: false` disables it: nothing more is delivered and pending deliveries stop.")
def update_webhook_endpoint(endpoint_id):
    return services_client.call(SERVICE, "update_endpoint", str(endpoint_id), g.body)


@endpoint(bp, "/v1/webhooks/endpoints/<uuid:endpoint_id>", "DELETE", summary="Delete a webhook endpoint",
          audience=PARTNERS, tags=TAGS, status=204)
def delete_webhook_endpoint(endpoint_id):
    services_client.call(SERVICE, "delete_endpoint", str(endpoint_id))
    return "", 204


@endpoint(bp, "/v1/webhooks/endpoints/<uuid:endpoint_id>/secret/rotate", "POST",
          summary="Rotate the signing secret (the new one is shown once)", audience=PARTNERS, tags=TAGS,
          body=RotateSecretSchema, response=RotatedSecretSchema,
          description="The previous secret keeps signing (a second `v1`) for `overlap_seconds` (default 24 h), "
                      "so you can switch without missing a delivery.")
def rotate_webhook_secret(endpoint_id):
    return services_client.call(SERVICE, "rotate_secret", str(endpoint_id), g.body)


@endpoint(bp, "/v1/webhooks/endpoints/<uuid:endpoint_id>/deliveries", summary="Delivery log of an endpoint",
          audience=PARTNERS, tags=TAGS, query=DeliveryQuerySchema, response=DeliverySchema, many=True,
          description="Newest first, each with its attempts (status code, duration, outcome, error class).")
def list_webhook_deliveries(endpoint_id):
    return services_client.call(SERVICE, "list_deliveries", str(endpoint_id), g.query_args)


@endpoint(bp, "/v1/webhooks/endpoints/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver", "POST",
          summary="Send a delivery again now", audience=PARTNERS, tags=TAGS, response=DeliverySchema, status=202)
def redeliver_webhook(endpoint_id, delivery_id):
    return services_client.call(SERVICE, "redeliver", str(endpoint_id), str(delivery_id)), 202
