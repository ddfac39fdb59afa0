-- Dashboard figures per bucket (fiscal year, area, host level): events by status, type and month, attendance
-- by category, survey respondents and standard-question KPIs. At national scale a prefecture's year is
-- ~10,000 events, each joined to its head counts, registrations and survey answers (hundreds of ms); its
-- buckets are ~200 rows. The statistics use case recomputes stale buckets from the base tables before it
-- reads them (services/events/statistics_buckets.py).
CREATE TABLE event_statistics (
    fiscal_year   integer NOT NULL,
    area_code     text NOT NULL,
    level         text NOT NULL,
    figures       jsonb NOT NULL,
    refreshed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fiscal_year, area_code, level)
);

-- Buckets whose figures may have changed. Marked by triggers, so that no write path (use case, demo seed,
-- scale generator, a manual fix) can forget; append-only without a key, so concurrent writers never wait on
-- each other; the refresh deletes the marks it consumes.
CREATE TABLE event_statistics_stale (
    fiscal_year  integer NOT NULL,
    area_code    text NOT NULL,
    level        text NOT NULL
);
CREATE INDEX event_statistics_stale_bucket ON event_statistics_stale (fiscal_year, area_code);
-- A queue: rows come and go all the time; vacuum it after every ~1,000 dead marks, not 20 % of the table, so
-- that claims do not wade through dead index entries.
ALTER TABLE event_statistics_stale SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

CREATE FUNCTION event_statistics_mark_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO event_statistics_stale SELECT DISTINCT fiscal_year, area_code, host_level FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO event_statistics_stale SELECT DISTINCT fiscal_year, area_code, host_level FROM old_rows;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER events_statistics_inserted AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_events();
CREATE TRIGGER events_statistics_updated AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_events();
CREATE TRIGGER events_statistics_deleted AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_events();

-- Head counts, registrations and surveys: the bucket of the event they belong to.
CREATE FUNCTION event_statistics_mark_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO event_statistics_stale SELECT DISTINCT e.fiscal_year, e.area_code, e.host_level
        FROM events e WHERE e.id IN (SELECT event_id FROM new_rows);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO event_statistics_stale SELECT DISTINCT e.fiscal_year, e.area_code, e.host_level
        FROM events e WHERE e.id IN (SELECT event_id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER attendance_counts_statistics_inserted AFTER INSERT ON attendance_counts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER attendance_counts_statistics_updated AFTER UPDATE ON attendance_counts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER attendance_counts_statistics_deleted AFTER DELETE ON attendance_counts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();

CREATE TRIGGER registrations_statistics_inserted AFTER INSERT ON registrations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER registrations_statistics_updated AFTER UPDATE ON registrations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER registrations_statistics_deleted AFTER DELETE ON registrations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();

CREATE TRIGGER surveys_statistics_inserted AFTER INSERT ON surveys
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER surveys_statistics_updated AFTER UPDATE ON surveys
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER surveys_statistics_deleted AFTER DELETE ON surveys
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();

CREATE TRIGGER survey_questions_statistics_inserted AFTER INSERT ON survey_questions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER survey_questions_statistics_updated AFTER UPDATE ON survey_questions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();
CREATE TRIGGER survey_questions_statistics_deleted AFTER DELETE ON survey_questions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_statistics_mark_outcomes();

-- The events already there: every bucket starts stale.
INSERT INTO event_statistics_stale SELECT DISTINCT fiscal_year, area_code, host_level FROM events;

-- Recomputing a bucket reads its events and their outcomes by event id; handouts and trial projects are read
-- per (fiscal year, area) directly (events_fy_area, handouts_fy_area, trial_projects_fy_area).
CREATE INDEX events_statistics_bucket ON events (fiscal_year, area_code, host_level) INCLUDE (id, status, type, first_day);
CREATE INDEX registrations_attended ON registrations (event_id) INCLUDE (attendee_category, people, attended_people)
    WHERE status = 'attended';
