"""PostgreSQL's journal rows of a row an entry (migrations 4 and 5) become blocks (migration 6), every entry kept;
the blocks' JSON text becomes bytes (migration 7), still read."""

from __future__ import annotations

import msgspec
import pytest

from learninggraph.journal.queries import JournalFilter, entries_after, explain, search
from learninggraph.journal.redaction import redact
from learninggraph.journal.store import JournalStore, stored_row
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import MIGRATIONS, upgrade
from tests.journal.entries import entry

_ROW = "INSERT INTO journal_entries VALUES ({})".format(", ".join("?" * 11))
_BLOCK = "INSERT INTO journal_blocks (id, tenant_id, first_id, entries) VALUES (?, ?, ?, ?)"


def _upgrade_to(version: int, database: Database) -> None:
    """The schema as the release that stopped at migration ``version`` left it."""
    upgrade(database, [migration for migration in MIGRATIONS if migration.version <= version])


@pytest.mark.postgresql
def test_the_rows_of_an_earlier_journal_read_back_as_before_once_stored_as_blocks(
    fresh_database_url: str,
) -> None:
    database = Database(fresh_database_url)
    try:
        _upgrade_to(5, database)
        earlier = [entry(request_id=f"old-{n}") for n in range(3)] + [entry("tenant-b", request_id="old-b")]
        with database.transaction() as conn:
            for entry_id, written in enumerate(earlier, 1):
                row = stored_row(written)
                row[0] = entry_id
                row[-1] = row[-1].decode()
                conn.execute(_ROW, row)
            conn.execute(
                "INSERT INTO journal_tenants (tenant_id, entries) VALUES ('tenant-a', 3), ('tenant-b', 1)"
            )
            conn.execute("UPDATE journal_sequence SET last_id = 4 WHERE name = 'entries'")

        upgrade(database)
        found = explain(database, "old-1", tenant_id="tenant-a")
        JournalStore(database, max_entries_per_tenant=3).append([entry(request_id="new")])
        kept = [e.request_id for e in search(database, JournalFilter(tenant_id="tenant-a"))]
        after = [e.request_id for e in entries_after(database, JournalFilter(tenant_id=None), 2)]
    finally:
        database.close()

    assert found == msgspec.structs.replace(redact(earlier[1]), id=2)
    assert kept == ["new", "old-2", "old-1"]
    assert after == ["old-2", "old-b", "new"]


@pytest.mark.postgresql
def test_blocks_stored_as_json_text_read_back_beside_newer_ones_once_the_column_holds_bytes(
    fresh_database_url: str,
) -> None:
    database = Database(fresh_database_url)
    try:
        _upgrade_to(6, database)
        earlier = entry(request_id="stored-as-text")
        with database.transaction() as conn:
            row = stored_row(earlier)
            row[0] = 1
            # A block as migration 6 wrote it: its fields and the JSON record as one JSON array, as text.
            block = msgspec.json.encode([[*row[2:10], msgspec.Raw(row[10])]]).decode()
            conn.execute(_BLOCK, (1, "tenant-a", 1, block))
            conn.execute(
                "INSERT INTO journal_tenants (tenant_id, entries, first_kept) VALUES ('tenant-a', 1, 0)"
            )
            conn.execute("UPDATE journal_sequence SET last_id = 1 WHERE name = 'entries'")

        upgrade(database)
        JournalStore(database).append([entry(request_id="stored-as-bytes")])
        found = explain(database, "stored-as-text", tenant_id="tenant-a")
        kept = [e.request_id for e in search(database, JournalFilter(tenant_id="tenant-a"))]
    finally:
        database.close()

    assert found == msgspec.structs.replace(redact(earlier), id=1)
    assert kept == ["stored-as-bytes", "stored-as-text"]


@pytest.mark.postgresql
def test_blocks_stored_by_this_release_before_the_column_held_bytes_read_back_once_it_does(
    fresh_database_url: str,
) -> None:
    database = Database(fresh_database_url)
    try:
        _upgrade_to(6, database)
        written = entry(request_id="stored-early")
        JournalStore(database).append([written])

        upgrade(database)
        found = explain(database, "stored-early", tenant_id="tenant-a")
    finally:
        database.close()

    assert found == msgspec.structs.replace(redact(written), id=1)


@pytest.mark.postgresql
def test_a_server_built_with_lz4_compresses_the_journal_blocks_with_it(fresh_database_url: str) -> None:
    database = Database(fresh_database_url)
    try:
        upgrade(database)
        with database.read() as conn:
            row = conn.fetch_one(
                "SELECT (SELECT setting FROM pg_config WHERE name = 'CONFIGURE') LIKE '%--with-lz4%', "
                "(SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'journal_blocks'::regclass AND attname = 'entries')"
            )
    finally:
        database.close()
    assert row is not None
    built_with_lz4, compression = row
    if not built_with_lz4:
        pytest.skip("this PostgreSQL was built without lz4")

    assert compression == "l"
