"""All SQL for learningCourseActivities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from learninggraph.domain.fields import is_storable_id
from learninggraph.resources.learning_course_activities.entity import LEARNING_COURSE_ACTIVITY
from learninggraph.storage.database import Connection, Row
from learninggraph.storage.listing import Listing
from learninggraph.storage.rows import insert_row, update_row

TABLE = "learning_course_activities"
# Rows are (odata_type, *properties of the union in order).
COLUMNS = "odata_type, " + ", ".join(p.column for p in LEARNING_COURSE_ACTIVITY.properties)
_COLUMN_OF = {p.name: p.column for p in LEARNING_COURSE_ACTIVITY.properties}
_POSITION = {p.name: i + 1 for i, p in enumerate(LEARNING_COURSE_ACTIVITY.properties)}


# With ``context=True`` a row carries two more columns, read in the same statement: its provider's
# isCourseActivitySyncEnabled and its learner's licence (None when the learner is gone). Being in the
# select list, not in FROM, they are read without locking the provider's or the learner's row.
_CONTEXT = (
    ", (SELECT p.is_course_activity_sync_enabled FROM learning_providers p"
    " WHERE p.tenant_id = a.tenant_id AND p.id = a.provider_id)"
    ", (SELECT u.has_learning_license FROM users u WHERE u.tenant_id = a.tenant_id AND u.id = a.learner_user_id)"
)
PROVIDER_ENABLED = -2
LEARNER_LICENSED = -1


def value_of(row: Row, name: str) -> Any:
    return row[_POSITION[name]]


def get(conn: Connection, tenant_id: str, activity_id: str, *, context: bool = False) -> Row | None:
    """The activity; inside a write transaction it stays locked until the transaction ends."""
    if not is_storable_id(activity_id):
        return None
    return conn.fetch_one(
        f"SELECT {COLUMNS}{_CONTEXT if context else ''} FROM {TABLE} a WHERE tenant_id = ? AND id = ?",
        (tenant_id, activity_id),
        lock=True,
    )


def find_by_external_id(
    conn: Connection, tenant_id: str, external_id: str, *, provider_id: str | None, context: bool = False
) -> list[Row]:
    """The activities with that externalcourseActivityId, locked like ``get``."""
    columns = f"{COLUMNS}{_CONTEXT if context else ''}"
    if provider_id is not None:
        return conn.fetch_all(
            f"SELECT {columns} FROM {TABLE} a WHERE tenant_id = ? AND provider_id = ? AND external_id = ?",
            (tenant_id, provider_id, external_id),
            lock=True,
        )
    return conn.fetch_all(
        f"SELECT {columns} FROM {TABLE} a WHERE tenant_id = ? AND external_id = ? LIMIT 2",
        (tenant_id, external_id),
        lock=True,
    )


def listing(
    tenant_id: str,
    *,
    provider_id: str | None,
    learner_id: str | None,
    types: Sequence[str],
) -> Listing:
    scope = ["tenant_id = ?"]
    params: list[Any] = [tenant_id]
    if provider_id is not None:
        scope.append("provider_id = ?")
        params.append(provider_id)
    if learner_id is not None:
        scope.append("learner_user_id = ?")
        params.append(learner_id)
    if len(types) == 1:
        scope.append("odata_type = ?")
        params.append(types[0])
    return Listing(TABLE, COLUMNS, " AND ".join(scope), params)


def insert(conn: Connection, tenant_id: str, odata_type: str, values: Mapping[str, Any]) -> None:
    insert_row(
        conn, TABLE, _COLUMN_OF, fixed={"tenant_id": tenant_id, "odata_type": odata_type}, values=values
    )


def update(conn: Connection, tenant_id: str, activity_id: str, values: Mapping[str, Any]) -> None:
    update_row(conn, TABLE, _COLUMN_OF, tenant_id=tenant_id, row_id=activity_id, values=values)


def delete(conn: Connection, tenant_id: str, activity_id: str) -> None:
    conn.execute(f"DELETE FROM {TABLE} WHERE tenant_id = ? AND id = ?", (tenant_id, activity_id))
