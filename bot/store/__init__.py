"""Persistence: the store is the source of truth for operations, AWS calls and the outbox."""
