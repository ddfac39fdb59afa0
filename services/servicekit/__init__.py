"""Mechanics every Tsunagu service shares: database access under eventlet, migrations, the event
envelope, the transactional outbox and its relay, idempotent reliable event handlers, broker topology,
dead letters, the caller's identity and scope, errors, and observability. One module per concern."""
