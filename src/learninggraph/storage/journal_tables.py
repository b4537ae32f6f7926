"""The journal's tables (applied by migration 4, indexes trimmed by migration 5; kept in storage, below the
journal that writes them): entries, per-tenant counts and the id high-water mark.

Entry ids are handed out by the writer under a lock on the one ``journal_sequence`` row, so they become
visible in increasing order on both backends and a follower polling ``id > last`` never skips one.
"""

from __future__ import annotations

JOURNAL_TABLES: tuple[str, ...] = (
    # The filterable fields are columns; the whole (redacted) entry is JSON in ``record``.
    """CREATE TABLE journal_entries (
        id BIGINT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        at TEXT NOT NULL,
        app_id TEXT,
        user_id TEXT,
        method TEXT NOT NULL,
        route TEXT,
        status INTEGER NOT NULL,
        rule TEXT,
        request_id TEXT NOT NULL,
        record TEXT NOT NULL)""",
    "CREATE INDEX ix_journal_tenant_id ON journal_entries (tenant_id, id)",
    "CREATE INDEX ix_journal_tenant_at ON journal_entries (tenant_id, at)",
    "CREATE INDEX ix_journal_request_id ON journal_entries (request_id)",
    "CREATE INDEX ix_journal_tenant_status ON journal_entries (tenant_id, status, id)",
    "CREATE INDEX ix_journal_tenant_route ON journal_entries (tenant_id, route, id)",
    # How many entries each tenant holds, so eviction deletes only the excess and never counts rows.
    """CREATE TABLE journal_tenants (
        tenant_id TEXT PRIMARY KEY,
        entries BIGINT NOT NULL)""",
    "CREATE TABLE journal_sequence (name TEXT PRIMARY KEY, last_id BIGINT NOT NULL)",
    "INSERT INTO journal_sequence (name, last_id) VALUES ('entries', 0)",
)

# Migration 5: every request writes an entry, and each index is one more B-tree insert per entry. A tenant
# holds a bounded number of entries (10,000 by default), so a filter on status, route, rule or time reads the
# tenant's rows newest first through ``(tenant_id, id)`` and stops at its limit; only the request-id lookup
# (``explain``, across tenants for the operator) keeps an index of its own.
JOURNAL_LEAN_INDEXES: tuple[str, ...] = (
    "DROP INDEX IF EXISTS ix_journal_tenant_at",
    "DROP INDEX IF EXISTS ix_journal_tenant_status",
    "DROP INDEX IF EXISTS ix_journal_tenant_route",
)
