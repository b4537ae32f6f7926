"""All SQL for learningProviders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learninggraph.domain.fields import is_storable_id
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.storage.database import Connection, Row
from learninggraph.storage.listing import Listing
from learninggraph.storage.rows import insert_row, update_row

TABLE = "learning_providers"
COLUMNS = ", ".join(p.column for p in LEARNING_PROVIDER.properties)
_COLUMN_OF = {p.name: p.column for p in LEARNING_PROVIDER.properties}


def get(conn: Connection, tenant_id: str, provider_id: str) -> Row | None:
    """The provider; inside a write transaction it stays locked until the transaction ends."""
    if not is_storable_id(provider_id):
        return None
    return conn.fetch_one(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE tenant_id = ? AND id = ?", (tenant_id, provider_id), lock=True
    )


def is_sync_enabled(conn: Connection, tenant_id: str, provider_id: str) -> bool | None:
    """The provider's isCourseActivitySyncEnabled, or None when there is no such provider."""
    if not is_storable_id(provider_id):
        return None
    row = conn.fetch_one(
        f"SELECT is_course_activity_sync_enabled FROM {TABLE} WHERE tenant_id = ? AND id = ?",
        (tenant_id, provider_id),
    )
    return None if row is None else bool(row[0])


def listing(tenant_id: str) -> Listing:
    return Listing(TABLE, COLUMNS, "tenant_id = ?", (tenant_id,))


def insert(conn: Connection, tenant_id: str, values: Mapping[str, Any], created_at: str) -> None:
    insert_row(
        conn, TABLE, _COLUMN_OF, fixed={"tenant_id": tenant_id, "created_at": created_at}, values=values
    )


def update(conn: Connection, tenant_id: str, provider_id: str, values: Mapping[str, Any]) -> None:
    update_row(conn, TABLE, _COLUMN_OF, tenant_id=tenant_id, row_id=provider_id, values=values)


def delete(conn: Connection, tenant_id: str, provider_id: str) -> bool:
    """Deletes the provider; its contents and course activities go with it (foreign-key cascade)."""
    if not is_storable_id(provider_id):
        return False
    return conn.execute(f"DELETE FROM {TABLE} WHERE tenant_id = ? AND id = ?", (tenant_id, provider_id)) > 0
