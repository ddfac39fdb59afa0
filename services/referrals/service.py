"""The referrals service: nameko entrypoints only. Each loads its input, runs one use case in one unit of work
and returns JSON-able dicts. Rules live in referral_lifecycle.py, use cases in referral_use_cases.py."""
from services.servicekit import bootstrap  # noqa: F401  (first: green psycopg waits)

import json
import logging
import os

from nameko.extensions import DependencyProvider
from services.servicekit.entrypoints import rpc
from nameko.timer import timer

from services.servicekit import coalesced_calls
from services.servicekit.caller import REQUEST_ID_CONTEXT_KEY, SYSTEM, Caller
from services.servicekit.database import Database
from services.servicekit.ops_endpoints import OperationsEndpoints
from services.servicekit.reliable_events import reliable_event_handler

from . import directory, referral_use_cases as uc, statistics as stats
from .personal_data import keyring_from_environment
from .referral_lifecycle import parse_accept_within

log = logging.getLogger("referrals")

OVERDUE_CHECK_SECONDS = float(os.environ.get("REFERRALS_OVERDUE_CHECK_SECONDS", "60"))
RETENTION_CHECK_SECONDS = float(os.environ.get("REFERRALS_RETENTION_CHECK_SECONDS", "3600"))
STATISTICS_FOLD_SECONDS = float(os.environ.get("REFERRALS_STATISTICS_FOLD_SECONDS", "2"))


class Settings:
    def __init__(self):
        self.accept_within = parse_accept_within(os.environ.get("REFERRALS_ACCEPT_WITHIN"))
        self.retention_days = float(os.environ.get("REFERRALS_RETENTION_DAYS", "365"))
        self.idempotency_key_days = float(os.environ.get("REFERRALS_IDEMPOTENCY_KEY_DAYS", "7"))
        # Up to this many referrals in a scope and period, medians and p90s are computed exactly.
        self.statistics_exact_limit = int(os.environ.get("REFERRALS_STATISTICS_EXACT_LIMIT", "20000"))


class Keys(DependencyProvider):
    """The AES-GCM keyring and HMAC identity key, loaded once per process from configuration."""

    def setup(self):
        self.keyring = keyring_from_environment()
        if not os.environ.get("REFERRALS_ENCRYPTION_KEYS"):
            log.warning("personal data is sealed with the generated development key: configure "
                        "REFERRALS_ENCRYPTION_KEYS, REFERRALS_ACTIVE_KEY_ID and REFERRALS_IDENTITY_HMAC_KEY "
                        "in production")

    def get_dependency(self, worker_ctx):
        return self.keyring


class RequestId(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(REQUEST_ID_CONTEXT_KEY)


def _plain(value):
    """UUIDs, datetimes and bytes out of psycopg rows into JSON for nameko."""
    return json.loads(json.dumps(value, default=str))


class ReferralsService(OperationsEndpoints):
    name = "referrals"
    db = Database("referrals")
    caller = Caller()
    keys = Keys()
    request_id = RequestId()
    settings = Settings()

    def _run(self, fn, *args, principal=None):
        with self.db.unit_of_work() as uow:
            ctx = uc.Context(uow, principal if principal is not None else self.caller, self.request_id,
                             self.keys, uc.utcnow())
            return _plain(fn(ctx, *args))

    # --- partner / staff API -----------------------------------------------------------------------------
    @rpc
    def create_referrals(self, requests):
        """POST /v1/referrals, coalesced by the gateway: the creates that arrived together, each with its own
        context, in one transaction; one answer per request (servicekit/coalesced_calls.py)."""
        return coalesced_calls.answer_each(requests, self._create, service=self.name, method="create_referrals")

    def _create(self, requests) -> list:
        # Staged: its reads come first and its writes travel with COMMIT (servicekit/database.py).
        with self.db.unit_of_work(staged=True) as uow:
            now = uc.utcnow()
            creates = [uc.CreateRequest(uc.Context(uow, coalesced_calls.principal_of(r),
                                                   coalesced_calls.request_id_of(r), self.keys, now), *r["args"])
                       for r in requests]
            return [_plain(o) if isinstance(o, dict) else o for o in uc.create_referrals(uow, creates)]

    @rpc
    def get_referral(self, referral_id):
        return self._run(uc.get_referral, referral_id)

    @rpc
    def list_referrals(self, query):
        return self._run(uc.list_referrals, query)

    @rpc
    def change_status(self, referral_id, body, if_match=None):
        return self._run(uc.change_status, referral_id, body, if_match)

    @rpc
    def claim(self, referral_id, if_match=None):
        return self._run(uc.claim, referral_id, if_match)

    @rpc
    def forward(self, referral_id, body):
        return self._run(uc.forward, referral_id, body)

    @rpc
    def history(self, referral_id):
        return self._run(uc.get_history, referral_id)

    @rpc
    def personal_data_reads(self, query):
        return self._run(uc.personal_data_reads, query)

    @rpc
    def statistics(self, query):
        return self._run(stats.statistics, query, self.settings.statistics_exact_limit)

    # --- timers ------------------------------------------------------------------------------------------------
    @timer(interval=OVERDUE_CHECK_SECONDS)
    def mark_overdue(self):
        marked = self._run(uc.mark_overdue, self.settings.accept_within, principal=SYSTEM)
        if marked:
            log.info("marked %d referral(s) overdue", marked)

    @timer(interval=RETENTION_CHECK_SECONDS)
    def erase_expired_personal_data(self):
        erased = self._run(uc.erase_expired_personal_data, self.settings.retention_days, principal=SYSTEM)
        if erased:
            log.info("erased the personal data of %d closed referral(s)", erased)
        pruned = self._run(uc.prune_idempotency_keys, self.settings.idempotency_key_days, principal=SYSTEM)
        if pruned:
            log.info("pruned %d expired idempotency key(s)", pruned)

    @timer(interval=STATISTICS_FOLD_SECONDS)
    def fold_statistics(self):
        self._run(stats.fold, principal=SYSTEM)

    # --- the directory copy, from the members service's events ------------------------------------------------
    def _directory(self, event, apply):
        with self.db.unit_of_work() as uow:
            if uow.already_processed(event):
                return
            apply(uow.conn, event["payload"])

    @reliable_event_handler("members", "organization.registered")
    def on_organization_registered(self, event):
        self._directory(event, directory.apply_organization)

    @reliable_event_handler("members", "organization.updated")
    def on_organization_updated(self, event):
        self._directory(event, directory.apply_organization)

    @reliable_event_handler("members", "organization.deactivated")
    def on_organization_deactivated(self, event):
        self._directory(event, directory.apply_deactivation)

    @reliable_event_handler("members", "membership.invited")
    def on_membership_invited(self, event):
        self._directory(event, directory.apply_membership)

    @reliable_event_handler("members", "membership.applied")
    def on_membership_applied(self, event):
        self._directory(event, directory.apply_membership)

    @reliable_event_handler("members", "membership.activated")
    def on_membership_activated(self, event):
        self._directory(event, directory.apply_membership)

    @reliable_event_handler("members", "membership.class_changed")
    def on_membership_class_changed(self, event):
        self._directory(event, directory.apply_membership)

    @reliable_event_handler("members", "membership.suspended")
    def on_membership_suspended(self, event):
        self._directory(event, directory.apply_membership)

    @reliable_event_handler("members", "membership.withdrawn")
    def on_membership_withdrawn(self, event):
        self._directory(event, directory.apply_membership)
