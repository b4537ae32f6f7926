"""What other resource folders may ask of learningProviders: whether a provider exists and syncs activities.

This module is the folder's public surface; other folders import nothing else from it.
"""

from __future__ import annotations

from learninggraph.resources.learning_providers import repository
from learninggraph.resources.learning_providers.errors import sync_not_enabled, unknown_registration_id
from learninggraph.storage.database import Connection


def sync_state(conn: Connection, tenant_id: str, provider_id: str) -> bool | None:
    """The provider's isCourseActivitySyncEnabled, or None when the tenant has no such provider."""
    return repository.sync_state(conn, tenant_id, provider_id)


def sync_state_sql(tenant_column: str, provider_column: str) -> str:
    """A scalar subquery: the sync flag of the provider the two column references name (NULL: none).

    For reading the flag in another resource's SELECT list, in the same statement as its row; in the
    select list, not in FROM, it reads the provider without locking its row.
    """
    return repository.sync_state_sql(tenant_column, provider_column)


def require_registered(conn: Connection, tenant_id: str, provider_id: str) -> None:
    """Raises the documented 400 when the tenant has no provider with that registrationId."""
    if sync_state(conn, tenant_id, provider_id) is None:
        raise unknown_registration_id(provider_id)


def require_sync_enabled(state: int | None, provider_id: str) -> None:
    """Raises the documented 400s for a provider's sync state as read (a flag, or 1/0 as stored): none (None),
    or turned off."""
    if state is None:
        raise unknown_registration_id(provider_id)
    if not state:
        raise sync_not_enabled(provider_id)
