"""The storage contract every backend keeps: transactions, snapshots, row locks, errors, types."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from learninggraph.domain.errors import BadRequest, Conflict
from learninggraph.storage.database import CACHE_KIB, CHECKPOINT_PAGES, Database, UniqueViolation
from learninggraph.storage.postgres import connection_string, to_pyformat


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    with database.transaction() as conn:
        conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT UNIQUE, flag INTEGER)")
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("a", "first", True))
    yield database
    database.close()


def name_of(database: Database, item_id: str) -> str | None:
    with database.snapshot() as conn:
        row = conn.fetch_one("SELECT name FROM items WHERE id = ?", (item_id,))
    return None if row is None else str(row[0])


def test_the_url_scheme_chooses_the_backend(db: Database, backend: str) -> None:
    assert db.dialect == backend


def test_a_committed_transaction_is_visible_to_the_next_one(db: Database) -> None:
    with db.transaction() as conn:
        changed = conn.execute("UPDATE items SET name = ? WHERE id = ?", ("renamed", "a"))

    assert changed == 1
    assert name_of(db, "a") == "renamed"


def test_a_transaction_that_raises_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("b", "second", 0))
        raise RuntimeError("the request failed half-way")

    assert name_of(db, "b") is None


def test_a_duplicate_key_is_a_unique_violation_and_rolls_back(db: Database) -> None:
    with pytest.raises(UniqueViolation), db.transaction() as conn:
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("c", "third", 0))
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("d", "first", 0))

    assert name_of(db, "c") is None


def test_another_constraint_violation_is_a_conflict(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("CREATE TABLE notes (item_id TEXT NOT NULL REFERENCES items (id))")

    with pytest.raises(Conflict), db.transaction() as conn:
        conn.execute("INSERT INTO notes (item_id) VALUES (?)", ("no-such-item",))


def test_booleans_are_stored_as_integers_zero_and_one(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("e", "fifth", False))
        rows = conn.fetch_all("SELECT flag FROM items WHERE flag = ? OR flag = ? ORDER BY id", (1, 0))

    assert rows == [(1,), (0,)]


def test_question_marks_and_percent_signs_inside_literals_are_text(db: Database) -> None:
    with db.snapshot() as conn:
        row = conn.fetch_one("SELECT '100% sure?', ? || '%' FROM items WHERE id = ?", ("50", "a"))

    assert row == ("100% sure?", "50%")


def test_placeholders_are_translated_once_per_statement_text() -> None:
    assert to_pyformat("SELECT '?', \"q?\" FROM t WHERE a = ? AND b LIKE '%x'") == (
        "SELECT '?', \"q?\" FROM t WHERE a = %s AND b LIKE '%%x'"
    )
    assert to_pyformat("SELECT 1 WHERE a = ?") is to_pyformat("SELECT 1 WHERE a = ?")


def test_text_sorts_byte_wise_on_every_backend(db: Database) -> None:
    with db.transaction() as conn:
        for item_id in ("b", "B", "a", "_", "é", "Z"):
            conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", (f"s{item_id}", item_id, 0))
        rows = conn.fetch_all("SELECT name FROM items WHERE id LIKE 's%' ORDER BY name")

    assert [row[0] for row in rows] == ["B", "Z", "_", "a", "b", "é"]


def test_a_snapshot_keeps_seeing_the_state_of_its_first_read(db: Database, fresh_database_url: str) -> None:
    other = Database(fresh_database_url)
    try:
        with db.snapshot() as conn:
            before = conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",))
            with other.transaction() as writer:
                writer.execute("UPDATE items SET name = ? WHERE id = ?", ("changed", "a"))
            after = conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",))
    finally:
        other.close()

    assert before == after == ("first",)
    assert name_of(db, "a") == "changed"


def test_a_row_read_with_lock_holds_off_another_writer_until_commit(
    db: Database, fresh_database_url: str
) -> None:
    other = Database(fresh_database_url)
    locked = threading.Event()
    order: list[str] = []

    def second_writer() -> None:
        locked.wait(5)
        with other.transaction() as conn:
            row = conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",), lock=True)
            order.append(f"second read {row[0] if row else None}")
            conn.execute("UPDATE items SET name = ? WHERE id = ?", ("second", "a"))

    thread = threading.Thread(target=second_writer)
    thread.start()
    try:
        with db.transaction() as conn:
            conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",), lock=True)
            locked.set()
            time.sleep(0.3)
            conn.execute("UPDATE items SET name = ? WHERE id = ?", ("first writer", "a"))
            order.append("first committed")
    finally:
        thread.join(10)
        other.close()

    assert order == ["first committed", "second read first writer"]
    assert name_of(db, "a") == "second"


def test_a_read_answers_its_one_statement_with_the_committed_state(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE items SET name = ? WHERE id = ?", ("committed", "a"))

    with db.read() as conn:
        row = conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",))

    assert row == ("committed",)


def test_a_read_refuses_a_second_statement_which_only_a_snapshot_keeps_consistent(db: Database) -> None:
    with pytest.raises(RuntimeError, match="one statement"), db.read() as conn:
        conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",))
        conn.fetch_one("SELECT flag FROM items WHERE id = ?", ("a",))


@pytest.mark.sqlite
def test_a_read_on_sqlite_opens_no_transaction_around_its_statement(db: Database) -> None:
    with db.read() as conn:
        assert conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",)) == ("first",)
        assert not db._raw.in_transaction  # type: ignore[attr-defined]


@pytest.mark.postgresql
def test_a_read_on_postgresql_sends_its_statement_without_begin_or_commit(db: Database) -> None:
    from psycopg import pq

    with db.read() as conn:
        assert conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",)) == ("first",)
        # Inside a transaction block the status would be INTRANS until a COMMIT.
        assert conn._raw.info.transaction_status == pq.TransactionStatus.IDLE  # type: ignore[attr-defined]


@pytest.mark.postgresql
def test_a_transaction_after_a_read_on_the_same_connection_is_still_all_or_nothing(db: Database) -> None:
    with db.read() as conn:
        conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",))

    with pytest.raises(UniqueViolation), db.transaction() as conn:
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("b", "second", False))
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("c", "first", False))

    assert name_of(db, "b") is None


@pytest.mark.sqlite
def test_the_data_connections_page_cache_is_bounded_so_a_worker_stays_small_on_a_large_database(
    db: Database,
) -> None:
    with db.read() as conn:
        row = conn.fetch_one("PRAGMA cache_size")

    assert row is not None and -row[0] == CACHE_KIB
    assert CACHE_KIB <= 32 * 1024  # a worker under 150 MB at 10,000,000 activities (docs/benchmarks.md)


@pytest.mark.sqlite
def test_the_data_connection_checkpoints_its_log_every_ten_thousand_pages(db: Database) -> None:
    with db.read() as conn:
        row = conn.fetch_one("PRAGMA wal_autocheckpoint")

    assert row == (CHECKPOINT_PAGES,) and CHECKPOINT_PAGES == 10_000


def test_a_read_inside_a_group_sees_the_group_s_own_writes(db: Database) -> None:
    with db.grouped():
        with db.transaction() as conn:
            conn.execute("UPDATE items SET name = ? WHERE id = ?", ("grouped", "a"))
        with db.read() as conn:
            row = conn.fetch_one("SELECT name FROM items WHERE id = ?", ("a",))

    assert row == ("grouped",)


def test_a_lock_inside_a_snapshot_is_ignored(db: Database) -> None:
    with db.snapshot() as conn:
        assert conn.fetch_all("SELECT id FROM items WHERE id = ?", ("a",), lock=True) == [("a",)]


@pytest.mark.postgresql
def test_text_postgresql_cannot_store_is_a_bad_request(db: Database) -> None:
    with pytest.raises(BadRequest), db.transaction() as conn:
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("f", "nul \x00 inside", 0))


@pytest.mark.postgresql
def test_a_value_postgresql_cannot_store_is_refused_without_the_databases_own_words(db: Database) -> None:
    with pytest.raises(BadRequest) as refused, db.transaction() as conn:
        conn.execute("INSERT INTO items (id, name, flag) VALUES (?, ?, ?)", ("f", "nul \x00 inside", 0))

    assert refused.value.message == "The request holds a value the database cannot store."


@pytest.mark.postgresql
def test_postgres_scheme_is_accepted_too(fresh_database_url: str) -> None:
    database = Database(fresh_database_url.replace("postgresql://", "postgres://", 1))
    try:
        with database.snapshot() as conn:
            assert conn.fetch_one("SELECT 1") == (1,)
    finally:
        database.close()


@pytest.mark.postgresql
def test_a_pooled_connection_the_server_closed_is_replaced_before_a_request_fails_on_it(
    db: Database, fresh_database_url: str
) -> None:
    with db.snapshot() as conn:
        row = conn.fetch_one("SELECT pg_backend_pid()")
    assert row is not None
    other = Database(fresh_database_url)
    try:
        with other.transaction() as conn:
            assert conn.fetch_one("SELECT pg_terminate_backend(?)", row) == (True,)
    finally:
        other.close()
    time.sleep(0.2)

    assert [name_of(db, "a") for _ in range(3)] == ["first"] * 3


def test_a_postgresql_url_keeps_its_own_settings_over_the_defaults() -> None:
    conninfo = connection_string(
        "postgres://lg:s%40cret@db.example:6543/learning?connect_timeout=9&options=-c%20lock_timeout%3D0"
    )

    assert "host=db.example port=6543" in conninfo
    assert "password=s@cret dbname=learning" in conninfo
    assert "connect_timeout=9" in conninfo
    assert "options='-c lock_timeout=5s -c statement_timeout=30s -c lock_timeout=0'" in conninfo
