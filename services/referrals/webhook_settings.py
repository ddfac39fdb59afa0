"""Webhook configuration, read from the environment (one place, with production-safe defaults).

  WEBHOOKS_ALLOW_PRIVATE_TARGETS   ""        (default) only public addresses may receive webhooks;
                                   "loopback" loopback addresses are allowed too (tests, local development),
                                              and for loopback targets plain http is accepted.
  WEBHOOK_RETRY_BASE_SECONDS       30        first retry delay; each further one doubles ...
  WEBHOOK_RETRY_MAX_MULTIPLIER     360       ... up to base x this (30 s x 360 = 3 h)
  WEBHOOK_RETRY_MAX_ATTEMPTS       17        attempts in all (the first + 16 retries ≈ 25 h with the defaults)
  WEBHOOK_RETRY_JITTER             0.2       each delay is stretched by a random 0..20 % (never shortened)
  WEBHOOK_TIMEOUT_SECONDS          5         connect + read timeout of one POST
  WEBHOOK_SECRET_OVERLAP_SECONDS   86400     how long the previous secret still signs after a rotation
  WEBHOOK_DISPATCH_INTERVAL_SECONDS 1        how often the dispatcher looks for due deliveries
  WEBHOOK_DISPATCH_BATCH           50        deliveries claimed per tick
  WEBHOOK_DISPATCH_CONCURRENCY     10        POSTs in flight at once per dispatcher
  WEBHOOK_LEASE_SECONDS            60        a claimed delivery is invisible to other dispatchers this long
                                              (must exceed batch / concurrency x 2 x timeout; a crashed
                                              dispatcher's claims become due again after it)
  WEBHOOK_LOG_RETENTION_DAYS       90        finished deliveries (and their attempts) older than this are purged
  WEBHOOK_MAX_ENDPOINTS            10        webhook endpoints one organisation may register
  WEBHOOK_CA_BUNDLE                ""        CA certificates (PEM file) to verify partners' TLS with; default: the
                                              system's trust store
  WEBHOOK_SECRET_KEYS              ""        "<key id>:<base64 32 bytes>,..." AES-GCM keys sealing the signing
                                              secrets at rest, the first one current (see webhook_secret_box)
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from services.servicekit.dev_keys import dev_key

from .webhook_secret_box import parse_keys

ALLOW_NONE = ""
ALLOW_LOOPBACK = "loopback"


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class WebhookSettings:
    allow_private_targets: str = ALLOW_NONE
    retry_base_seconds: float = 30.0
    retry_max_multiplier: float = 360.0
    retry_max_attempts: int = 17
    retry_jitter: float = 0.2
    timeout_seconds: float = 5.0
    secret_overlap_seconds: int = 86400
    dispatch_interval_seconds: float = 1.0
    dispatch_batch: int = 50
    dispatch_concurrency: int = 10
    lease_seconds: float = 60.0
    log_retention_days: int = 90
    secret_keys: tuple = ()
    ca_bundle: str | None = None
    max_endpoints_per_organization: int = 10

    @property
    def allow_loopback(self) -> bool:
        return self.allow_private_targets == ALLOW_LOOPBACK

    @classmethod
    def from_environment(cls) -> "WebhookSettings":
        allow = os.environ.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS", ALLOW_NONE).strip().lower()
        if allow not in (ALLOW_NONE, ALLOW_LOOPBACK):
            raise ValueError("WEBHOOKS_ALLOW_PRIVATE_TARGETS must be empty or 'loopback'")
        settings = cls(
            allow_private_targets=allow,
            retry_base_seconds=_float("WEBHOOK_RETRY_BASE_SECONDS", cls.retry_base_seconds),
            retry_max_multiplier=_float("WEBHOOK_RETRY_MAX_MULTIPLIER", cls.retry_max_multiplier),
            retry_max_attempts=_int("WEBHOOK_RETRY_MAX_ATTEMPTS", cls.retry_max_attempts),
            retry_jitter=_float("WEBHOOK_RETRY_JITTER", cls.retry_jitter),
            timeout_seconds=_float("WEBHOOK_TIMEOUT_SECONDS", cls.timeout_seconds),
            secret_overlap_seconds=_int("WEBHOOK_SECRET_OVERLAP_SECONDS", cls.secret_overlap_seconds),
            dispatch_interval_seconds=_float("WEBHOOK_DISPATCH_INTERVAL_SECONDS", cls.dispatch_interval_seconds),
            dispatch_batch=_int("WEBHOOK_DISPATCH_BATCH", cls.dispatch_batch),
            dispatch_concurrency=_int("WEBHOOK_DISPATCH_CONCURRENCY", cls.dispatch_concurrency),
            lease_seconds=_float("WEBHOOK_LEASE_SECONDS", cls.lease_seconds),
            log_retention_days=_int("WEBHOOK_LOG_RETENTION_DAYS", cls.log_retention_days),
            # Without configured keys, a development key in var/ still seals secrets at rest (never plaintext).
            secret_keys=parse_keys(os.environ.get("WEBHOOK_SECRET_KEYS")) or (("dev", dev_key("webhook-secrets")),),
            ca_bundle=os.environ.get("WEBHOOK_CA_BUNDLE") or None,
            max_endpoints_per_organization=_int("WEBHOOK_MAX_ENDPOINTS", cls.max_endpoints_per_organization),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.retry_base_seconds <= 0 or self.retry_max_attempts < 1 or self.retry_jitter < 0:
            raise ValueError("webhook retry settings must be positive")
        if self.dispatch_batch < 1 or self.dispatch_concurrency < 1 or self.log_retention_days < 1:
            raise ValueError("webhook dispatch settings must be positive")
        # A claimed batch must be finished before its lease ends, or another dispatcher sends it again:
        # each POST takes at most connect + read timeout, `concurrency` of them at a time.
        rounds = -(-self.dispatch_batch // self.dispatch_concurrency)
        if self.timeout_seconds <= 0 or self.lease_seconds <= rounds * 2 * self.timeout_seconds:
            raise ValueError("WEBHOOK_LEASE_SECONDS must exceed the time a claimed batch can take "
                             "(batch / concurrency x 2 x timeout)")
