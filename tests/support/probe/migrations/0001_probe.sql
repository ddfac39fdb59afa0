CREATE TABLE IF NOT EXISTS probe_records (
    id     uuid PRIMARY KEY,
    label  text NOT NULL
);
CREATE TABLE IF NOT EXISTS probe_handled (
    event_id     uuid PRIMARY KEY,
    label        text NOT NULL,
    correlation  text,
    occurred_at  timestamptz NOT NULL,
    handled_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Labels listed here make the consumer fail (a poison message while present).
CREATE TABLE IF NOT EXISTS probe_poison (label text PRIMARY KEY);
-- Every attempt is logged outside the handler's transaction to count deliveries.
CREATE TABLE IF NOT EXISTS probe_attempts (id bigserial PRIMARY KEY, event_id uuid NOT NULL);
