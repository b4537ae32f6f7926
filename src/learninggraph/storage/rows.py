"""INSERT and UPDATE statements built from an entity's property → column map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learninggraph.storage.database import Connection


def insert_row(
    conn: Connection,
    table: str,
    column_of: Mapping[str, str],
    *,
    fixed: Mapping[str, Any],
    values: Mapping[str, Any],
) -> None:
    """Inserts ``fixed`` (by column) and ``values`` (by property name) as one row."""
    names = [*fixed, *(column_of[name] for name in values)]
    conn.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        (*fixed.values(), *values.values()),
    )


def update_row(
    conn: Connection,
    table: str,
    column_of: Mapping[str, str],
    *,
    tenant_id: str,
    row_id: str,
    values: Mapping[str, Any],
) -> None:
    """Sets ``values`` (by property name) on one row of a tenant; nothing to set is no statement."""
    if not values:
        return
    assignments = ", ".join(f"{column_of[name]} = ?" for name in values)
    conn.execute(
        f"UPDATE {table} SET {assignments} WHERE tenant_id = ? AND id = ?",
        (*values.values(), tenant_id, row_id),
    )
