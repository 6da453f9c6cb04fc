"""The durable bus on Redis Streams: outbox, relay, idempotent consumers, claimer, DLQ."""
