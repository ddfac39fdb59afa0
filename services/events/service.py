"""The events service: nameko entrypoints only. Each loads its input with the edge schema, runs a use case in
one unit of work (state change + outbox together) and returns JSON-able dicts."""
from services.servicekit import bootstrap  # noqa: F401  (first: eventlet-safe psycopg)

import logging
import os
from datetime import datetime, timezone

from services.servicekit.edge import load_input
from services.servicekit.entrypoints import rpc
from nameko.timer import timer

from services.servicekit.caller import Caller
from services.servicekit.database import Database
from services.servicekit.errors import Unauthorized
from services.servicekit.ops_endpoints import OperationsEndpoints
from services.servicekit.reliable_events import reliable_event_handler

from . import (event_catalogue, local_copies, outcomes, registration_desk, schemas, statistics as stats,
               statistics_buckets, survey_results, trial_projects)
from .integration_events import MEMBERS_SOURCE
from .personal_data import default_keyring

log = logging.getLogger(__name__)
HOUSEKEEPING_INTERVAL = float(os.environ.get("EVENTS_HOUSEKEEPING_INTERVAL_SECONDS", "300"))


def retention_days() -> int:
    return int(os.environ.get("EVENTS_PERSONAL_DATA_RETENTION_DAYS", "30"))


load = load_input  # the kit's edge loader


def now():
    return datetime.now(timezone.utc)


class EventsService(OperationsEndpoints):
    name = "events"
    db = Database("events")
    caller = Caller()

    def _principal(self):
        if self.caller is None:
            raise Unauthorized("this call needs an authenticated caller")
        return self.caller

    # --- events -------------------------------------------------------------------------------------------
    @rpc
    def create_event(self, body):
        import uuid
        data = load(schemas.EventCreateSchema, body)
        with self.db.unit_of_work() as uow:
            return event_catalogue.create_event(uow, self._principal(), str(uuid.uuid4()), data)

    @rpc
    def update_event(self, event_id, body):
        data = load(schemas.EventUpdateSchema, body)
        with self.db.unit_of_work() as uow:
            return event_catalogue.update_event(uow, self._principal(), event_id, data, now())

    @rpc
    def change_event_status(self, event_id, body):
        data = load(schemas.EventStatusChangeSchema, body)
        with self.db.unit_of_work() as uow:
            return event_catalogue.change_status(uow, self._principal(), event_id, data["status"], now())

    @rpc
    def get_event(self, event_id):
        with self.db.unit_of_work() as uow:
            return event_catalogue.get_event(uow, self._principal(), event_id)

    @rpc
    def list_events(self, query=None):
        filters = load(schemas.EventQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return event_catalogue.list_events(uow, self._principal(), filters)

    @rpc
    def public_events(self, query=None):
        filters = load(schemas.PublicEventQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return event_catalogue.public_events(uow, filters)

    @rpc
    def registration_status_types(self):
        return event_catalogue.status_types()

    @rpc
    def survey_templates(self):
        return survey_results.templates()

    # --- registrations ------------------------------------------------------------------------------------
    @rpc
    def register(self, event_id, body):
        data = load(schemas.RegistrationCreateSchema, body)
        if data.get("organization_id"):
            data["organization_id"] = str(data["organization_id"])
        with self.db.unit_of_work() as uow:
            return registration_desk.register(uow, self._principal(), event_id, data, default_keyring(), now())

    @rpc
    def change_registration_status(self, registration_id, body):
        data = load(schemas.RegistrationStatusChangeSchema, body)
        with self.db.unit_of_work() as uow:
            return registration_desk.change_status(uow, self._principal(), registration_id, data["status"],
                                                   data.get("reason"), now())

    @rpc
    def list_registrations(self, event_id):
        with self.db.unit_of_work() as uow:
            return registration_desk.list_registrations(uow, self._principal(), event_id)

    @rpc
    def get_registration(self, registration_id):
        with self.db.unit_of_work() as uow:
            return registration_desk.get_registration(uow, self._principal(), registration_id, default_keyring())

    @rpc
    def export_participants(self, event_id):
        with self.db.unit_of_work() as uow:
            return registration_desk.export_participants(uow, self._principal(), event_id, default_keyring(),
                                                         uow.correlation_id)

    @rpc
    def export_audit(self, event_id):
        with self.db.unit_of_work() as uow:
            return registration_desk.export_audit(uow, self._principal(), event_id)

    @rpc
    def personal_data_reads(self, event_id):
        with self.db.unit_of_work() as uow:
            return registration_desk.personal_data_reads(uow, self._principal(), event_id)

    # --- outcomes -----------------------------------------------------------------------------------------
    @rpc
    def record_attendance(self, event_id, body):
        data = load(schemas.AttendanceSchema, body)
        with self.db.unit_of_work() as uow:
            return outcomes.record_attendance(uow, self._principal(), event_id, data)

    @rpc
    def get_attendance(self, event_id):
        with self.db.unit_of_work() as uow:
            return outcomes.get_attendance(uow, self._principal(), event_id)

    @rpc
    def record_survey(self, event_id, body):
        data = load(schemas.SurveySchema, body)
        with self.db.unit_of_work() as uow:
            return outcomes.record_survey(uow, self._principal(), event_id, data)

    @rpc
    def get_survey(self, event_id):
        with self.db.unit_of_work() as uow:
            return outcomes.get_survey(uow, self._principal(), event_id)

    @rpc
    def record_handout(self, body):
        data = load(schemas.HandoutCreateSchema, body)
        with self.db.unit_of_work() as uow:
            return outcomes.record_handout(uow, self._principal(), data)

    @rpc
    def get_handout(self, handout_id):
        with self.db.unit_of_work() as uow:
            return outcomes.get_handout(uow, self._principal(), handout_id)

    @rpc
    def list_handouts(self, query=None):
        filters = load(schemas.HandoutQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return outcomes.list_handouts(uow, self._principal(), filters)

    # --- trial projects -----------------------------------------------------------------------------------
    @rpc
    def create_trial_project(self, body):
        data = load(schemas.TrialProjectCreateSchema, body)
        with self.db.unit_of_work() as uow:
            return trial_projects.create(uow, self._principal(), data)

    @rpc
    def get_trial_project(self, project_id):
        with self.db.unit_of_work() as uow:
            return trial_projects.get(uow, self._principal(), project_id)

    @rpc
    def list_trial_projects(self, query=None):
        filters = load(schemas.TrialProjectQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return trial_projects.list_(uow, self._principal(), filters)

    @rpc
    def verify_trial_project(self, project_id, body):
        data = load(schemas.TrialProjectVerifySchema, body)
        with self.db.unit_of_work() as uow:
            return trial_projects.verify(uow, self._principal(), project_id, data)

    # --- dashboards ---------------------------------------------------------------------------------------
    @rpc
    def statistics(self, scope_area, fiscal_year):
        data = load(schemas.StatisticsQuerySchema, {"scope_area": scope_area, "fiscal_year": fiscal_year})
        with self.db.unit_of_work() as uow:
            return stats.statistics(uow, self._principal(), data["scope_area"], data["fiscal_year"], now())

    # --- housekeeping -------------------------------------------------------------------------------------
    @timer(interval=HOUSEKEEPING_INTERVAL)
    def housekeeping(self):
        """Expire waitlist/approval offers not taken up (and pass the place on); erase named participants'
        personal data N days after their event; recompute stale dashboard figures."""
        with self.db.unit_of_work() as uow:
            expired = registration_desk.expire_offers(uow, now())
        with self.db.unit_of_work() as uow:
            erased = registration_desk.erase_personal_data(uow, now().date(), retention_days())
        with self.db.unit_of_work() as uow:
            refreshed = statistics_buckets.refresh_any(uow.conn)
        if expired or erased:
            log.info("housekeeping: %d offers expired, %d registrations' personal data erased", expired, erased)
        if refreshed:
            log.info("housekeeping: dashboard figures of %d (fiscal year, area) buckets recomputed", refreshed)

    # --- local copies of the members service's PFs, organisations, memberships ------------------------------
    def _apply(self, event, apply):
        with self.db.unit_of_work() as uow:
            if uow.already_processed(event):
                return
            apply(uow.conn, event["payload"])

    @reliable_event_handler(MEMBERS_SOURCE, "platform.created")
    def on_platform_created(self, event):
        self._apply(event, local_copies.apply_platform)

    @reliable_event_handler(MEMBERS_SOURCE, "platform.updated")
    def on_platform_updated(self, event):
        self._apply(event, local_copies.apply_platform)

    @reliable_event_handler(MEMBERS_SOURCE, "platform.phase_changed")
    def on_platform_phase_changed(self, event):
        self._apply(event, local_copies.apply_platform_phase_changed)

    @reliable_event_handler(MEMBERS_SOURCE, "organization.registered")
    def on_organization_registered(self, event):
        self._apply(event, local_copies.apply_organization)

    @reliable_event_handler(MEMBERS_SOURCE, "organization.updated")
    def on_organization_updated(self, event):
        self._apply(event, local_copies.apply_organization)

    @reliable_event_handler(MEMBERS_SOURCE, "organization.deactivated")
    def on_organization_deactivated(self, event):
        with self.db.unit_of_work() as uow:
            if uow.already_processed(event):
                return
            if local_copies.apply_organization_deactivated(uow.conn, event["payload"]):
                registration_desk.release_organization(uow, event["payload"]["organization_id"], now())

    @reliable_event_handler(MEMBERS_SOURCE, "membership.invited")
    def on_membership_invited(self, event):
        self._apply(event, local_copies.apply_membership)

    @reliable_event_handler(MEMBERS_SOURCE, "membership.applied")
    def on_membership_applied(self, event):
        self._apply(event, local_copies.apply_membership)

    @reliable_event_handler(MEMBERS_SOURCE, "membership.activated")
    def on_membership_activated(self, event):
        self._apply(event, local_copies.apply_membership)

    @reliable_event_handler(MEMBERS_SOURCE, "membership.class_changed")
    def on_membership_class_changed(self, event):
        self._apply(event, local_copies.apply_membership)

    @reliable_event_handler(MEMBERS_SOURCE, "membership.suspended")
    def on_membership_suspended(self, event):
        self._apply(event, local_copies.apply_membership)

    @reliable_event_handler(MEMBERS_SOURCE, "membership.withdrawn")
    def on_membership_withdrawn(self, event):
        self._apply(event, local_copies.apply_membership)
