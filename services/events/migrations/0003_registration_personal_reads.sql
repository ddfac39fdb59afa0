-- Every read of a named participant's personal data through a single registration (exports are audited in
-- participant_exports): who, which registration, when, under which request id.
CREATE TABLE registration_personal_reads (
    id               bigserial PRIMARY KEY,
    registration_id  uuid NOT NULL REFERENCES registrations(id),
    event_id         uuid NOT NULL REFERENCES events(id),
    subject          text NOT NULL,
    role             text NOT NULL,
    area             text,
    correlation_id   text,
    read_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registration_personal_reads_event ON registration_personal_reads (event_id, read_at);
