"""All SQL for learningContents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learninggraph.domain.fields import is_storable_id
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_contents.records import CONTENT, OWNER, ContentRecord
from learninggraph.storage.connection import storable
from learninggraph.storage.database import Connection
from learninggraph.storage.listing import Listing
from learninggraph.storage.rows import insert_row, update_row

TABLE = "learning_contents"
_COLUMN_OF = {p.name: p.column for p in LEARNING_CONTENT.properties}


def get(conn: Connection, tenant_id: str, provider_id: str, content_id: str) -> ContentRecord | None:
    """The content; inside a write transaction it stays locked until the transaction ends."""
    if not is_storable_id(content_id):
        return None
    return CONTENT.one(
        conn.fetch_one(
            f"SELECT {CONTENT.columns} FROM {TABLE} WHERE tenant_id = ? AND provider_id = ? AND id = ?",
            (tenant_id, provider_id, content_id),
            lock=True,
        )
    )


def get_by_external_id(
    conn: Connection, tenant_id: str, provider_id: str, external_id: str
) -> ContentRecord | None:
    """The content with that externalId, locked like ``get``.

    In a write transaction the key is claimed even while no such content exists, so two upserts of a
    new externalId run one after the other (the second updates what the first created) on every backend.
    """
    conn.exclusive(f"learning_contents/{tenant_id}/{provider_id}/{external_id}")
    return CONTENT.one(
        conn.fetch_one(
            f"SELECT {CONTENT.columns} FROM {TABLE} WHERE tenant_id = ? AND provider_id = ? AND external_id = ?",
            (tenant_id, provider_id, external_id),
            lock=True,
        )
    )


def nearby_external_ids(
    conn: Connection, tenant_id: str, provider_id: str, external_id: str, *, each_side: int = 2
) -> list[str]:
    """The provider's externalIds sorted just before and after ``external_id`` (two index seeks), to
    explain a key that matched nothing."""
    if not storable(external_id):
        return []
    where = f"FROM {TABLE} WHERE tenant_id = ? AND provider_id = ? AND external_id"
    before = conn.fetch_all(
        f"SELECT external_id {where} < ? ORDER BY external_id DESC LIMIT ?",
        (tenant_id, provider_id, external_id, each_side),
    )
    after = conn.fetch_all(
        f"SELECT external_id {where} > ? ORDER BY external_id LIMIT ?",
        (tenant_id, provider_id, external_id, each_side),
    )
    return [str(row[0]) for row in reversed(before)] + [str(row[0]) for row in after]


def provider_of(conn: Connection, tenant_id: str, content_id: str) -> str | None:
    """The provider that owns a content of the tenant, or None when there is no such content."""
    if not is_storable_id(content_id):
        return None
    owner = OWNER.one(
        conn.fetch_one(
            f"SELECT {OWNER.columns} FROM {TABLE} WHERE tenant_id = ? AND id = ?", (tenant_id, content_id)
        )
    )
    return None if owner is None else owner.provider_id


def provider_of_sql(tenant_column: str, content_column: str) -> str:
    return (
        f"SELECT c.provider_id FROM {TABLE} c WHERE c.tenant_id = {tenant_column} AND c.id = {content_column}"
    )


def listing(tenant_id: str, provider_id: str) -> Listing[ContentRecord]:
    return Listing(TABLE, CONTENT, "tenant_id = ? AND provider_id = ?", (tenant_id, provider_id))


def insert(conn: Connection, tenant_id: str, provider_id: str, values: Mapping[str, Any]) -> None:
    insert_row(
        conn, TABLE, _COLUMN_OF, fixed={"tenant_id": tenant_id, "provider_id": provider_id}, values=values
    )


def update(conn: Connection, tenant_id: str, content_id: str, values: Mapping[str, Any]) -> None:
    update_row(conn, TABLE, _COLUMN_OF, tenant_id=tenant_id, row_id=content_id, values=values)


def delete(conn: Connection, tenant_id: str, content_id: str) -> None:
    """Deletes the content; course activities about it go with it (foreign-key cascade)."""
    conn.execute(f"DELETE FROM {TABLE} WHERE tenant_id = ? AND id = ?", (tenant_id, content_id))
