"""The members service: nameko entrypoints only. Each loads its input with the edge schema, runs a use case in
one unit of work (state + outbox events commit together) and returns JSON-able dicts."""
from services.servicekit import bootstrap  # noqa: F401  (first: psycopg's wait_select under eventlet)

from datetime import date

from services.servicekit.caller import Caller
from services.servicekit.database import Database
from services.servicekit.edge import load_input
from services.servicekit.entrypoints import rpc
from services.servicekit.errors import InvalidInput
from services.servicekit.ops_endpoints import OperationsEndpoints

from . import csv_import, hsds, memberships, organizations, platforms, schemas, statistics

MEMBERSHIP_ACTIONS = {"approve": schemas.MembershipActionSchema, "reinstate": schemas.MembershipActionSchema,
                      "suspend": schemas.MembershipActionSchema, "withdraw": schemas.MembershipActionSchema,
                      "change_class": schemas.MembershipClassChangeSchema}


class MembersService(OperationsEndpoints):
    name = "members"
    db = Database("members")
    caller = Caller()

    # ---- organisations ------------------------------------------------------------------------------------
    @rpc
    def register_organization(self, body):
        data = load_input(schemas.OrganizationCreateSchema, body)
        with self.db.unit_of_work() as uow:
            return organizations.register(uow, self.caller, data)

    @rpc
    def update_organization(self, organization_id, body):
        data = load_input(schemas.OrganizationUpdateSchema, body)
        with self.db.unit_of_work() as uow:
            return organizations.update(uow, self.caller, organization_id, data)

    @rpc
    def deactivate_organization(self, organization_id):
        with self.db.unit_of_work() as uow:
            return organizations.deactivate(uow, self.caller, organization_id)

    @rpc
    def get_organization(self, organization_id):
        with self.db.unit_of_work() as uow:
            return organizations.get(uow, self.caller, organization_id)

    @rpc
    def list_organizations(self, query):
        q = load_input(schemas.OrganizationQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return organizations.search(uow, self.caller, q)

    @rpc
    def export_organizations(self, query, after=None, limit=500):
        q = load_input(schemas.OrganizationQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return organizations.export(uow, self.caller, q, after, max(1, min(int(limit), 2000)))

    # ---- platforms ----------------------------------------------------------------------------------------
    @rpc
    def create_platform(self, body):
        data = load_input(schemas.PlatformCreateSchema, body)
        with self.db.unit_of_work() as uow:
            return platforms.create(uow, self.caller, data)

    @rpc
    def get_platform(self, platform_id):
        with self.db.unit_of_work() as uow:
            return platforms.get(uow, self.caller, platform_id)

    @rpc
    def update_platform(self, platform_id, body):
        data = load_input(schemas.PlatformUpdateSchema, body)
        with self.db.unit_of_work() as uow:
            return platforms.update(uow, self.caller, platform_id, data)

    @rpc
    def change_platform_phase(self, platform_id, body):
        data = load_input(schemas.PhaseChangeSchema, body)
        with self.db.unit_of_work() as uow:
            return platforms.set_phase(uow, self.caller, platform_id, data)

    @rpc
    def list_platforms(self, query=None):
        q = load_input(schemas.PlatformQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return platforms.list_(uow, self.caller, q)

    @rpc
    def platform_tree(self):
        with self.db.unit_of_work() as uow:
            return platforms.tree(uow, self.caller)

    # ---- memberships --------------------------------------------------------------------------------------
    @rpc
    def invite_member(self, platform_id, body):
        data = load_input(schemas.MembershipInviteSchema, body)
        with self.db.unit_of_work() as uow:
            return memberships.invite(uow, self.caller, platform_id, data)

    @rpc
    def apply_for_membership(self, platform_id, body):
        data = load_input(schemas.MembershipApplySchema, body)
        with self.db.unit_of_work() as uow:
            return memberships.apply(uow, self.caller, platform_id, data)

    @rpc
    def change_membership(self, membership_id, action, body=None):
        if action not in MEMBERSHIP_ACTIONS:
            raise InvalidInput("unknown membership action", [{"pointer": "#/action", "detail": "unknown action"}])
        data = load_input(MEMBERSHIP_ACTIONS[action], body)
        with self.db.unit_of_work() as uow:
            return memberships.act(uow, self.caller, membership_id, action, data)

    @rpc
    def get_membership(self, membership_id):
        with self.db.unit_of_work() as uow:
            return memberships.get(uow, self.caller, membership_id)

    @rpc
    def list_platform_members(self, platform_id, query=None):
        q = load_input(schemas.MembershipQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return memberships.list_for_platform(uow, self.caller, platform_id, q)

    # ---- public HSDS 3.0 (no caller needed; published organisations only) -----------------------------------
    @rpc
    def hsds_organizations(self, query):
        q = load_input(schemas.HsdsQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return hsds.list_organizations(uow, q)

    @rpc
    def hsds_organization(self, organization_id):
        with self.db.unit_of_work() as uow:
            return hsds.get_organization(uow, organization_id)

    @rpc
    def hsds_services(self, query):
        q = load_input(schemas.HsdsServiceQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return hsds.list_services(uow, q)

    @rpc
    def hsds_service(self, service_id):
        with self.db.unit_of_work() as uow:
            return hsds.get_service(uow, service_id)

    @rpc
    def hsds_export(self, kind, query, after=None, limit=500):
        q = load_input(schemas.HsdsServiceQuerySchema if kind == "services" else schemas.HsdsQuerySchema, query)
        with self.db.unit_of_work() as uow:
            return hsds.export(uow, "services" if kind == "services" else "organizations", q, after,
                               max(1, min(int(limit), 2000)))

    @rpc
    def hsds_profile(self):
        return hsds.profile_document()

    # ---- bulk import --------------------------------------------------------------------------------------
    @rpc
    def import_organizations(self, csv_text, options=None):
        opts = load_input(schemas.ImportQuerySchema, options)
        try:
            with self.db.unit_of_work() as uow:
                return csv_import.import_csv(uow, self.caller, csv_text, opts["skip_invalid"], opts["dry_run"])
        except csv_import.Rejected as rejected:  # raised inside the unit of work: nothing was written
            return rejected.report

    # ---- dashboards ---------------------------------------------------------------------------------------
    @rpc
    def statistics(self, scope_area, as_of=None):
        q = load_input(schemas.StatisticsQuerySchema, {"scope_area": scope_area, **({"as_of": as_of} if as_of else {})},
                       what="the statistics query")
        with self.db.unit_of_work() as uow:
            return statistics.compute(uow, self.caller, q["scope_area"], q.get("as_of") or date.today())
