-- Local copies of the members service's PFs, organisations and memberships (kept by idempotent handlers;
-- a change is applied only if its revision is newer than the copy's).
CREATE TABLE platforms (
    id                          uuid PRIMARY KEY,
    revision                    integer NOT NULL,
    level                       text,
    area_code                   text,
    parent_platform_id          uuid,
    name                        text,
    phase                       text,
    secretariat_organization_ids uuid[] NOT NULL DEFAULT '{}',
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platforms_area ON platforms (area_code);

CREATE TABLE organizations (
    id               uuid PRIMARY KEY,
    revision         integer NOT NULL,
    name             text,
    home_area_code   text,
    active           boolean NOT NULL DEFAULT true,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id                  uuid PRIMARY KEY,
    revision            integer NOT NULL,
    organization_id     uuid NOT NULL,
    platform_id         uuid NOT NULL,
    platform_area_code  text,
    membership_class    text,
    status              text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memberships_org_platform ON memberships (organization_id, platform_id);

CREATE TABLE trial_projects (
    id               uuid PRIMARY KEY,
    revision         integer NOT NULL DEFAULT 1,
    fiscal_year      integer NOT NULL,
    platform_id      uuid REFERENCES platforms(id),
    level            text NOT NULL,
    area_code        text NOT NULL,
    name             text NOT NULL,
    content          text NOT NULL DEFAULT '',
    kpi_text         text NOT NULL DEFAULT '',
    timing_text      text NOT NULL DEFAULT '',
    starts_on        date,
    ends_on          date,
    status           text NOT NULL DEFAULT 'planned',
    verification_text text,
    verified_on      date,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trial_projects_fy_area ON trial_projects (fiscal_year, area_code);

CREATE TABLE trial_project_contractors (
    trial_project_id uuid NOT NULL REFERENCES trial_projects(id) ON DELETE CASCADE,
    position         integer NOT NULL,
    name             text NOT NULL,
    amount_yen       bigint CHECK (amount_yen IS NULL OR amount_yen >= 0),
    note             text,
    PRIMARY KEY (trial_project_id, position)
);

CREATE TABLE trial_project_kpis (
    trial_project_id uuid NOT NULL REFERENCES trial_projects(id) ON DELETE CASCADE,
    code             text NOT NULL,
    position         integer NOT NULL,
    label            text NOT NULL,
    unit             text,
    direction        text NOT NULL DEFAULT 'at_least',
    target           numeric,
    measured         numeric,
    measured_note    text,
    PRIMARY KEY (trial_project_id, code)
);

CREATE TABLE events (
    id                       uuid PRIMARY KEY,
    revision                 integer NOT NULL DEFAULT 1,
    type                     text NOT NULL,
    host_platform_id         uuid NOT NULL REFERENCES platforms(id),
    host_level               text NOT NULL,
    area_code                text NOT NULL,
    co_hosts                 jsonb NOT NULL DEFAULT '[]',
    contractor               text,
    title                    text NOT NULL,
    description              text NOT NULL DEFAULT '',
    audiences                text[] NOT NULL DEFAULT '{}',
    public                   boolean NOT NULL DEFAULT false,
    registration_enabled     boolean NOT NULL DEFAULT true,
    capacity                 integer CHECK (capacity IS NULL OR capacity >= 0),
    registration_opens_at    timestamptz,
    registration_closes_at   timestamptz,
    waitlist_enabled         boolean NOT NULL DEFAULT false,
    approval_required        boolean NOT NULL DEFAULT false,
    offer_expiration_hours   integer,
    status                   text NOT NULL DEFAULT 'planned',
    speakers                 jsonb NOT NULL DEFAULT '[]',
    archive_media_url        text,
    archive_view_count       integer,
    archive_views_as_of      date,
    trial_project_id         uuid REFERENCES trial_projects(id),
    search_text              text NOT NULL DEFAULT '',     -- text_search.fold() of title, description, venues, speakers
    first_day                date NOT NULL,
    last_day                 date NOT NULL,
    fiscal_year              integer NOT NULL,
    cancelled_at             timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_fy_area ON events (fiscal_year, area_code);
CREATE INDEX events_status ON events (status);

CREATE TABLE event_sessions (
    event_id          uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    position          integer NOT NULL,
    label             text,
    date              date NOT NULL,
    start_time        time,
    end_time          time,
    venue_name        text,
    venue_area_code   text,
    online_url        text,
    PRIMARY KEY (event_id, position)
);

CREATE TABLE registrations (
    id                  uuid PRIMARY KEY,
    seq                 bigserial UNIQUE,          -- arrival order: the waitlist is served in this order
    revision            integer NOT NULL DEFAULT 1,
    event_id            uuid NOT NULL REFERENCES events(id),
    participant_kind    text NOT NULL CHECK (participant_kind IN ('organization', 'individual', 'anonymous')),
    organization_id     uuid,
    people              integer NOT NULL CHECK (people >= 1),
    attended_people     integer CHECK (attended_people IS NULL OR attended_people >= 0),
    attendee_category   text NOT NULL,
    status              text NOT NULL,
    personal_key_id     text,
    personal_sealed     bytea,                      -- AES-GCM(nonce || ciphertext), bound to the id
    personal_erased_at  timestamptz,
    offered_at          timestamptz,
    offer_expires_at    timestamptz,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    status_changed_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((participant_kind = 'organization') = (organization_id IS NOT NULL))
);
CREATE INDEX registrations_event_status ON registrations (event_id, status, seq);
CREATE INDEX registrations_org ON registrations (organization_id);
-- An organisation has at most one live registration per event.
CREATE UNIQUE INDEX registrations_one_live_per_org ON registrations (event_id, organization_id)
    WHERE organization_id IS NOT NULL AND status NOT IN ('cancelled', 'rejected', 'expired');

CREATE TABLE registration_status_log (
    id               bigserial PRIMARY KEY,
    registration_id  uuid NOT NULL REFERENCES registrations(id),
    from_status      text,
    to_status        text NOT NULL,
    changed_by       text NOT NULL,
    reason           text,
    changed_at       timestamptz NOT NULL DEFAULT now()
);

-- Head counts by attendee category, for events without registration (登別市 2024-02-16: 73 people).
CREATE TABLE attendance_counts (
    event_id   uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    category   text NOT NULL,
    people     integer NOT NULL CHECK (people >= 0),
    PRIMARY KEY (event_id, category)
);

CREATE TABLE surveys (
    event_id      uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    respondents   integer NOT NULL CHECK (respondents >= 0),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    revision      integer NOT NULL DEFAULT 1
);

CREATE TABLE survey_questions (
    event_id          uuid NOT NULL REFERENCES surveys(event_id) ON DELETE CASCADE,
    position          integer NOT NULL,
    template_code     text,
    kind              text NOT NULL,
    text              text NOT NULL,
    options           jsonb NOT NULL DEFAULT '[]',
    answered          integer NOT NULL,
    counts            jsonb NOT NULL DEFAULT '{}',
    free_text_answers integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, position)
);
CREATE INDEX survey_questions_template ON survey_questions (template_code) WHERE template_code IS NOT NULL;

CREATE TABLE handouts (
    id                uuid PRIMARY KEY,
    platform_id       uuid NOT NULL REFERENCES platforms(id),
    level             text NOT NULL,
    area_code         text NOT NULL,
    event_id          uuid REFERENCES events(id),
    trial_project_id  uuid REFERENCES trial_projects(id),
    item              text NOT NULL,
    kind              text NOT NULL DEFAULT 'pamphlet',
    copies_printed    integer CHECK (copies_printed IS NULL OR copies_printed >= 0),
    distributed_on    date NOT NULL,
    fiscal_year       integer NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handouts_fy_area ON handouts (fiscal_year, area_code);

CREATE TABLE handout_distributions (
    handout_id   uuid NOT NULL REFERENCES handouts(id) ON DELETE CASCADE,
    position     integer NOT NULL,
    site_kind    text NOT NULL,
    site_count   integer,
    copies       integer NOT NULL CHECK (copies >= 0),
    PRIMARY KEY (handout_id, position)
);

-- Every export of participants is audited: who, when, which event, whether personal data was included.
CREATE TABLE participant_exports (
    id                 bigserial PRIMARY KEY,
    event_id           uuid NOT NULL REFERENCES events(id),
    subject            text NOT NULL,
    role               text NOT NULL,
    area               text,
    rows_exported      integer NOT NULL,
    personal_included  boolean NOT NULL,
    correlation_id     text,
    exported_at        timestamptz NOT NULL DEFAULT now()
);
