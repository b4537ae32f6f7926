"""The $filter and $orderby cases of test_sql_filter, run through Database on the session's backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from learninggraph.odata.filter import parse_filter
from learninggraph.odata.options import OrderBy
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import render
from learninggraph.storage.sql_filter import order_by_sql, to_sql
from tests.storage.test_sql_filter import ACTIVITY, CASES, ID, ORDERINGS, ROWS


@pytest.fixture(scope="module")
def db(new_database_url: Callable[[], str]) -> Iterator[Database]:
    database = Database(new_database_url())
    with database.transaction() as conn:
        create = render(
            "CREATE TABLE activities (id INTEGER PRIMARY KEY, display_name TEXT,"
            " completion_percentage INTEGER, is_active INTEGER, status TEXT, completed_date_time TEXT)",
            database.dialect,
        )
        assert create is not None
        conn.execute(create)
        for row in ROWS:
            conn.execute("INSERT INTO activities VALUES (?, ?, ?, ?, ?, ?)", row)
    yield database
    database.close()


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_a_filter_selects_the_same_rows_on_every_backend(
    db: Database, text: str, expected: list[int]
) -> None:
    where, params = to_sql(parse_filter(text, ACTIVITY))
    with db.snapshot() as conn:
        rows = conn.fetch_all(f"SELECT id FROM activities WHERE {where} ORDER BY id", params)

    assert [row[0] for row in rows] == expected


@pytest.mark.parametrize(("orderby", "expected"), ORDERINGS)
def test_an_orderby_sorts_the_same_on_every_backend(
    db: Database, orderby: list[OrderBy], expected: list[int]
) -> None:
    clause = order_by_sql([*orderby, OrderBy(ID, descending=False)])
    with db.snapshot() as conn:
        rows = conn.fetch_all(f"SELECT id FROM activities ORDER BY {clause}")

    assert [row[0] for row in rows] == expected
