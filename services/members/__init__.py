"""Members: the PF network (platforms), its organisation directory (HSDS 3.0 shaped) and memberships.

Modules
  vocabulary.py            legal forms (+ aliases), activity types, referral capacity, levels, phases, classes,
                           statuses, recruitment sources
  japanese_text.py         NFKC + katakana→hiragana folding; the unigram/bigram n-grams the search index uses
  platform_rules.py        level ↔ area, parent covers child, subcommittees, dated phase changes (plain Python)
  membership_lifecycle.py  invited → applied → active ⇄ suspended → withdrawn, class changes (plain Python)
  access.py                who may read / manage which PF and organisation (scope = Principal.covers)
  organizations.py         register, update (per-field change log = HSDS metadata, revision, 412 on a stale
                           revision), deactivate, get, search (AND-combined filters, HSDS Page), export (ndjson)
  platforms.py, memberships.py   the PF and membership use cases; statistics.py: dashboard figures as of a date
  hsds.py                  the public HSDS 3.0 view (published organisations, services, Japan profile);
                           hsds_schema/ holds the JSON Schema of what it serves
  csv_import.py            bulk import with line-numbered validation, all-or-nothing unless skip_invalid
  repository.py            SQL;  integration_events.py: organization.*, platform.*, membership.* (DEVELOPERS.md)
  demo_data.py             `make up` seed from the sources;  scale_data.py: synthetic N organisations (COPY)
  service.py               nameko RPCs (thin)

RPCs (`members.<name>`; the caller's Principal travels in the context; out of scope → NotFound)
  register_organization(body) update_organization(id, body) deactivate_organization(id) get_organization(id)
  list_organizations(query) export_organizations(query, after, limit) import_organizations(csv_text, options)
  create_platform(body) get_platform(id) update_platform(id, body) change_platform_phase(id, body)
  list_platforms(query) platform_tree()
  invite_member(platform_id, body) apply_for_membership(platform_id, body)
  change_membership(id, approve|reinstate|suspend|withdraw|change_class, body) get_membership(id)
  list_platform_members(platform_id, query)
  statistics(scope_area, as_of) → {scope_area, as_of, platforms: [{platform_id, name, level, area_code,
      parent_platform_id, phase, phase_since, members_by_status, members_by_class}], platforms_by_level_and_phase,
      by_area: {area code: {members, by_status, by_class, by_legal_form, by_field, new_by_month}}, totals}
  hsds_organizations / hsds_organization / hsds_services / hsds_service / hsds_export / hsds_profile (public)

Search index: `members_ngrams(search_text)` (SQL, see migrations/0001) is a GIN expression index over the folded
text's unigrams and bigrams; it does not depend on the database's ctype (pg_trgm does) and serves one- and
two-character queries. A text query narrows by the index, then checks the exact substring with LIKE.

People's contacts (organization.contacts) are personal data: shown only by GET of one organisation to those who
may edit it; never in lists, exports, the public API or events; the change log records that they changed, not their
values.
"""
