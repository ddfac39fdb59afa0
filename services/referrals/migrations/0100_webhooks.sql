-- Webhooks: partner endpoints, their signing secrets, one delivery per (event, endpoint), and every attempt.
-- Owned by the referral_webhooks service (same database as referrals; migrations 0100 onwards).

CREATE TABLE webhook_endpoints (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    url              text NOT NULL,
    description      text NOT NULL DEFAULT '',
    event_types      text[],                       -- NULL: every referral event type
    active           boolean NOT NULL DEFAULT true,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    disabled_at      timestamptz
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (organization_id) WHERE active;

-- A secret is valid while expires_at is NULL (the current one) or in the future (the previous one during a
-- rotation overlap). Every valid secret signs each request, so a partner can switch at its own pace.
CREATE TABLE webhook_secrets (
    id           uuid PRIMARY KEY,
    endpoint_id  uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    secret       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz
);
CREATE INDEX webhook_secrets_by_endpoint ON webhook_secrets (endpoint_id, created_at DESC);
CREATE UNIQUE INDEX webhook_secrets_one_current ON webhook_secrets (endpoint_id) WHERE expires_at IS NULL;

CREATE TABLE webhook_deliveries (
    id                  uuid PRIMARY KEY,
    endpoint_id         uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    organization_id     uuid NOT NULL,
    event_id            uuid NOT NULL,
    event_type          text NOT NULL,
    referral_id         uuid NOT NULL,
    occurred_at         timestamptz NOT NULL,
    body                text NOT NULL,              -- the exact JSON sent (id-only), signed per attempt
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    scheduled_attempts  integer NOT NULL DEFAULT 0, -- attempts of the retry schedule (manual ones not counted)
    attempt_count       integer NOT NULL DEFAULT 0,
    manual_pending      boolean NOT NULL DEFAULT false,
    next_attempt_at     timestamptz,                -- NULL once succeeded or failed
    last_attempt_at     timestamptz,
    last_status_code    integer,
    last_outcome        text,
    completed_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (completed_at) WHERE status <> 'pending';

-- Attempts record what happened, never what the partner answered (no response bodies).
CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number       integer NOT NULL,
    trigger      text NOT NULL CHECK (trigger IN ('scheduled', 'redeliver')),
    attempted_at timestamptz NOT NULL,
    duration_ms  integer NOT NULL,
    status_code  integer,
    outcome      text NOT NULL,     -- succeeded | http_error | timeout | connection_error | refused_target | error
    error_class  text,
    UNIQUE (delivery_id, number)
);
