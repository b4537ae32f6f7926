"""All SQL for learningProviders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learninggraph.domain.fields import is_storable_id
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.learning_providers.records import PROVIDER, SYNC, ProviderRecord
from learninggraph.storage.database import Connection
from learninggraph.storage.listing import Listing
from learninggraph.storage.rows import insert_row, update_row

TABLE = "learning_providers"
_COLUMN_OF = {p.name: p.column for p in LEARNING_PROVIDER.properties}


def get(conn: Connection, tenant_id: str, provider_id: str) -> ProviderRecord | None:
    """The provider; inside a write transaction it stays locked until the transaction ends."""
    if not is_storable_id(provider_id):
        return None
    return PROVIDER.one(
        conn.fetch_one(
            f"SELECT {PROVIDER.columns} FROM {TABLE} WHERE tenant_id = ? AND id = ?",
            (tenant_id, provider_id),
            lock=True,
        )
    )


def sync_state(conn: Connection, tenant_id: str, provider_id: str) -> bool | None:
    """The provider's isCourseActivitySyncEnabled, or None when there is no such provider."""
    if not is_storable_id(provider_id):
        return None
    found = SYNC.one(
        conn.fetch_one(
            f"SELECT {SYNC.columns} FROM {TABLE} WHERE tenant_id = ? AND id = ?", (tenant_id, provider_id)
        )
    )
    return None if found is None else found.is_course_activity_sync_enabled


def sync_state_sql(tenant_column: str, provider_column: str) -> str:
    return (
        f"SELECT p.is_course_activity_sync_enabled FROM {TABLE} p"
        f" WHERE p.tenant_id = {tenant_column} AND p.id = {provider_column}"
    )


def listing(tenant_id: str) -> Listing[ProviderRecord]:
    return Listing(TABLE, PROVIDER, "tenant_id = ?", (tenant_id,))


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
