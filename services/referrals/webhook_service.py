"""referral_webhooks: notifies partner systems of referral changes through signed, id-only webhooks.

A separate nameko service over the referrals database. Entrypoints only: it loads input with the schemas and
calls the use cases in webhook_registrations / webhook_dispatch. It does not consume referral events: their
deliveries are planned in the referral change's own transaction, by a trigger on the outbox (referrals migration
0101); this service sends them.
"""
from services.servicekit import bootstrap  # noqa: F401  (first: psycopg's green wait function)

import logging
import os

import eventlet
from services.servicekit.edge import load_input
from services.servicekit.entrypoints import rpc
from nameko.timer import timer

from services.servicekit.caller import Caller
from services.servicekit.database import Database
from services.servicekit.ops_endpoints import OperationsEndpoints
from services.servicekit.reliable_events import reliable_event_handler

from .webhook_dispatch import Dispatcher
from .webhook_registrations import WebhookRegistrations
from .webhook_repository import disable_organization_endpoints, purge_finished
from .webhook_schemas import (CreatedEndpointSchema, DeliveryQuerySchema, DeliverySchema, EndpointCreateSchema,
                              EndpointQuerySchema, EndpointSchema, EndpointUpdateSchema,
                              OrganizationDeactivatedPayloadSchema, RotatedSecretSchema, RotateSecretSchema)
from .webhook_settings import WebhookSettings

log = logging.getLogger(__name__)
SETTINGS = WebhookSettings.from_environment()
if not os.environ.get("WEBHOOK_SECRET_KEYS"):
    log.warning("WEBHOOK_SECRET_KEYS is not set: webhook signing secrets are sealed with a development key in var/ "
                "(configure real keys outside development)")


_load = load_input  # the kit's edge loader


class ReferralWebhooksService(OperationsEndpoints):
    name = "referral_webhooks"
    db = Database("referrals")
    caller = Caller()

    def _registrations(self) -> WebhookRegistrations:
        return WebhookRegistrations(self.db.unit_of_work, SETTINGS)

    # --- events in ---------------------------------------------------------------------------------------

    @reliable_event_handler("members", "organization.deactivated")
    def on_organization_deactivated(self, event):
        """A deactivated organisation is notified of nothing more: its endpoints are disabled (its staff or
        partner system may enable them again once it is active)."""
        payload = OrganizationDeactivatedPayloadSchema().load(event["payload"])
        with self.db.unit_of_work() as uow:
            if uow.already_processed(event):
                return
            disable_organization_endpoints(uow.conn, str(payload["organization_id"]))

    # --- deliveries out ---------------------------------------------------------------------------------

    @timer(interval=SETTINGS.dispatch_interval_seconds, eager=True)
    def dispatch_due_webhooks(self):
        pool = eventlet.GreenPool(SETTINGS.dispatch_concurrency)
        dispatcher = Dispatcher(self.db.unit_of_work, SETTINGS, spawn_pool=pool)
        # Keep going while whole batches come back, so a backlog drains without waiting for the next tick.
        for _ in range(20):
            if dispatcher.dispatch_due() < SETTINGS.dispatch_batch:
                break

    @timer(interval=15, eager=True)
    def measure_webhook_backlog(self):
        Dispatcher(self.db.unit_of_work, SETTINGS).measure_backlog()

    @timer(interval=3600)
    def purge_old_deliveries(self):
        """The delivery log is kept for WEBHOOK_LOG_RETENTION_DAYS; older finished deliveries are deleted."""
        while True:
            with self.db.unit_of_work() as uow:
                if purge_finished(uow.conn, SETTINGS.log_retention_days, 1000) < 1000:
                    return

    # --- registrations ----------------------------------------------------------------------------------

    @rpc
    def create_endpoint(self, body):
        created = self._registrations().register(self.caller, _load(EndpointCreateSchema, body))
        return CreatedEndpointSchema().dump(created)

    @rpc
    def list_endpoints(self, query=None):
        listed = self._registrations().list(self.caller, _load(EndpointQuerySchema, query))
        return {"items": EndpointSchema(many=True).dump(listed["items"])}

    @rpc
    def get_endpoint(self, endpoint_id):
        return EndpointSchema().dump(self._registrations().get(self.caller, endpoint_id))

    @rpc
    def update_endpoint(self, endpoint_id, body):
        updated = self._registrations().update(self.caller, endpoint_id, _load(EndpointUpdateSchema, body))
        return EndpointSchema().dump(updated)

    @rpc
    def delete_endpoint(self, endpoint_id):
        self._registrations().delete(self.caller, endpoint_id)
        return None

    @rpc
    def rotate_secret(self, endpoint_id, body=None):
        rotated = self._registrations().rotate_secret(self.caller, endpoint_id, _load(RotateSecretSchema, body))
        return RotatedSecretSchema().dump(rotated)

    @rpc
    def list_deliveries(self, endpoint_id, query=None):
        listed = self._registrations().deliveries(self.caller, endpoint_id, _load(DeliveryQuerySchema, query))
        return {"items": DeliverySchema(many=True).dump(listed["items"])}

    @rpc
    def redeliver(self, endpoint_id, delivery_id):
        return DeliverySchema().dump(self._registrations().redeliver(self.caller, endpoint_id, delivery_id))
