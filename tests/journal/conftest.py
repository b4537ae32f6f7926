"""The journal's store beside a migrated database of its own, for each journal test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from learninggraph.journal.storage import journal_database_of
from learninggraph.storage.database import Database
from tests.journal.entries import migrated


@pytest.fixture
def journal_database(fresh_database_url: str) -> Iterator[Database]:
    """The journal's store (on SQLite, its own file) beside a migrated database."""
    with migrated(fresh_database_url) as database, journal_database_of(database) as journal:
        yield journal
