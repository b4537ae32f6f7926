"""A list page's statement on PostgreSQL is planned once for all its executions, not anew at each."""

from __future__ import annotations

import pytest

from learninggraph.odata.options import QueryOptions
from learninggraph.resources.learning_course_activities.records import ACTIVITY
from learninggraph.storage.database import Database
from learninggraph.storage.listing import Listing, fetch_rows

pytestmark = pytest.mark.postgresql

# More executions than psycopg waits before preparing a statement (5) and PostgreSQL before it weighs a
# generic plan against the plans made for each execution's values (5).
EXECUTIONS = 12


def _plans(database: Database, options: QueryOptions) -> tuple[int, int]:
    """The generic and the custom plans PostgreSQL made for a learner's page, run ``EXECUTIONS`` times on one
    connection (a group holds one for the thread)."""
    listing = Listing(
        "learning_course_activities", ACTIVITY, "tenant_id = ? AND learner_user_id = ?", ["t", "u"]
    )
    with database.grouped():
        for _ in range(EXECUTIONS):
            with database.read() as conn:
                fetch_rows(conn, listing, options, page_size=50)
        with database.read() as conn:
            row = conn.fetch_one(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%FROM learning_course_activities WHERE tenant_id%'"
            )
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_first_page_is_planned_once_for_every_execution(migrated: Database) -> None:
    generic, custom = _plans(migrated, QueryOptions())

    assert generic > 0
    assert custom <= 5  # the executions before the generic plan was weighed


def test_a_page_with_top_is_planned_once_for_every_execution(migrated: Database) -> None:
    generic, custom = _plans(migrated, QueryOptions(top=10))

    assert generic > 0
    assert custom <= 5
