"""Webhook delivery: POST planned deliveries, signed, with retries.

- Planning is not done here: a trigger on the referrals outbox (referrals migration 0101) plans, in the same
  transaction as the referral change, one delivery per active endpoint of each organisation the event concerns
  (`interested_organization_ids`) whose event-type filter takes the type, with the id-only body below; unique
  per (event id, endpoint).
- `dispatch_due` (the dispatcher's timer): claims due deliveries FOR UPDATE SKIP LOCKED with a lease, POSTs
  each with a short timeout to the address that passed the target check, records the attempt (status code,
  duration, error class — never the response body) and reschedules failures on the retry schedule until it
  gives up and marks the delivery failed.

The payload is id-only (FHIR SDOH subscriptions): {"id" (the delivery's), "type", "event_id", "referral_id",
"occurred_at"}; no referral fields, no personal data. The partner fetches the referral with its own credentials.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import urllib3
from prometheus_client import Counter, Gauge, Histogram

from . import webhook_repository as repo
from .webhook_retry import RetrySchedule
from .webhook_secret_box import box_from_settings
from .webhook_signing import DELIVERY_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signature_header
from .webhook_targets import TargetRefused, resolve_target, system_resolver

log = logging.getLogger(__name__)

ATTEMPTS = Counter("tsunagu_webhook_attempts_total", "Webhook delivery attempts by outcome",
                   ["trigger", "outcome"])  # outcome: succeeded|http_error|timeout|connection_error|refused_target|error
DELIVERIES_FINISHED = Counter("tsunagu_webhook_deliveries_finished_total", "Webhook deliveries finished by outcome",
                              ["outcome"])  # succeeded | failed
ATTEMPT_DURATION = Histogram("tsunagu_webhook_attempt_duration_seconds", "Duration of one webhook POST",
                             ["outcome"], buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))

PENDING = Gauge("tsunagu_webhook_deliveries_pending", "Webhook deliveries not yet succeeded or given up")

USER_AGENT = "Tsunagu-Webhooks/1"


# --- one HTTP attempt ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttemptResult:
    outcome: str
    status_code: int | None
    duration_ms: int
    error_class: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "succeeded"


def _host_header(target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def post_webhook(url: str, body: str, *, delivery_id: str, event_type: str, secrets: list[str],
                 timeout: float, allow_loopback: bool, resolver=system_resolver,
                 clock=time.time, ca_bundle: str | None = None) -> AttemptResult:
    """POST once. The target is checked again now (DNS may have changed since registration) and the
    connection goes to the checked address. Redirects are not followed; the response body is not read."""
    started = time.perf_counter()

    def result(outcome, status=None, error=None):
        return AttemptResult(outcome, status, int((time.perf_counter() - started) * 1000), error)

    try:
        target = resolve_target(url, allow_loopback, resolver)
    except TargetRefused:
        return result("refused_target", error="TargetRefused")
    raw = body.encode("utf-8")
    headers = {
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(secrets, raw, int(clock())),
        DELIVERY_ID_HEADER: delivery_id,
        EVENT_TYPE_HEADER: event_type,
    }
    pool_timeout = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, target.port, timeout=pool_timeout, retries=False,
                                           maxsize=1, server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle)
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=pool_timeout, retries=False,
                                          maxsize=1)
    try:
        response = pool.urlopen("POST", target.path, body=raw, headers=headers, redirect=False,
                                preload_content=False, assert_same_host=False)
        status = response.status
        response.release_conn()
        return result("succeeded" if 200 <= status < 300 else "http_error", status,
                      None if 200 <= status < 300 else f"HTTP{status // 100}xx")
    except (urllib3.exceptions.TimeoutError,) as exc:
        return result("timeout", error=type(exc).__name__)
    except urllib3.exceptions.HTTPError as exc:
        return result("connection_error", error=type(exc).__name__)
    except OSError as exc:
        return result("connection_error", error=type(exc).__name__)
    finally:
        pool.close()


# --- the dispatcher ------------------------------------------------------------------------------------

class Dispatcher:
    """Sends due deliveries. `unit_of_work` is a callable returning a context manager with `.conn`."""

    def __init__(self, unit_of_work, settings, resolver=system_resolver, spawn_pool=None):
        self.unit_of_work = unit_of_work
        self.settings = settings
        self.schedule = RetrySchedule.from_settings(settings)
        self.box = box_from_settings(settings)
        self.resolver = resolver
        self.spawn_pool = spawn_pool

    def measure_backlog(self) -> int:
        with self.unit_of_work() as uow:
            pending = repo.pending_count(uow.conn)
        PENDING.set(pending)
        return pending

    def dispatch_due(self) -> int:
        with self.unit_of_work() as uow:
            claimed = repo.claim_due(uow.conn, self.settings.dispatch_batch, self.settings.lease_seconds)
            targets = repo.delivery_targets(uow.conn, sorted({str(d["endpoint_id"]) for d in claimed}))
        if not claimed:
            return 0
        work = [(delivery, targets.get(str(delivery["endpoint_id"]))) for delivery in claimed]
        if self.spawn_pool is not None and len(work) > 1:
            list(self.spawn_pool.starmap(self._deliver_safely, work))
        else:
            for delivery, target in work:
                self._deliver_safely(delivery, target)
        return len(claimed)

    def _deliver_safely(self, delivery: dict, target: dict | None) -> None:
        try:
            self.deliver(delivery, target)
        except Exception:  # noqa: BLE001 - one bad delivery must not stop the others; the lease retries it
            log.exception("webhook delivery could not be processed", extra={"event_type": delivery["event_type"]})

    def deliver(self, delivery: dict, endpoint: dict | None) -> AttemptResult | None:
        """One attempt of a claimed delivery; `endpoint` = {url, active, secrets (sealed)} as claimed."""
        delivery_id = str(delivery["id"])
        if endpoint is None:
            return None  # deleted with its endpoint
        secrets = [self.box.open(s, str(delivery["endpoint_id"])) for s in endpoint["secrets"]]
        if not endpoint["active"] or not secrets:
            with self.unit_of_work() as uow:
                repo.stop_pending_deliveries(uow.conn, delivery["endpoint_id"])
            return None
        attempted_at = datetime.now(timezone.utc)
        outcome = post_webhook(endpoint["url"], delivery["body"], delivery_id=delivery_id,
                               event_type=delivery["event_type"], secrets=secrets,
                               timeout=self.settings.timeout_seconds, allow_loopback=self.settings.allow_loopback,
                               resolver=self.resolver, ca_bundle=self.settings.ca_bundle)
        manual = bool(delivery["manual_pending"])
        trigger = "redeliver" if manual else "scheduled"
        ATTEMPTS.labels(trigger, outcome.outcome).inc()
        ATTEMPT_DURATION.labels(outcome.outcome).observe(outcome.duration_ms / 1000)
        with self.unit_of_work() as uow:
            current = repo.lock_delivery(uow.conn, delivery_id)
            if current is None:
                return outcome  # the endpoint was deleted meanwhile
            number = current["attempt_count"] + 1
            scheduled = current["scheduled_attempts"] + (0 if manual else 1)
            repo.record_attempt(uow.conn, delivery_id=delivery_id, number=number, trigger=trigger,
                                attempted_at=attempted_at, duration_ms=outcome.duration_ms,
                                status_code=outcome.status_code, outcome=outcome.outcome,
                                error_class=outcome.error_class)
            if current["status"] != "pending":
                # Disabled (or otherwise finished) while the POST ran: keep its final state, log the attempt.
                return outcome
            if outcome.succeeded:
                status, delay = "succeeded", None
            else:
                delay = self.schedule.delay_after(scheduled)
                status = "pending" if delay is not None else "failed"
            repo.finish_attempt(uow.conn, delivery_id, status=status, scheduled_attempts=scheduled,
                                attempt_count=number, next_attempt_in=delay, attempted_at=attempted_at,
                                status_code=outcome.status_code, outcome=outcome.outcome)
        if status != "pending":
            DELIVERIES_FINISHED.labels(status).inc()
        log.info("webhook attempt", extra={"event_type": delivery["event_type"], "status": outcome.outcome,
                                           "duration_ms": outcome.duration_ms})
        return outcome
