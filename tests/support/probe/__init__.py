"""A producer and a consumer built only from servicekit parts, so the foundation's guarantees (outbox, relay,
idempotent handling, dead letters, eventlet-safe database access) are tested independently of any domain."""
