"""A list sent to PostgreSQL as one array parameter (``Array``) arrives whole, in binary form."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg.adapt import PyFormat
from psycopg.types.array import ListBinaryDumper

from learninggraph.storage.connection import Array
from learninggraph.storage.database import Database

pytestmark = pytest.mark.postgresql

# What text escaping would have to get right: quotes, backslashes, braces, commas, spaces, the word NULL, JSON
# with an escaped NUL, text beyond ASCII, nothing at all.
AWKWARD_TEXTS = [
    'say "hi"',
    "a\\b",
    "{1,2}",
    "a, b",
    " padded ",
    "NULL",
    '{"body":"\\u0000 and \\"quoted\\""}',
    "Grüße ✓ 学习",
    "",
]


def test_texts_sent_as_an_array_arrive_as_they_were_sent(migrated: Database) -> None:
    with migrated.read() as conn:
        rows = conn.fetch_all("SELECT * FROM unnest(?::text[]) WITH ORDINALITY", [Array(AWKWARD_TEXTS)])

    assert [row[0] for row in sorted(rows, key=lambda row: row[1])] == AWKWARD_TEXTS


def test_numbers_and_missing_values_sent_as_arrays_arrive_beside_each_other(migrated: Database) -> None:
    with migrated.read() as conn:
        rows = conn.fetch_all(
            "SELECT * FROM unnest(?::bigint[], ?::text[])",
            [Array([1, 2**40, None]), Array(["one", None, "three"])],
        )

    assert rows == [(1, "one"), (2**40, None), (None, "three")]


def test_an_empty_array_holds_no_row(migrated: Database) -> None:
    with migrated.read() as conn:
        rows = conn.fetch_all("SELECT * FROM unnest(?::bigint[])", [Array()])

    assert rows == []


def test_an_array_is_sent_in_binary_form_with_no_element_escaped(migrated: Database) -> None:
    with migrated.read() as conn:
        raw: Any = conn._raw  # type: ignore[attr-defined]
        dumper = raw.adapters.get_dumper(Array, PyFormat.AUTO)
        conn.fetch_one("SELECT 1")

    assert dumper is ListBinaryDumper
