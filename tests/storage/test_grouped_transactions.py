"""Grouped transactions (a ``$batch``'s writes): each succeeds or fails alone; on SQLite all are kept or none."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from learninggraph.domain.errors import ServiceUnavailable
from learninggraph.storage.database import Database, DatabaseUrl, UniqueViolation


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    with database.transaction() as conn:
        conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL)")
    yield database
    database.close()


def insert(database: Database, item_id: str) -> None:
    with database.transaction() as conn:
        conn.execute("INSERT INTO items (id, name) VALUES (?, ?)", (item_id, f"item {item_id}"))


def stored(database: Database) -> list[str]:
    with database.snapshot() as conn:
        return [str(row[0]) for row in conn.fetch_all("SELECT id FROM items ORDER BY id")]


def test_a_failed_transaction_in_a_group_undoes_only_its_own_writes(db: Database) -> None:
    with db.grouped():
        insert(db, "a")
        with pytest.raises(RuntimeError), db.transaction() as conn:
            conn.execute("INSERT INTO items (id, name) VALUES (?, ?)", ("b", "item b"))
            raise RuntimeError("this request failed half-way")
        insert(db, "c")

    assert stored(db) == ["a", "c"]


def test_a_group_sees_its_own_writes(db: Database) -> None:
    with db.grouped():
        insert(db, "a")
        seen = stored(db)

    assert seen == ["a"]


@pytest.mark.sqlite
def test_on_sqlite_a_group_that_raises_keeps_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.grouped():
        insert(db, "a")
        raise RuntimeError("the batch failed")

    assert stored(db) == []


@pytest.mark.sqlite
def test_on_sqlite_a_groups_writes_are_committed_together_at_its_end(db: Database) -> None:
    other = sqlite3.connect(DatabaseUrl.parse(db.url).path)
    try:
        with db.grouped():
            insert(db, "a")
            insert(db, "b")
            seen_by_other_during = other.execute("SELECT count(*) FROM items").fetchone()[0]
        seen_by_other_after = other.execute("SELECT count(*) FROM items").fetchone()[0]
    finally:
        other.close()

    assert (seen_by_other_during, seen_by_other_after) == (0, 2)


@pytest.mark.sqlite
def test_on_sqlite_a_group_whose_transaction_the_database_ended_is_a_503_and_keeps_nothing(
    db: Database,
) -> None:
    with pytest.raises(ServiceUnavailable), db.grouped():
        insert(db, "a")
        with db.transaction() as conn:
            conn.execute("ROLLBACK")  # what SQLite itself does on some errors (a full disk, say)
        insert(db, "b")

    assert stored(db) == []


@pytest.fixture
def durable(fresh_database_url: str) -> Iterator[Database]:
    """A PostgreSQL database whose sessions wait for the disk at commit, as a real server's do (the test
    cluster's default does not)."""
    url = fresh_database_url.replace("&options=", "&options=" + quote("-c synchronous_commit=on ", safe=""))
    database = Database(url)
    with database.transaction() as conn:
        conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL)")
    yield database
    database.close()


def _synchronous_commit(database: Database) -> str:
    with database.read() as conn:
        row = conn.fetch_one("SELECT current_setting('synchronous_commit')")
    assert row is not None
    return str(row[0])


@pytest.mark.postgresql
def test_on_postgresql_each_transaction_of_a_group_is_seen_by_others_at_once(db: Database) -> None:
    import psycopg  # only the PostgreSQL pass has a server for it

    with psycopg.connect(db.url, autocommit=True) as other, db.grouped():
        insert(db, "a")
        seen_by_other_during = other.execute("SELECT count(*) FROM items").fetchone()

    assert seen_by_other_during == (1,)


@pytest.mark.postgresql
def test_on_postgresql_a_groups_transactions_commit_without_waiting_for_the_disk(durable: Database) -> None:
    with durable.grouped():
        inside = _synchronous_commit(durable)

    assert (inside, _synchronous_commit(durable)) == ("off", "on")


@pytest.mark.postgresql
def test_on_postgresql_a_group_that_raises_gives_back_a_connection_that_waits_for_the_disk(
    durable: Database,
) -> None:
    with pytest.raises(RuntimeError), durable.grouped():
        insert(durable, "a")
        raise RuntimeError("the batch failed")

    assert (stored(durable), _synchronous_commit(durable)) == (["a"], "on")


def insert_once(database: Database, item_id: str) -> None:
    with database.single_write() as conn:
        conn.execute("INSERT INTO items (id, name) VALUES (?, ?)", (item_id, f"item {item_id}"))


def test_a_single_write_that_breaks_a_constraint_in_a_group_fails_alone(db: Database) -> None:
    with db.grouped():
        insert_once(db, "a")
        with pytest.raises(UniqueViolation):
            insert_once(db, "a")
        insert_once(db, "b")

    assert stored(db) == ["a", "b"]


@pytest.mark.sqlite
def test_on_sqlite_a_single_write_in_a_group_takes_no_savepoint(db: Database) -> None:
    sent: list[str] = []
    db._raw.set_trace_callback(sent.append)  # type: ignore[attr-defined]
    with db.grouped():
        insert_once(db, "a")
        insert(db, "b")

    assert [s.split()[0] for s in sent if s.split()[0] in ("SAVEPOINT", "RELEASE")] == [
        "SAVEPOINT",
        "RELEASE",
    ]
    assert stored(db) == ["a", "b"]


@pytest.mark.sqlite
def test_on_sqlite_a_single_write_that_raises_after_writing_fails_its_whole_group(db: Database) -> None:
    with pytest.raises(ServiceUnavailable), db.grouped():
        insert(db, "a")
        with pytest.raises(RuntimeError), db.single_write() as conn:
            conn.execute("INSERT INTO items (id, name) VALUES (?, ?)", ("b", "item b"))
            raise RuntimeError("a block that broke its promise: it failed after its write")

    assert stored(db) == []
