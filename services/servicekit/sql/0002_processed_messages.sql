-- Idempotent consumers: a handler inserts (consumer, event_id) in the same transaction as its own writes.
CREATE TABLE IF NOT EXISTS processed_messages (
    consumer      text        NOT NULL,
    event_id      uuid        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
