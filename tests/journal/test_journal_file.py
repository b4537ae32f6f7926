"""Where the journal is stored: on SQLite a file of its own beside the database (owner-only, shared by
workers, kept across restarts), an in-memory journal for an in-memory database, and the entries of a database
journalled before the split moved into the file."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest

from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.queries import JournalFilter, explain, search
from learninggraph.journal.storage import (
    CACHE_KIB,
    journal_database_of,
    journal_path,
    journal_url,
    open_journal_database,
)
from learninggraph.journal.store import JournalStore, stored_row
from learninggraph.storage.database import Database, DatabaseUrl
from learninggraph.storage.migrations import MIGRATIONS, upgrade
from learninggraph.storage.writer_lock import WriterLock
from tests.builders import Catalogue, Tenant
from tests.journal.entries import entry, migrated
from tests.journal.server import serving, world

pytestmark = pytest.mark.sqlite

PROVIDERS = "/v1.0/employeeExperience/learningProviders"


def test_the_journal_file_sits_beside_the_database_under_its_name() -> None:
    assert journal_path("/data/learninggraph.db") == "/data/learninggraph.journal.db"
    assert journal_path("relative/graph.sqlite3") == "relative/graph.journal.sqlite3"
    assert journal_path("/data/graph") == "/data/graph.journal.db"


def test_an_in_memory_database_gets_an_in_memory_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    journal = open_journal_database("sqlite:///:memory:")
    try:
        JournalStore(journal).append([entry(request_id="in-memory")])
        found = explain(journal, "in-memory", tenant_id="tenant-a")
    finally:
        journal.close()

    assert journal_url("sqlite:///:memory:") == "sqlite:///:memory:"
    assert found is not None
    assert list(tmp_path.iterdir()) == []


def test_the_journal_file_is_readable_by_its_owner_only(fresh_database_url: str) -> None:
    with migrated(fresh_database_url):
        journal = open_journal_database(fresh_database_url)
        try:
            JournalStore(journal).append([entry()])
            path = Path(journal_url(fresh_database_url).removeprefix("sqlite:///"))
            modes = {name: stat.S_IMODE(os.stat(name).st_mode) for name in (path, Path(f"{path}-wal"))}
        finally:
            journal.close()

    assert modes == {path: 0o600, Path(f"{path}-wal"): 0o600}


def test_a_new_journal_file_is_made_under_its_writer_lock_so_two_processes_never_make_it_at_once(
    fresh_database_url: str,
) -> None:
    path = journal_path(DatabaseUrl.parse(fresh_database_url).path)
    with migrated(fresh_database_url):
        other = WriterLock(path)  # another process making the same file holds it
        assert other.acquire(1)
        opened: list[Database] = []
        opening = threading.Thread(target=lambda: opened.append(open_journal_database(fresh_database_url)))
        opening.start()
        opening.join(0.5)
        size_while_held = os.path.getsize(path)
        other.release()
        other.close()
        opening.join(30)
        try:
            with opened[0].transaction() as conn:
                mode = conn.fetch_one("PRAGMA journal_mode")
        finally:
            opened[0].close()

    assert size_while_held == 0
    assert mode is not None and mode[0] == "wal"


def test_the_journals_connection_keeps_a_page_cache_smaller_than_the_datas(fresh_database_url: str) -> None:
    with migrated(fresh_database_url):
        journal = open_journal_database(fresh_database_url)
        data = Database(fresh_database_url)
        try:
            with journal.transaction() as conn:
                journal_cache = conn.fetch_one("PRAGMA cache_size")
            with data.transaction() as conn:
                data_cache = conn.fetch_one("PRAGMA cache_size")
        finally:
            journal.close()
            data.close()

    assert journal_cache is not None and data_cache is not None
    assert journal_cache[0] == -CACHE_KIB
    assert -journal_cache[0] < -data_cache[0]


def test_the_servers_entries_go_to_the_journal_file_not_the_database(fresh_database_url: str) -> None:
    test_world = world(fresh_database_url)
    with serving(test_world) as base_url:
        answered = httpx.get(
            base_url + PROVIDERS,
            headers={"Authorization": f"Bearer {test_world.token(base_url)}"},
            timeout=30,
        )

    database_file = fresh_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database_file) as raw:
        in_database = raw.execute("SELECT count(*) FROM journal_blocks").fetchone()[0]
    journal = open_journal_database(fresh_database_url)
    try:
        found = explain(journal, answered.headers["request-id"], tenant_id=test_world.tenant_id)
    finally:
        journal.close()
    assert found is not None
    assert in_database == 0


def test_a_database_journalled_before_the_split_keeps_its_entries(fresh_database_url: str) -> None:
    database = Database(fresh_database_url)
    try:
        upgrade(database, [migration for migration in MIGRATIONS if migration.version <= 5])
        # Written as a server did before the journal had a file of its own: a row an entry, in the database.
        with sqlite3.connect(DatabaseUrl.parse(fresh_database_url).path) as raw:
            write_rows(raw, [entry(request_id="older"), entry("tenant-b", request_id="other")])
        raw.close()
        upgrade(database)  # migration 6: the rows become blocks
    finally:
        database.close()
    journal = open_journal_database(fresh_database_url)
    try:
        JournalStore(journal).append([entry(request_id="newer")])
        kept = [e.request_id for e in search(journal, JournalFilter(tenant_id="tenant-a"))]
        other = [e.request_id for e in search(journal, JournalFilter(tenant_id="tenant-b"))]
    finally:
        journal.close()

    assert kept == ["newer", "older"]
    assert other == ["other"]


# A journal file of schema 2: a row an entry, one index carrying the request-id.
_ROWS_SCHEMA = (
    """CREATE TABLE journal_entries (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, at TEXT NOT NULL,
        app_id TEXT, user_id TEXT, method TEXT NOT NULL, route TEXT, status INTEGER NOT NULL, rule TEXT,
        request_id TEXT NOT NULL, record BLOB NOT NULL)""",
    "CREATE INDEX ix_journal_tenant_id ON journal_entries (tenant_id, id, request_id)",
    "CREATE TABLE journal_tenants (tenant_id TEXT PRIMARY KEY, entries INTEGER NOT NULL)",
    "CREATE TABLE journal_sequence (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL)",
    "INSERT INTO journal_sequence (name, last_id) VALUES ('entries', 0)",
)


def write_rows(raw: sqlite3.Connection, entries: list[JournalEntry]) -> None:
    """Stores ``entries`` a row an entry, as the journal did before it stored blocks."""
    counts: dict[str, int] = {}
    for entry_id, written in enumerate(entries, 1):
        row = stored_row(written)
        row[0] = entry_id
        raw.execute(f"INSERT INTO journal_entries VALUES ({', '.join('?' * 11)})", row)
        counts[written.tenant_id] = counts.get(written.tenant_id, 0) + 1
    raw.executemany("INSERT INTO journal_tenants (tenant_id, entries) VALUES (?, ?)", list(counts.items()))
    raw.execute("UPDATE journal_sequence SET last_id = ? WHERE name = 'entries'", (len(entries),))


def test_a_journal_file_of_a_row_an_entry_is_turned_into_blocks_keeping_every_entry(
    fresh_database_url: str,
) -> None:
    with migrated(fresh_database_url):
        pass
    path = journal_path(DatabaseUrl.parse(fresh_database_url).path)
    with sqlite3.connect(path) as raw:
        for statement in _ROWS_SCHEMA:
            raw.execute(statement)
        write_rows(
            raw, [entry(request_id=f"kept-{n}") for n in range(3)] + [entry("tenant-b", request_id="b")]
        )
        raw.execute("PRAGMA user_version = 2")
    raw.close()

    journal = open_journal_database(fresh_database_url)
    try:
        found = explain(journal, "kept-1", tenant_id="tenant-a")
        JournalStore(journal, max_entries_per_tenant=3).append([entry(request_id="newer")])
        kept = [e.request_id for e in search(journal, JournalFilter(tenant_id="tenant-a"))]
        other = [e.request_id for e in search(journal, JournalFilter(tenant_id="tenant-b"))]
        with journal.snapshot() as conn:
            tables = conn.fetch_all(
                "SELECT name FROM sqlite_master WHERE name LIKE 'journal_%' ORDER BY name"
            )
    finally:
        journal.close()

    assert found is not None and found.id == 2
    assert kept == ["newer", "kept-2", "kept-1"]
    assert other == ["b"]
    assert [str(row[0]) for row in tables] == ["journal_blocks", "journal_sequence", "journal_tenants"]


def test_a_write_request_answers_while_the_journal_is_locked_by_its_writer(
    tenant: Tenant, catalogue: Catalogue, database: Database
) -> None:
    # A journal writer in the middle of a batch (this or another process's): the journal's write lock is held.
    with journal_database_of(database) as journal, journal.transaction() as conn:
        conn.execute("UPDATE journal_sequence SET last_id = last_id WHERE name = 'entries'")
        started = time.monotonic()
        created = tenant.app().post(
            catalogue.activities_url, json=tenant.assignment_body(catalogue.content_id)
        )
        waited = time.monotonic() - started

    assert created.status_code == 201
    # The database's busy timeout is 5 s: a request sharing the journal's lock would wait that long.
    assert waited < 2


def test_the_journals_connection_leaves_what_eviction_frees_unzeroed(fresh_database_url: str) -> None:
    with migrated(fresh_database_url):
        journal = open_journal_database(fresh_database_url)
        try:
            with journal.transaction() as conn:
                secure_delete = conn.fetch_one("PRAGMA secure_delete")
        finally:
            journal.close()

    assert secure_delete == (0,)
