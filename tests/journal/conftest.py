"""A migrated database of its own for each journal test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from learninggraph.storage.database import Database
from tests.journal.entries import migrated


@pytest.fixture
def journal_database(fresh_database_url: str) -> Iterator[Database]:
    with migrated(fresh_database_url) as database:
        yield database
