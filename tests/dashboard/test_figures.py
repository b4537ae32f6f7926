"""The dashboard's own queries on the session's backend (SQLite, or PostgreSQL in its pass): the organisation's
figures and the learners list, from activities and users made through the API and the directory."""

from __future__ import annotations

from datetime import UTC, datetime

from learninggraph.dashboard import queries
from learninggraph.storage.database import Database
from tests.builders import Catalogue

NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_the_figures_count_statuses_completion_overdue_and_todays_creations(
    catalogue: Catalogue, database: Database
) -> None:
    catalogue.assignment(dueDateTime={"dateTime": "2020-01-01T00:00:00", "timeZone": "UTC"})
    catalogue.assignment(dueDateTime={"dateTime": "2999-01-01T00:00:00", "timeZone": "UTC"})
    catalogue.assignment(status="completed", completedDateTime=f"{NOW}Z")
    catalogue.self_initiated()

    with database.snapshot() as conn:
        figures = queries.charts(conn, catalogue.tenant.tenant_id, now=NOW, days=3)

    assert figures["status"] == {"notStarted": 2, "completed": 1, "inProgress": 1}
    assert [(p["total"], p["completed"], p["rate"]) for p in figures["providers"]] == [(4, 1, 25.0)]
    assert figures["overdue"] == 1
    assert (figures["perDay"]["created"][-1], figures["perDay"]["completed"][-1]) == (4, 1)


def test_learners_page_by_user_name_with_a_prefix_search(catalogue: Catalogue, database: Database) -> None:
    tenant = catalogue.tenant
    names = sorted(tenant.new_user(name=f"Zed {n}").user_principal_name for n in range(3))

    with database.snapshot() as conn:
        first, token = queries.learners(conn, tenant.tenant_id, "zed", None, 2)
        assert token is not None
        second, last = queries.learners(conn, tenant.tenant_id, "zed", token, 2)

    assert [u.user_principal_name for u in first + second] == names
    assert last is None
