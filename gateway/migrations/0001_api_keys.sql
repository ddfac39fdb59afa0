-- Partner-system API keys: random, shown once, stored as SHA-256 (the keys carry 256 bits of entropy, so a
-- slow password hash adds nothing), bound to one organisation, revocable, with a last-used time.
CREATE TABLE IF NOT EXISTS api_keys (
    id               uuid PRIMARY KEY,
    prefix           text        NOT NULL UNIQUE,
    secret_sha256    bytea       NOT NULL,
    organization_id  uuid        NOT NULL,
    name             text        NOT NULL,
    created_by       text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    last_used_at     timestamptz
);
