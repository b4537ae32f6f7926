"""The fault rules' table (applied by migration 4), shared by every worker and server on the database."""

from __future__ import annotations

FAULT_TABLES: tuple[str, ...] = (
    # ``remaining`` NULL: no count; windows are fixed-width UTC text; ``position`` orders the rules.
    """CREATE TABLE fault_rules (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        app_id TEXT,
        method TEXT,
        route TEXT,
        action TEXT NOT NULL,
        status INTEGER,
        retry_after INTEGER,
        latency_ms INTEGER NOT NULL,
        probability DOUBLE PRECISION NOT NULL,
        remaining INTEGER,
        starts_at TEXT,
        ends_at TEXT,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX ix_fault_rules_tenant ON fault_rules (tenant_id, position)",
)
