"""The request journal: typed entries, redaction, durable bounded storage, a batching writer and queries."""
