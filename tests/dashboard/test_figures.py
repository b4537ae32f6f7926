"""The dashboard's own queries on the session's backend (SQLite, or PostgreSQL in its pass): the organisation's
figures and the learners list, from activities and users made through the API and the directory."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from learninggraph.dashboard import queries
from learninggraph.dashboard.figures import Figures
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
        figures = queries.charts(conn, database.dialect, catalogue.tenant.tenant_id, now=NOW, days=3)

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


def test_one_learners_activities_of_a_provider_page_by_id_with_a_status(
    catalogue: Catalogue, database: Database
) -> None:
    tenant = catalogue.tenant
    other = tenant.new_user(name="Other")
    mine = sorted(catalogue.assignment(status="inProgress")["id"] for _ in range(3))
    catalogue.assignment(status="completed")
    catalogue.assignment(learnerUserId=other.id, status="inProgress")
    args = (database.dialect, tenant.tenant_id, catalogue.provider_id, tenant.learner.id)

    with database.snapshot() as conn:
        first, token = queries.learner_activities_of_provider(
            conn, *args, status="inProgress", external="", page=None, size=2
        )
        second, last = queries.learner_activities_of_provider(
            conn, *args, status="inProgress", external="", page=token, size=2
        )

    assert [record.id for record in first + second] == mine
    assert last is None


def _eventually(
    read: Callable[[], dict[str, Any] | None], done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        figures = read()
        if figures is not None and done(figures):
            return figures
        time.sleep(0.05)
    raise AssertionError("the figures were not computed within 20 s")


def test_figures_are_computed_in_the_background_and_kept_for_a_minute(
    catalogue: Catalogue, database: Database
) -> None:
    clock = [0.0]
    figures = Figures(database, clock=lambda: clock[0])
    tenant_id = catalogue.tenant.tenant_id
    catalogue.assignment()

    assert figures.of(tenant_id) is None
    first = _eventually(lambda: figures.of(tenant_id), lambda f: True)
    catalogue.assignment()
    kept = figures.of(tenant_id)
    clock[0] += 61
    figures.of(tenant_id)
    refreshed = _eventually(lambda: figures.of(tenant_id), lambda f: f["status"] != first["status"])

    assert first["status"] == {"notStarted": 1}
    assert kept == first
    assert refreshed["status"] == {"notStarted": 2}
