"""Referrals (つなぐ): closed-loop referrals of a person from one organisation to another, or to a pool.

Modules
  referral_lifecycle.py   FHIR SDOH referral Task states and who may set them, consent / legal basis, overdue
                          deadlines, pool eligibility, who sees what (plain Python, unit-tested)
  personal_data.py        AES-256-GCM sealing of the person (key ids from configuration), keyed identity hash
  referral_use_cases.py   create (Idempotency-Key), read (audited), list / poll, status (If-Match), claim,
                          forward, overdue and retention jobs — each one unit of work (rows + outbox together)
  directory.py            the local copy of the members directory, from members' integration events
  statistics.py           counts and timings for dashboards (numbers only), prefecture → bureau → municipality;
                          whole months from pre-aggregates (statistics_repository.py: trigger-written deltas
                          folded by a timer; duration_histogram.py: medians / p90 from log-scale histograms)
  repository.py           SQL;  integration_events.py: referral.* events;  schemas.py: the edge
  service.py              nameko entrypoints;  reencrypt.py: key rotation;  demo_data.py: `make up` seed

Configuration (environment)
  REFERRALS_ENCRYPTION_KEYS=kid:base64(32 bytes),...   REFERRALS_ACTIVE_KEY_ID=kid
  REFERRALS_IDENTITY_HMAC_KEY=base64(>=32 bytes)        (unset: a development key is generated under var/)
  REFERRALS_ACCEPT_WITHIN=routine=72h,urgent=24h,asap=4h,stat=1h   (overdue deadlines; these are the defaults)
  REFERRALS_OVERDUE_CHECK_SECONDS=60   REFERRALS_RETENTION_CHECK_SECONDS=3600
  REFERRALS_RETENTION_DAYS=365         (personal data of referrals closed longer ago is erased)
  REFERRALS_IDEMPOTENCY_KEY_DAYS=7     (how long an Idempotency-Key is remembered)
  REFERRALS_STATISTICS_FOLD_SECONDS=2  REFERRALS_STATISTICS_EXACT_LIMIT=20000   (exact medians up to this many)

Personal data (name, kana, birth date / age band, phone, e-mail, address area code, address) lives only in
referral_persons.ciphertext; the sender and the target (within the consent) read it, each read is written to
personal_data_reads. Events, logs, metrics, errors and statistics carry ids, states, codes and counts only.
"""
