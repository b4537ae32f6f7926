"""SQL rendering of $filter and $orderby, checked by running it against a real SQLite table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import COURSE_STATUS
from learninggraph.odata.filter import Comparison, InList, Not, Or, StringMatch, parse_filter
from learninggraph.odata.options import OrderBy
from learninggraph.storage.sql_filter import order_by_sql, to_sql

ID = Property("id", Kind.INT32, "id", nullable=False)
NAME = Property("displayName", Kind.STRING, "display_name")
PERCENT = Property("completionPercentage", Kind.INT32, "completion_percentage")
ACTIVE = Property("isActive", Kind.BOOLEAN, "is_active")
STATUS = Property("status", Kind.ENUM, "status", enum=COURSE_STATUS)
COMPLETED = Property("completedDateTime", Kind.DATETIME, "completed_date_time")
ACTIVITY = EntityType("learningCourseActivity", (ID, NAME, PERCENT, ACTIVE, STATUS, COMPLETED))

ROWS = [
    (1, "Python 101", 100, 1, "completed", "2024-03-01T00:00:00.000000Z"),
    (2, "python advanced", 40, 0, "inProgress", None),
    (3, "100%_done", 0, 1, "notStarted", None),
    (4, None, None, None, None, None),
    (5, "O'Brien\\path", 75, 0, "completed", "2023-12-31T23:59:59.000000Z"),
    (6, "100 percent", 10, 1, "inProgress", "2024-06-30T12:00:00.000000Z"),
]


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE TABLE activities (id INTEGER PRIMARY KEY, display_name TEXT, completion_percentage INTEGER,"
        " is_active INTEGER, status TEXT, completed_date_time TEXT)"
    )
    connection.executemany("INSERT INTO activities VALUES (?, ?, ?, ?, ?, ?)", ROWS)
    yield connection
    connection.close()


def matching(db: sqlite3.Connection, text: str) -> list[int]:
    where, params = to_sql(parse_filter(text, ACTIVITY))
    return [row[0] for row in db.execute(f"SELECT id FROM activities WHERE {where} ORDER BY id", params)]


CASES = [
    ("displayName eq 'Python 101'", [1]),
    ("displayName eq 'python 101'", []),
    ("displayName ne 'Python 101'", [2, 3, 4, 5, 6]),
    ("displayName eq null", [4]),
    ("displayName ne null", [1, 2, 3, 5, 6]),
    ("not (displayName eq 'Python 101')", [2, 3, 4, 5, 6]),
    ("not (displayName ne 'Python 101')", [1]),
    ("displayName eq 'O''Brien\\path'", [5]),
    ("completionPercentage gt 50", [1, 5]),
    ("completionPercentage le 40", [2, 3, 6]),
    ("not (completionPercentage gt 50)", [2, 3, 4, 6]),
    ("completionPercentage in (0, 100)", [1, 3]),
    ("not (completionPercentage in (0, 100))", [2, 4, 5, 6]),
    ("isActive", [1, 3, 6]),
    ("isActive eq false", [2, 5]),
    ("not isActive", [2, 4, 5]),
    ("isActive ne true", [2, 4, 5]),
    ("status eq 'Completed'", [1, 5]),
    ("status gt 'notStarted'", [1, 2, 5, 6]),
    ("status lt 'completed'", [2, 3, 6]),
    ("status ge 'completed'", [1, 5]),
    ("status gt 'unknownFutureValue'", []),
    ("not (status gt 'unknownFutureValue')", [1, 2, 3, 4, 5, 6]),
    ("status in ('completed', 'notStarted')", [1, 3, 5]),
    ("completedDateTime ge 2024-01-01T00:00:00Z", [1, 6]),
    ("completedDateTime lt 2024-03-01T01:00:00+01:00", [5]),
    ("completedDateTime eq null", [2, 3, 4]),
    ("startswith(displayName, 'Python')", [1]),
    ("startswith(displayName, 'python')", [2]),
    ("startswith(displayName, '100%')", [3]),
    ("startswith(displayName, '100_')", []),
    ("startswith(displayName, '')", [1, 2, 3, 5, 6]),
    ("not startswith(displayName, 'Python')", [2, 3, 4, 5, 6]),
    ("endswith(displayName, '101')", [1]),
    ("endswith(displayName, '\\path')", [5]),
    ("endswith(displayName, 'a much longer suffix than any name')", []),
    ("contains(displayName, '%_')", [3]),
    ("contains(displayName, 'ython')", [1, 2]),
    ("contains(displayName, 'YTHON')", []),
    ("contains(displayName, '')", [1, 2, 3, 5, 6]),
    ("isActive and completionPercentage ge 10", [1, 6]),
    ("isActive or status eq 'inProgress'", [1, 2, 3, 6]),
    ("not (isActive or status eq 'inProgress')", [4, 5]),
    ("displayName eq 'x'' OR 1=1 --'", []),
    ("displayName eq 'x''); DROP TABLE activities; --'", []),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    CASES,
    ids=[
        "string-eq",
        "string-eq-is-case-sensitive",
        "ne-includes-null-rows",
        "eq-null",
        "ne-null",
        "not-eq-includes-null-rows",
        "not-ne-excludes-null-rows",
        "quote-and-backslash-in-value",
        "int-gt",
        "int-le",
        "not-gt-includes-null-rows",
        "in-list",
        "not-in-includes-null-rows",
        "bare-bool",
        "bool-eq-false",
        "not-bool-includes-null-rows",
        "bool-ne-true-includes-null-rows",
        "enum-any-case",
        "enum-gt-follows-member-order",
        "enum-lt-follows-member-order",
        "enum-ge",
        "enum-gt-last-member-matches-nothing",
        "not-of-nothing-matches-everything",
        "enum-in",
        "datetime-ge",
        "datetime-offset-converted-to-utc",
        "datetime-eq-null",
        "startswith",
        "startswith-is-case-sensitive",
        "startswith-percent-is-literal",
        "startswith-underscore-is-literal",
        "startswith-empty-matches-non-null",
        "not-startswith-includes-null-rows",
        "endswith",
        "endswith-backslash",
        "endswith-longer-than-value",
        "contains-wildcard-characters-literally",
        "contains",
        "contains-is-case-sensitive",
        "contains-empty-matches-non-null",
        "and",
        "or",
        "not-or",
        "injection-attempt-matches-nothing",
        "drop-table-attempt-matches-nothing",
    ],
)
def test_a_filter_selects_exactly_the_rows_odata_says_it_should(
    db: sqlite3.Connection, text: str, expected: list[int]
) -> None:
    assert matching(db, text) == expected


def test_an_injection_attempt_leaves_the_table_intact(db: sqlite3.Connection) -> None:
    matching(db, "displayName eq 'x''); DROP TABLE activities; --'")
    assert db.execute("SELECT count(*) FROM activities").fetchone() == (len(ROWS),)


def test_values_travel_only_as_parameters() -> None:
    where, params = to_sql(Or((Comparison(NAME, "eq", "x' OR 1=1 --"), InList(STATUS, ("completed",)))))
    assert "x'" not in where
    assert "completed" not in where
    assert params == ["x' OR 1=1 --", "completed"]


def test_booleans_become_zero_and_one() -> None:
    assert to_sql(Not(Comparison(ACTIVE, "eq", True)))[1] == [1]
    assert to_sql(Comparison(ACTIVE, "ne", False))[1] == [0]


def test_startswith_compares_a_prefix_without_like() -> None:
    where, params = to_sql(StringMatch(NAME, "startswith", "ab%"))
    assert "LIKE" not in where
    assert params == [3, "ab%"]


def test_an_unsafe_column_declaration_is_refused() -> None:
    bad = Property("displayName", Kind.STRING, "display_name; DROP TABLE x")
    with pytest.raises(ValueError, match="unsafe column name"):
        to_sql(Comparison(bad, "eq", "x"))


def ordered(db: sqlite3.Connection, orderby: list[OrderBy]) -> list[int]:
    clause = order_by_sql([*orderby, OrderBy(ID, descending=False)])
    return [row[0] for row in db.execute(f"SELECT id FROM activities ORDER BY {clause}")]


ORDERINGS = [
    ([OrderBy(PERCENT, descending=False)], [4, 3, 6, 2, 5, 1]),
    ([OrderBy(PERCENT, descending=True)], [1, 5, 2, 6, 3, 4]),
    ([OrderBy(STATUS, descending=False)], [4, 3, 2, 6, 1, 5]),
    ([OrderBy(STATUS, descending=True), OrderBy(PERCENT, descending=True)], [1, 5, 2, 6, 3, 4]),
    ([OrderBy(COMPLETED, descending=True)], [6, 1, 5, 2, 3, 4]),
]


@pytest.mark.parametrize(
    ("orderby", "expected"),
    ORDERINGS,
    ids=[
        "nulls-first-ascending",
        "nulls-last-descending",
        "enum-by-member-order",
        "several-keys",
        "datetime-descending",
    ],
)
def test_orderby_sorts_rows_as_odata_says(
    db: sqlite3.Connection, orderby: list[OrderBy], expected: list[int]
) -> None:
    assert ordered(db, orderby) == expected


def test_orderby_of_non_nullable_columns_is_plain() -> None:
    assert order_by_sql([OrderBy(ID, descending=True)]) == "id DESC"


def test_orderby_puts_nulls_first_explicitly_so_postgresql_agrees() -> None:
    assert order_by_sql([OrderBy(PERCENT, descending=False)]) == (
        "CASE WHEN completion_percentage IS NULL THEN 0 ELSE 1 END ASC, completion_percentage ASC"
    )


def test_no_orderby_gives_an_empty_clause() -> None:
    assert order_by_sql([]) == ""
