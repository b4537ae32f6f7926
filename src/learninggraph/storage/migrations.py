"""The schema for SQLite and PostgreSQL: ordered migrations, each applied once, in one transaction."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from learninggraph.storage.database import Connection, Database
from learninggraph.storage.fault_tables import FAULT_TABLES
from learninggraph.storage.journal_tables import (
    JOURNAL_BLOCKS,
    JOURNAL_BLOCKS_AS_BYTES_POSTGRESQL,
    JOURNAL_BLOCKS_AS_BYTES_SQLITE,
    JOURNAL_BLOCKS_INDEX,
    JOURNAL_LEAN_INDEXES,
    JOURNAL_ROWS_TO_BLOCKS_POSTGRESQL,
    JOURNAL_ROWS_TO_BLOCKS_SQLITE,
    JOURNAL_TABLES,
)


@dataclass(frozen=True, slots=True)
class PerDialect:
    """One step written separately for each dialect, where no portable spelling exists (None: skip)."""

    sqlite: str | None
    postgresql: str | None


Statement = str | PerDialect


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[Statement, ...]


_TEXT_TYPE = re.compile(r"\bTEXT\b")


def render(statement: Statement, dialect: str) -> str | None:
    """The statement as ``dialect`` runs it.

    The DDL is written once. On PostgreSQL every TEXT column compares byte-wise (``COLLATE "C"``), as
    SQLite's BINARY does, so ``$orderby``, keyset paging and ``lower()`` answer alike on both.
    """
    if isinstance(statement, PerDialect):
        return statement.sqlite if dialect == "sqlite" else statement.postgresql
    if dialect == "postgresql" and statement.lstrip().upper().startswith("CREATE TABLE"):
        return _TEXT_TYPE.sub('TEXT COLLATE "C"', statement)
    return statement


# Every learning row carries its tenant id and every primary key starts with it, so the schema can be
# sharded by tenant. Date-times are fixed-width UTC text (see ``domain.values``), booleans INTEGER 0/1.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "directory, signing keys and learning resources",
        (
            """CREATE TABLE tenants (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                has_learning_plan INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL)""",
            """CREATE TABLE applications (
                client_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                permissions TEXT NOT NULL,
                created_at TEXT NOT NULL)""",
            "CREATE INDEX ix_applications_tenant ON applications (tenant_id)",
            """CREATE TABLE client_secrets (
                id TEXT PRIMARY KEY,
                client_id TEXT NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
                salt TEXT NOT NULL,
                digest TEXT NOT NULL,
                hint TEXT NOT NULL,
                created_at TEXT NOT NULL)""",
            "CREATE INDEX ix_client_secrets_client ON client_secrets (client_id)",
            """CREATE TABLE users (
                tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                display_name TEXT NOT NULL,
                user_principal_name TEXT NOT NULL,
                has_learning_license INTEGER NOT NULL,
                password_hash TEXT,
                created_at TEXT NOT NULL,
                PRIMARY KEY (tenant_id, id),
                UNIQUE (tenant_id, user_principal_name))""",
            """CREATE TABLE signing_keys (
                kid TEXT PRIMARY KEY,
                private_key TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at TEXT NOT NULL)""",
            """CREATE TABLE learning_providers (
                tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                display_name TEXT NOT NULL,
                is_course_activity_sync_enabled INTEGER NOT NULL,
                login_web_url TEXT,
                long_logo_web_url_for_dark_theme TEXT NOT NULL,
                long_logo_web_url_for_light_theme TEXT NOT NULL,
                square_logo_web_url_for_dark_theme TEXT NOT NULL,
                square_logo_web_url_for_light_theme TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (tenant_id, id))""",
            """CREATE TABLE learning_contents (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                provider_id TEXT NOT NULL,
                external_id TEXT NOT NULL,
                title TEXT NOT NULL,
                content_web_url TEXT NOT NULL,
                language_tag TEXT NOT NULL,
                additional_tags TEXT,
                contributors TEXT,
                created_date_time TEXT,
                description TEXT,
                duration TEXT,
                format TEXT,
                is_active INTEGER,
                is_premium INTEGER,
                is_searchable INTEGER,
                last_modified_date_time TEXT,
                level TEXT,
                number_of_pages INTEGER,
                skill_tags TEXT,
                source_name TEXT,
                thumbnail_web_url TEXT,
                PRIMARY KEY (tenant_id, id),
                UNIQUE (tenant_id, provider_id, external_id),
                FOREIGN KEY (tenant_id, provider_id)
                    REFERENCES learning_providers (tenant_id, id) ON DELETE CASCADE)""",
            """CREATE TABLE learning_course_activities (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                odata_type TEXT NOT NULL,
                provider_id TEXT NOT NULL,
                learner_user_id TEXT NOT NULL,
                learning_content_id TEXT NOT NULL,
                external_id TEXT,
                status TEXT,
                completion_percentage INTEGER,
                completed_date_time TEXT,
                assigned_date_time TEXT,
                assigner_user_id TEXT,
                assignment_type TEXT,
                due_date_time TEXT,
                notes TEXT,
                started_date_time TEXT,
                PRIMARY KEY (tenant_id, id),
                UNIQUE (tenant_id, provider_id, external_id),
                FOREIGN KEY (tenant_id, provider_id)
                    REFERENCES learning_providers (tenant_id, id) ON DELETE CASCADE,
                FOREIGN KEY (tenant_id, learning_content_id)
                    REFERENCES learning_contents (tenant_id, id) ON DELETE CASCADE)""",
            "CREATE INDEX ix_activities_learner ON learning_course_activities (tenant_id, learner_user_id, id)",
            "CREATE INDEX ix_activities_provider ON learning_course_activities (tenant_id, provider_id, id)",
            "CREATE INDEX ix_activities_content ON learning_course_activities (tenant_id, learning_content_id)",
            "CREATE INDEX ix_activities_external ON learning_course_activities (tenant_id, external_id)",
        ),
    ),
    Migration(
        2,
        "rate-limit budgets shared by every process",
        (
            # One row per budget key: its theoretical arrival time in wall-clock seconds (GCRA).
            "CREATE TABLE rate_budgets (key TEXT PRIMARY KEY, arrival DOUBLE PRECISION NOT NULL)",
            "CREATE INDEX ix_rate_budgets_arrival ON rate_budgets (arrival)",
        ),
    ),
    Migration(
        3,
        "directory roles, consented delegated permissions, public clients and disabled accounts",
        (
            # Delegated permissions an administrator consented to for the app, as a JSON list.
            "ALTER TABLE applications ADD COLUMN delegated_permissions TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE applications ADD COLUMN public_client INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE applications ADD COLUMN account_enabled INTEGER NOT NULL DEFAULT 1",
            # Tokens issued to the app before this time (whole seconds since the epoch) are refused.
            "ALTER TABLE applications ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0",
            # Directory role names the user holds, as a JSON list.
            "ALTER TABLE users ADD COLUMN directory_roles TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE users ADD COLUMN account_enabled INTEGER NOT NULL DEFAULT 1",
        ),
    ),
    Migration(4, "request journal and injected fault rules", JOURNAL_TABLES + FAULT_TABLES),
    Migration(5, "journal keeps only its tenant-and-id and request-id indexes", JOURNAL_LEAN_INDEXES),
    Migration(
        6,
        "journal stores a block a tenant a batch",
        (
            # The ids' row lock, as appends and clears take it: an older process appending meanwhile either
            # committed before the rows are copied, or waits and then finds no table to write to.
            "UPDATE journal_sequence SET last_id = last_id WHERE name = 'entries'",
            *JOURNAL_BLOCKS,
            PerDialect(sqlite=JOURNAL_ROWS_TO_BLOCKS_SQLITE, postgresql=JOURNAL_ROWS_TO_BLOCKS_POSTGRESQL),
            *JOURNAL_BLOCKS_INDEX,
        ),
    ),
    Migration(
        7,
        "journal blocks as bytes",
        (
            *(PerDialect(sqlite=statement, postgresql=None) for statement in JOURNAL_BLOCKS_AS_BYTES_SQLITE),
            *(
                PerDialect(sqlite=None, postgresql=statement)
                for statement in JOURNAL_BLOCKS_AS_BYTES_POSTGRESQL
            ),
        ),
    ),
)


# A migration may run long, or wait for another process's: no statement or lock timeout inside one.
_CLAIM = (
    PerDialect(sqlite=None, postgresql="SET LOCAL statement_timeout = 0"),
    PerDialect(sqlite=None, postgresql="SET LOCAL lock_timeout = 0"),
)


def _run(conn: Connection, statements: Iterable[Statement], dialect: str) -> None:
    for statement in statements:
        rendered = render(statement, dialect)
        if rendered is not None:
            conn.execute(rendered)


# Told as a migration runs: the migration and how many of its statements are done (0 before the first).
StepListener = Callable[[Migration, int], None]


def upgrade(
    database: Database, migrations: Sequence[Migration] = MIGRATIONS, on_step: StepListener | None = None
) -> list[int]:
    """Applies every one of ``migrations`` not yet applied; returns the versions it applied.

    ``migrations`` defaults to the first ones, which create every registered resource's tables;
    ``resources.registry.migrations()`` adds those that resources bring themselves. ``on_step`` is told
    of each statement of a migration as it runs (progress bars on big databases).

    Safe to run from several processes at once: each transaction claims the schema first (SQLite's
    BEGIN IMMEDIATE, an advisory lock on PostgreSQL) and re-checks what is applied under that claim.
    """
    dialect = database.dialect
    with database.transaction() as conn:
        _run(conn, _CLAIM, dialect)
        conn.exclusive("schema_migrations")
        _run(
            conn,
            [
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            ],
            dialect,
        )
        done = {row[0] for row in conn.fetch_all("SELECT version FROM schema_migrations")}
    applied: list[int] = []
    for migration in migrations:
        if migration.version in done:
            continue
        with database.transaction() as conn:
            _run(conn, _CLAIM, dialect)
            conn.exclusive("schema_migrations")
            # Re-checked under the claim: another process may have just applied it.
            if conn.fetch_one("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)):
                continue
            if on_step is not None:
                on_step(migration, 0)
            for steps, statement in enumerate(migration.statements, start=1):
                _run(conn, [statement], dialect)
                if on_step is not None:
                    on_step(migration, steps)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
        applied.append(migration.version)
    return applied


def upgrade_at(
    url: str, migrations: Sequence[Migration] = MIGRATIONS, on_step: StepListener | None = None
) -> list[int]:
    """Applies every migration not yet applied to the database at ``url``, through a connection of its own."""
    database = Database(url)
    try:
        return upgrade(database, migrations, on_step)
    finally:
        database.close()
