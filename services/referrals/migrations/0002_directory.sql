-- Local copy of the members directory, kept from the members service's integration events (newer revisions only).
CREATE TABLE directory_organizations (
    organization_id     uuid PRIMARY KEY,
    revision            bigint NOT NULL,
    name                text,
    active              boolean NOT NULL DEFAULT false,
    published           boolean NOT NULL DEFAULT false,
    taxonomy_codes      text[] NOT NULL DEFAULT '{}',
    service_area_codes  text[] NOT NULL DEFAULT '{}',
    home_area_code      text,
    referral_capacity   text NOT NULL DEFAULT 'paused',
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX directory_organizations_taxonomy ON directory_organizations USING gin (taxonomy_codes);

CREATE TABLE directory_memberships (
    membership_id       uuid PRIMARY KEY,
    revision            bigint NOT NULL,
    organization_id     uuid NOT NULL,
    platform_id         uuid NOT NULL,
    platform_area_code  text,
    membership_class    text,
    status              text NOT NULL,
    effective_on        date,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX directory_memberships_org ON directory_memberships (organization_id) WHERE status = 'active';
