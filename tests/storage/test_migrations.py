"""Migrations: one schema on both backends, idempotent, and safe when processes upgrade at once."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from learninggraph.storage.database import Database
from learninggraph.storage.migrations import MIGRATIONS, PerDialect, render, upgrade

# table → [(column, declared type, NOT NULL)], and index name → (table, columns)
Schema = tuple[dict[str, list[tuple[str, str, bool]]], dict[str, tuple[str, tuple[str, ...]]]]

PROCESSES = 3


def schema_of(database: Database) -> Schema:
    with database.snapshot() as conn:
        if database.dialect == "sqlite":
            names = [
                row[0]
                for row in conn.fetch_all(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            tables = {
                name: [
                    (column, kind.upper(), bool(notnull or pk))
                    for _, column, kind, notnull, _, pk in conn.fetch_all(f"PRAGMA table_info({name})")
                ]
                for name in names
            }
            indexes = {
                name: (table, tuple(row[2] for row in conn.fetch_all(f"PRAGMA index_info({name})")))
                for name, table in conn.fetch_all(
                    "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'"
                )
            }
        else:
            tables = {}
            for table, column, kind, nullable in conn.fetch_all(
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
            ):
                # The bytes type is spelled BYTEA on PostgreSQL, BLOB on SQLite.
                kind = "BLOB" if kind.upper() == "BYTEA" else kind.upper()
                tables.setdefault(table, []).append((column, kind, nullable == "NO"))
            indexes = {
                name: (table, tuple(columns))
                for name, table, columns in conn.fetch_all(
                    "SELECT i.relname, t.relname, array_agg(a.attname ORDER BY k.n) "
                    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "JOIN pg_class t ON t.oid = x.indrelid "
                    "JOIN unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) ON true "
                    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                    "WHERE i.relname LIKE 'ix_%' AND t.relnamespace = current_schema()::regnamespace "
                    "GROUP BY i.relname, t.relname"
                )
            }
    return {name: tables[name] for name in sorted(tables)}, indexes


def applied_versions(database: Database) -> list[int]:
    with database.snapshot() as conn:
        return [row[0] for row in conn.fetch_all("SELECT version FROM schema_migrations ORDER BY version")]


def upgraded_schema(url: str) -> Schema:
    database = Database(url)
    try:
        upgrade(database)
        return schema_of(database)
    finally:
        database.close()


@pytest.mark.postgresql
def test_upgrading_an_empty_database_gives_the_same_schema_on_sqlite_and_postgresql(
    fresh_database_url: str, tmp_path: Path
) -> None:
    on_sqlite = upgraded_schema(f"sqlite:///{tmp_path / 'same.db'}")
    on_postgresql = upgraded_schema(fresh_database_url)

    assert on_postgresql == on_sqlite
    assert "learning_course_activities" in on_sqlite[0]


def test_upgrading_twice_applies_nothing_the_second_time(fresh_database_url: str) -> None:
    database = Database(fresh_database_url)
    try:
        first = upgrade(database)
        schema = schema_of(database)
        second = upgrade(database)

        assert first == [m.version for m in MIGRATIONS]
        assert second == []
        assert schema_of(database) == schema
        assert applied_versions(database) == first
    finally:
        database.close()


def test_postgresql_text_columns_compare_byte_wise_like_sqlite() -> None:
    statement = "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)"

    assert render(statement, "sqlite") == statement
    assert render(statement, "postgresql") == 'CREATE TABLE t (id TEXT COLLATE "C" PRIMARY KEY, n INTEGER)'


def test_a_per_dialect_step_runs_its_own_dialect_spelling_or_nothing() -> None:
    step = PerDialect(sqlite=None, postgresql="SET LOCAL lock_timeout = 0")

    assert render(step, "sqlite") is None
    assert render(step, "postgresql") == "SET LOCAL lock_timeout = 0"


UPGRADER = textwrap.dedent(
    """
    import sys, time
    from learninggraph.storage.database import Database
    from learninggraph.storage.migrations import upgrade
    database = Database(sys.argv[1])
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
    print(upgrade(database))
    database.close()
    """
)


def test_processes_upgrading_at_once_apply_each_migration_exactly_once(fresh_database_url: str) -> None:
    start_at = time.time() + 1.5
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADER, fresh_database_url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0] * PROCESSES, results
    applied = sorted(version for out, _ in results for version in ast.literal_eval(out.strip()))
    versions = [m.version for m in MIGRATIONS]
    assert applied == versions
    database = Database(fresh_database_url)
    try:
        assert applied_versions(database) == versions
    finally:
        database.close()
