"""A single write (``Database.single_write``): reads, then one write, all or nothing, its locks held to the end.

What a backend that sends a single write's statements in fewer round trips must still keep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from learninggraph.domain.errors import BadRequest
from learninggraph.storage.database import Database, UniqueViolation


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    with database.transaction() as conn:
        conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT UNIQUE, flag INTEGER)")
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("a", "first", 0))
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("b", "second", 0))
    yield database
    database.close()


def names(database: Database) -> list[str]:
    with database.snapshot() as conn:
        return [str(row[0]) for row in conn.fetch_all("SELECT name FROM items ORDER BY id")]


def rename(database: Database, item_id: str, name: str) -> None:
    with database.single_write() as conn:
        conn.fetch_one("SELECT name FROM items WHERE id = ?", (item_id,), lock=True)
        conn.execute("UPDATE items SET name = ? WHERE id = ?", (name, item_id))


def test_a_single_write_is_kept_when_its_block_ends(db: Database) -> None:
    rename(db, "a", "renamed")

    assert names(db) == ["renamed", "second"]


def test_a_single_write_reads_what_it_wrote_before_its_block_ends(db: Database) -> None:
    with db.single_write() as conn:
        conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",), lock=True)
        conn.execute("UPDATE items SET name = ? WHERE id = ?", ("renamed", "a"))
        read_back = conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",), lock=True)

    assert read_back == ("renamed",)


def test_a_write_that_breaks_a_unique_constraint_is_a_unique_violation_and_keeps_nothing(
    db: Database,
) -> None:
    with pytest.raises(UniqueViolation):
        rename(db, "a", "second")

    assert names(db) == ["first", "second"]


def test_the_database_serves_the_next_write_after_a_failed_one(db: Database) -> None:
    with pytest.raises(UniqueViolation):
        rename(db, "a", "second")

    rename(db, "a", "third")
    with db.transaction() as conn:
        conn.execute("UPDATE items SET flag = ? WHERE id = ?", (1, "b"))

    assert names(db) == ["third", "second"]


def test_a_block_that_raises_after_its_write_keeps_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.single_write() as conn:
        conn.execute("UPDATE items SET name = ? WHERE id = ?", ("renamed", "a"))
        raise RuntimeError("the request failed after its write")

    assert names(db) == ["first", "second"]


def test_a_failed_write_inside_a_group_leaves_the_group_s_other_writes(db: Database) -> None:
    with db.grouped():
        rename(db, "a", "renamed")
        with pytest.raises(UniqueViolation):
            rename(db, "b", "renamed")

    assert names(db) == ["renamed", "second"]


def test_a_count_asked_for_inside_a_single_write_is_the_rows_changed(db: Database) -> None:
    with db.single_write() as conn:
        changed = conn.execute("UPDATE items SET flag = ? WHERE flag = ?", (1, 0))

    assert changed == 2


@pytest.mark.postgresql
def test_text_postgresql_cannot_store_is_a_bad_request_and_keeps_nothing(db: Database) -> None:
    with pytest.raises(BadRequest):
        rename(db, "a", "nul \x00 inside")

    assert names(db) == ["first", "second"]


@pytest.mark.postgresql
def test_a_row_read_with_lock_in_a_single_write_stays_locked_until_its_block_ends(
    db: Database, fresh_database_url: str
) -> None:
    import psycopg
    from psycopg import errors

    from learninggraph.storage.postgres import connection_string

    def lock_from_elsewhere() -> None:
        with psycopg.connect(connection_string(fresh_database_url), autocommit=True) as other:
            other.execute("SELECT name FROM items WHERE id = 'a' FOR NO KEY UPDATE NOWAIT")

    with db.single_write() as conn:
        conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",), lock=True)
        conn.execute("UPDATE items SET name = ? WHERE id = ?", ("renamed", "a"))
        with pytest.raises(errors.LockNotAvailable):
            lock_from_elsewhere()

    lock_from_elsewhere()
    assert names(db) == ["renamed", "second"]


@pytest.mark.postgresql
def test_a_failed_single_write_leaves_its_connection_idle(db: Database) -> None:
    from psycopg import pq

    with pytest.raises(UniqueViolation), db.single_write() as conn:
        raw = conn._raw  # type: ignore[attr-defined]
        conn.execute("UPDATE items SET name = ? WHERE id = ?", ("second", "a"))

    assert raw.pgconn.transaction_status == pq.TransactionStatus.IDLE
