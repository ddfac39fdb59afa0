-- Referrals: the non-personal record, its history, the encrypted person, idempotency keys and the audit of reads.
CREATE TABLE referrals (
    id                       uuid PRIMARY KEY,
    revision                 integer NOT NULL DEFAULT 1,
    status                   text NOT NULL,
    category                 text NOT NULL,
    urgency                  text NOT NULL,
    summary                  text NOT NULL,               -- non-personal summary of the need
    area_code                text NOT NULL,               -- municipality the referral concerns (scope, statistics)
    sender_organization_id   uuid NOT NULL,
    target_organization_id   uuid,                        -- NULL while a pool referral is unclaimed
    pool_area_code           text,
    pool_category            text,
    do_not_contact           boolean NOT NULL DEFAULT false,
    consent                  jsonb,                        -- who obtained it, when, how, recipients, fields, until
    legal_basis              jsonb,                        -- instead of consent: protection_of_life | regional_council
    partner_reference        text,                         -- the sending system's own reference
    forwarded_from_id        uuid REFERENCES referrals (id),
    part_of_id               uuid REFERENCES referrals (id),
    created_by               text NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    requested_at             timestamptz,
    accepted_at              timestamptz,
    closed_at                timestamptz,
    overdue_at               timestamptz,                  -- set once by the overdue timer
    modified_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT referral_has_target_or_pool CHECK (
        (target_organization_id IS NOT NULL) OR (pool_area_code IS NOT NULL AND pool_category IS NOT NULL)),
    CONSTRAINT referral_sharing_basis CHECK (consent IS NOT NULL OR legal_basis IS NOT NULL)
);
CREATE INDEX referrals_sender_modified ON referrals (sender_organization_id, modified_at, id);
CREATE INDEX referrals_target_modified ON referrals (target_organization_id, modified_at, id);
CREATE INDEX referrals_pool_open ON referrals (pool_area_code, modified_at) WHERE target_organization_id IS NULL;
CREATE INDEX referrals_awaiting ON referrals (requested_at) WHERE status = 'requested' AND overdue_at IS NULL;
CREATE INDEX referrals_closed ON referrals (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX referrals_area_created ON referrals (area_code, created_at);

-- The person: one AES-256-GCM ciphertext (associated data = referral id); erased by retention, row kept.
CREATE TABLE referral_persons (
    referral_id    uuid PRIMARY KEY REFERENCES referrals (id),
    key_id         text,
    nonce          bytea,
    ciphertext     bytea,
    identity_hash  bytea,                                  -- HMAC-SHA256 of the normalised identity
    erased_at      timestamptz,
    CONSTRAINT person_sealed_or_erased CHECK ((ciphertext IS NOT NULL AND key_id IS NOT NULL AND nonce IS NOT NULL)
                                              OR erased_at IS NOT NULL)
);
CREATE INDEX referral_persons_key ON referral_persons (key_id) WHERE ciphertext IS NOT NULL;

CREATE TABLE referral_history (
    id                     bigserial PRIMARY KEY,
    referral_id            uuid NOT NULL REFERENCES referrals (id),
    revision               integer NOT NULL,
    action                 text NOT NULL,                 -- created | status | claimed | forwarded | overdue | erased
    from_status            text,
    to_status              text NOT NULL,
    reason                 text,
    outcome                text,
    actor_subject          text NOT NULL,
    actor_role             text NOT NULL,
    actor_organization_id  uuid,
    request_id             text,
    occurred_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referral_history_referral ON referral_history (referral_id, id);

-- Idempotency-Key: one row per (calling organisation, key), written in the transaction of the referral.
CREATE TABLE idempotency_keys (
    organization_id   uuid NOT NULL,
    idempotency_key   text NOT NULL,
    fingerprint       bytea NOT NULL,                      -- keyed digest of the request body
    referral_id       uuid NOT NULL REFERENCES referrals (id),
    response_status   integer NOT NULL,
    response_body     jsonb NOT NULL,                      -- non-personal representation only
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, idempotency_key)
);

-- Every read of personal data.
CREATE TABLE personal_data_reads (
    id                     bigserial PRIMARY KEY,
    referral_id            uuid NOT NULL REFERENCES referrals (id),
    reader_subject         text NOT NULL,
    reader_role            text NOT NULL,
    reader_organization_id uuid,
    fields                 text[] NOT NULL,
    purpose                text NOT NULL,
    request_id             text,
    read_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personal_data_reads_referral ON personal_data_reads (referral_id, read_at);
CREATE INDEX personal_data_reads_time ON personal_data_reads (read_at);
