"""Typed records: a record type's fields are the SELECT's columns, and rows decode into them by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import msgspec
import pytest

from learninggraph.storage.database import Database
from learninggraph.storage.rows import Record, Selection, update_row


class Item(Record, frozen=True):
    name: str
    enabled: bool
    size: int | None


class CountedItem(Item, frozen=True):
    siblings: int


ITEM = Selection(Item)


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    with database.transaction() as conn:
        conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, size INTEGER, enabled INTEGER, name TEXT)")
        conn.execute("INSERT INTO items (id, size, enabled, name) VALUES ('a', 3, 1, 'first')")
        conn.execute("INSERT INTO items (id, size, enabled, name) VALUES ('b', NULL, 0, 'second')")
    yield database
    database.close()


def test_a_selection_reads_the_columns_its_record_names_in_field_order() -> None:
    assert ITEM.columns == "id, name, enabled, size"


def test_a_row_decodes_by_column_whatever_order_the_table_keeps(db: Database) -> None:
    with db.snapshot() as conn:
        item = ITEM.one(conn.fetch_one(f"SELECT {ITEM.columns} FROM items WHERE id = 'a'"))

    assert item == Item(id="a", name="first", enabled=True, size=3)


def test_booleans_stored_as_integers_arrive_as_bools(db: Database) -> None:
    with db.snapshot() as conn:
        items = ITEM.all(conn.fetch_all(f"SELECT {ITEM.columns} FROM items ORDER BY id"))

    assert [item.enabled for item in items] == [True, False]
    assert all(type(item.enabled) is bool for item in items)


def test_no_row_is_no_record(db: Database) -> None:
    with db.snapshot() as conn:
        assert ITEM.one(conn.fetch_one(f"SELECT {ITEM.columns} FROM items WHERE id = 'z'")) is None


def test_a_computed_field_is_read_in_the_same_statement(db: Database) -> None:
    counted = Selection(CountedItem, computed={"siblings": "SELECT COUNT(*) - 1 FROM items"})

    with db.snapshot() as conn:
        item = counted.one(conn.fetch_one(f"SELECT {counted.columns} FROM items WHERE id = 'b'"))

    assert counted.columns.endswith(", (SELECT COUNT(*) - 1 FROM items) AS siblings")
    assert item is not None and item.siblings == 1 and item.name == "second"


def test_a_record_that_misses_a_declared_column_is_refused_when_its_selection_is_made() -> None:
    with pytest.raises(TypeError, match="no field for \\['colour'\\]"):
        Selection(Item, covers=("id", "name", "colour"))


def test_a_computed_expression_for_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no such field \\['weight'\\]"):
        Selection(Item, computed={"weight": "1"})


class Label(Record, frozen=True):
    name: str
    size: int | None


class ShortLabel(Record, frozen=True):
    name: Annotated[str, msgspec.Meta(max_length=3)]


def test_a_record_of_text_and_integers_is_built_by_position_from_its_row(db: Database) -> None:
    labels = Selection(Label)

    with db.snapshot() as conn:
        rows = conn.fetch_all(f"SELECT {labels.columns} FROM items ORDER BY id")

    assert labels.positional
    assert labels.all(rows) == [Label(id="a", name="first", size=3), Label(id="b", name="second", size=None)]
    assert labels.one(rows[0]) == Label(id="a", name="first", size=3)


def test_a_record_with_a_boolean_or_a_constraint_is_converted_not_built_by_position() -> None:
    assert not ITEM.positional
    assert not Selection(ShortLabel).positional


def test_a_row_that_breaks_a_fields_constraint_is_refused(db: Database) -> None:
    with db.snapshot() as conn, pytest.raises(msgspec.ValidationError):
        Selection(ShortLabel).one(conn.fetch_one("SELECT id, name FROM items WHERE id = 'a'"))


def test_updates_of_different_properties_each_set_their_own_columns(db: Database) -> None:
    db_columns = {"name": "name", "size": "size"}
    with db.transaction() as conn:
        conn.execute("ALTER TABLE items ADD COLUMN tenant_id TEXT")
        conn.execute("UPDATE items SET tenant_id = 't'")
        update_row(conn, "items", db_columns, tenant_id="t", row_id="a", values={"name": "renamed"})
        update_row(
            conn, "items", db_columns, tenant_id="t", row_id="b", values={"size": 7, "name": "resized"}
        )
        update_row(conn, "items", db_columns, tenant_id="t", row_id="b", values={"name": "again"})

    with db.snapshot() as conn:
        rows = conn.fetch_all("SELECT id, name, size FROM items ORDER BY id")

    assert [tuple(row) for row in rows] == [("a", "renamed", 3), ("b", "again", 7)]
