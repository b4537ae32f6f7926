"""Fixtures shared by the storage tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade


@pytest.fixture
def migrated(fresh_database_url: str) -> Iterator[Database]:
    """A new database of the backend under test, every migration applied."""
    database = Database(fresh_database_url)
    upgrade(database)
    yield database
    database.close()
