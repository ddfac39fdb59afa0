-- Pre-aggregated referral statistics, so a prefecture's dashboard does not scan a fiscal year of referrals.
--
-- Every insert, update or delete of a referral appends signed rows to referral_statistics_deltas (a trigger, so no
-- code path can forget it; in the same transaction as the change; append-only, so concurrent writers never
-- contend for a counter row). A timer folds the deltas into monthly aggregates (statistics_repository.fold).
-- Readers add the aggregates and the still-unfolded deltas in one snapshot: every change is counted exactly once,
-- whether or not it has been folded yet.

CREATE TABLE referral_statistics_deltas (
    id              bigserial PRIMARY KEY,
    area_code       text NOT NULL,
    created_at      timestamptz NOT NULL,
    status          text NOT NULL,
    category        text NOT NULL,
    accept_seconds  double precision,          -- requested → accepted, NULL when not (yet) accepted
    close_seconds   double precision,          -- requested → closed
    sign            smallint NOT NULL CHECK (sign IN (-1, 1))
);
CREATE INDEX referral_statistics_deltas_area ON referral_statistics_deltas (area_code, created_at);

-- Counts per municipality and Japan-time calendar month of creation (marginals: the dashboard needs by status and
-- by category, not their cross product, which would not aggregate much). A prefecture's year reads ~50,000 of
-- these rows: they must sit on few pages. Rows of a month are created during that month (so stored together), and
-- half-empty pages let the fold's updates stay on their page (HOT); after a bulk load, `statistics_fold --cluster`
-- (measured at 10 M referrals: 300 ms → 45 ms for 北海道's year).
CREATE TABLE referral_counts_by_status (
    area_code  text NOT NULL,
    month      date NOT NULL,
    status     text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (area_code, month, status)
) WITH (fillfactor = 50);
CREATE TABLE referral_counts_by_category (
    area_code  text NOT NULL,
    month      date NOT NULL,
    category   text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (area_code, month, category)
) WITH (fillfactor = 50);

-- Durations (time to accept / to close) as log-scale histograms per area above municipalities (bureau, prefecture)
-- and month: a prefecture's fiscal year is at most 12 × a few hundred rows. Medians are not additive, histograms
-- are. (A municipality's would hold about a row per referral; its medians are computed exactly.)
CREATE TABLE referral_duration_histogram (
    scope_code  text NOT NULL,
    month       date NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('accept', 'close')),
    bucket      integer NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (scope_code, month, kind, bucket)
) WITH (fillfactor = 50);

-- Which areas a municipality's referrals count towards in the histograms (its bureau, its prefecture), written from
-- the area registry by the service; a delta is folded once its municipality is here.
CREATE TABLE referral_statistics_scopes (
    area_code   text NOT NULL,
    scope_code  text NOT NULL,
    PRIMARY KEY (area_code, scope_code)
);

-- The one definition of a duration and its histogram bucket (also used by readers for not-yet-folded rows).
CREATE FUNCTION referral_duration_seconds(status text, requested_at timestamptz, at timestamptz)
    RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN status <> 'entered-in-error' AND requested_at IS NOT NULL AND at IS NOT NULL
                THEN extract(epoch FROM at - requested_at)::double precision END $$;

-- Bucket b holds durations s with round(ln(1 + s) * 50) = b: buckets are 2 % wide, so a percentile read from the
-- histogram is within 1 % of the exact one (duration_histogram.py turns a bucket back into seconds).
CREATE FUNCTION referral_duration_bucket(seconds double precision)
    RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT round(ln(1 + greatest(seconds, 0)) * 50)::integer $$;

CREATE FUNCTION referral_statistics_append(r referrals, sign smallint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO referral_statistics_deltas (area_code, created_at, status, category, accept_seconds,
                                            close_seconds, sign)
    VALUES (r.area_code, r.created_at, r.status, r.category,
            referral_duration_seconds(r.status, r.requested_at, r.accepted_at),
            referral_duration_seconds(r.status, r.requested_at, r.closed_at), sign) $$;

CREATE FUNCTION referral_statistics_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.area_code, OLD.created_at, OLD.status, OLD.category, OLD.requested_at,
                             OLD.accepted_at, OLD.closed_at)
            IS NOT DISTINCT FROM (NEW.area_code, NEW.created_at, NEW.status, NEW.category, NEW.requested_at,
                                  NEW.accepted_at, NEW.closed_at) THEN
        RETURN NULL;  -- e.g. a claim, an overdue mark or a revision bump: no figure changes
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM referral_statistics_append(OLD, -1::smallint);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM referral_statistics_append(NEW, 1::smallint);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER referrals_statistics AFTER INSERT OR UPDATE OR DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referral_statistics_track();

-- Referrals that exist already are counted by the first fold.
SELECT referral_statistics_append(r, 1::smallint) FROM referrals r;

-- The overdue backlog is read live (it is "as of now", not per period): a small partial index answers it.
CREATE INDEX referrals_overdue_backlog ON referrals (area_code) WHERE status = 'requested' AND overdue_at IS NOT NULL;
