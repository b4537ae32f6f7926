"""The journal's tables (applied by migration 4, indexes trimmed by migration 5, blocks by migration 6; kept in storage, below the
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

# Migration 6: a block a tenant a stored batch (``journal.blocks``) instead of a row an entry, the same tables on
# both backends. Each stored row becomes a block of one entry (its fields and record as a JSON array), which ages
# out as blocks do; the counts stay, every entry kept. On SQLite the journal has a file of its own
# (``journal.storage``): the database's rows are those of before that file, copied in when it is made (their
# records are JSON, as text or bytes: compact records came with the file).
JOURNAL_BLOCKS: tuple[str, ...] = (
    """CREATE TABLE journal_blocks (
        id BIGINT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        first_id BIGINT NOT NULL,
        entries TEXT NOT NULL)""",
)
_FIELDS = "at, app_id, user_id, method, route, status, rule, request_id"
JOURNAL_ROWS_TO_BLOCKS_SQLITE = (
    "INSERT INTO journal_blocks (id, tenant_id, first_id, entries) SELECT id, tenant_id, id, "
    f"json_array(json_array({_FIELDS}, json(CAST(record AS TEXT)))) FROM journal_entries "
    "WHERE substr(CAST(record AS TEXT), 1, 1) = '{'"
)
JOURNAL_ROWS_TO_BLOCKS_POSTGRESQL = (
    "INSERT INTO journal_blocks (id, tenant_id, first_id, entries) SELECT id, tenant_id, id, "
    f"json_build_array(json_build_array({_FIELDS}, record::json))::text FROM journal_entries"
)
JOURNAL_BLOCKS_INDEX: tuple[str, ...] = (
    "CREATE INDEX ix_journal_blocks_tenant ON journal_blocks (tenant_id, id)",
    "DROP TABLE journal_entries",
    "ALTER TABLE journal_tenants ADD COLUMN first_kept BIGINT NOT NULL DEFAULT 0",
)

# Migration 7: a block's entries as bytes. On PostgreSQL MessagePack, as SQLite's journal file stores them (compact
# records, no JSON text to escape and parse); the blocks stored before stay JSON, as bytes. TOAST compresses them
# with LZ4 where the server was built with it (PostgreSQL 14 on): a third less of the database's CPU a list page
# than pglz. SQLite's own table (the blocks of before the journal's file, copied into it when it is made) is rebuilt
# with the same column type, its values as they were.
JOURNAL_BLOCKS_AS_BYTES_SQLITE: tuple[str, ...] = (
    """CREATE TABLE journal_blocks_bytes (
        id BIGINT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        first_id BIGINT NOT NULL,
        entries BLOB NOT NULL)""",
    "INSERT INTO journal_blocks_bytes SELECT id, tenant_id, first_id, entries FROM journal_blocks",
    "DROP TABLE journal_blocks",
    "ALTER TABLE journal_blocks_bytes RENAME TO journal_blocks",
    "CREATE INDEX ix_journal_blocks_tenant ON journal_blocks (tenant_id, id)",
)
# A block written as bytes while the column was still text (a process of this release storing its journal before
# the migration reached 7) was cast to text as PostgreSQL writes bytes, ``\x`` and hex digits: it is turned back.
# A block of JSON text starts with ``[``.
JOURNAL_BLOCKS_AS_BYTES_POSTGRESQL: tuple[str, ...] = (
    "ALTER TABLE journal_blocks ALTER COLUMN entries TYPE BYTEA USING CASE WHEN left(entries, 2) = '\\x' "
    "THEN decode(substr(entries, 3), 'hex') ELSE convert_to(entries, 'UTF8') END",
    """DO $$
    BEGIN
        EXECUTE 'ALTER TABLE journal_blocks ALTER COLUMN entries SET COMPRESSION lz4';
    EXCEPTION WHEN feature_not_supported OR syntax_error THEN
        NULL;
    END $$""",
)
