-- Members service: organisations (HSDS 3.0 shaped), platforms (PFs) and memberships.

-- Unigrams and bigrams of already folded text (NFKC, lower case, katakana→hiragana: japanese_text.fold), per
-- whitespace-separated token. Exactly japanese_text.document_ngrams; a test checks the two agree. Indexed as an
-- expression so the heap rows stay narrow (the array would double their size), and independent of the
-- database's ctype, unlike pg_trgm.
CREATE FUNCTION members_ngrams(folded text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}')
    FROM (SELECT substr(w, i, n) AS g
          FROM regexp_split_to_table(folded, '\s+') AS w,
               LATERAL (VALUES (1), (2)) AS sizes(n),
               LATERAL generate_series(1, length(w) - n + 1) AS i) grams
$$;

CREATE TABLE organizations (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL,
    name_kana            text,
    alternate_name       text,
    description          text NOT NULL DEFAULT '',
    legal_form           text NOT NULL,
    corporate_number     text,                       -- 法人番号 (13 digits), HSDS organization_identifier
    external_id          text,                       -- id in a source system (e.g. 支援情報ナビ), import key
    taxonomy_codes       text[] NOT NULL DEFAULT '{}',
    activity_types       text[] NOT NULL DEFAULT '{}',
    service_area_codes   text[] NOT NULL DEFAULT '{}',
    service_area_note    text,                       -- e.g. part of a municipality: 「登別地区」
    home_area_code       text NOT NULL,
    email                text,
    phone                text,
    website              text,
    contacts             jsonb NOT NULL DEFAULT '[]',  -- people: never published, never in events
    referral_capacity    text NOT NULL DEFAULT 'accepting'
                         CHECK (referral_capacity IN ('accepting', 'paused', 'waitlist')),
    published            boolean NOT NULL DEFAULT false,
    active               boolean NOT NULL DEFAULT true,
    revision             integer NOT NULL DEFAULT 1,
    natural_key          text NOT NULL,              -- folded name + '|' + home area: duplicate detection
    search_text          text NOT NULL,              -- folded name, kana, alternate name, description
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deactivated_at       timestamptz
);
CREATE UNIQUE INDEX organizations_natural_key ON organizations (natural_key) WHERE active;
CREATE UNIQUE INDEX organizations_external_id ON organizations (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX organizations_ngrams ON organizations USING gin (members_ngrams(search_text)) WITH (fastupdate = off);
CREATE INDEX organizations_taxonomy ON organizations USING gin (taxonomy_codes) WITH (fastupdate = off);
CREATE INDEX organizations_service_areas ON organizations USING gin (service_area_codes) WITH (fastupdate = off);
CREATE INDEX organizations_activity_types ON organizations USING gin (activity_types) WITH (fastupdate = off);
CREATE INDEX organizations_home_area ON organizations (home_area_code);
CREATE INDEX organizations_updated ON organizations (updated_at, id);
CREATE INDEX organizations_published ON organizations (id) WHERE published AND active;

-- HSDS `metadata`: one row per changed field per change.
CREATE TABLE organization_changes (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id),
    revision           integer NOT NULL,
    action_type        text NOT NULL CHECK (action_type IN ('create', 'update', 'deactivate', 'reactivate')),
    field_name         text NOT NULL,
    previous_value     jsonb,
    replacement_value  jsonb,
    updated_by         text NOT NULL,
    changed_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_changes_org ON organization_changes (organization_id, revision);

CREATE TABLE platforms (
    id                           uuid PRIMARY KEY,
    name                         text NOT NULL,
    level                        text NOT NULL CHECK (level IN ('prefecture', 'bureau', 'municipality', 'cross_area')),
    area_code                    text NOT NULL,
    parent_platform_id           uuid REFERENCES platforms (id),
    description                  text NOT NULL DEFAULT '',
    phase                        text NOT NULL CHECK (phase IN ('initial', 'preparation', 'established', 'self_running')),
    phase_since                  date NOT NULL,
    first_meeting_on             date,
    secretariat_organization_ids uuid[] NOT NULL DEFAULT '{}',
    existing_bodies              text[] NOT NULL DEFAULT '{}',
    two_tier                     boolean NOT NULL DEFAULT true,
    revision                     integer NOT NULL DEFAULT 1,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platforms_area ON platforms (area_code);
CREATE INDEX platforms_parent ON platforms (parent_platform_id);

CREATE TABLE platform_phase_history (
    id            bigserial PRIMARY KEY,
    platform_id   uuid NOT NULL REFERENCES platforms (id),
    from_phase    text,
    to_phase      text NOT NULL,
    effective_on  date NOT NULL,
    reason        text,
    actor         text NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platform_phase_history_pf ON platform_phase_history (platform_id, effective_on);

CREATE TABLE memberships (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id),
    platform_id         uuid NOT NULL REFERENCES platforms (id),
    membership_class    text NOT NULL CHECK (membership_class IN ('steering', 'member', 'core', 'observer')),
    status              text NOT NULL CHECK (status IN ('invited', 'applied', 'active', 'suspended', 'withdrawn')),
    recruitment_source  text,
    status_since        date NOT NULL,
    joined_on           date,          -- first activation
    revision            integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX memberships_current ON memberships (organization_id, platform_id) WHERE status <> 'withdrawn';
CREATE INDEX memberships_platform ON memberships (platform_id, status, membership_class);
CREATE INDEX memberships_org ON memberships (organization_id);

CREATE TABLE membership_history (
    id                bigserial PRIMARY KEY,
    membership_id     uuid NOT NULL REFERENCES memberships (id),
    action            text NOT NULL,
    from_status       text,
    to_status         text NOT NULL,
    membership_class  text NOT NULL,
    effective_on      date NOT NULL,
    reason            text,
    actor             text NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX membership_history_membership ON membership_history (membership_id, id);
