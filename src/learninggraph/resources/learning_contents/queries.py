"""What other resource folders may ask of learningContents: which provider owns a content.

This module is the folder's public surface; other folders import nothing else from it.
"""

from __future__ import annotations

from learninggraph.resources.learning_contents import repository
from learninggraph.storage.database import Connection


def provider_of(conn: Connection, tenant_id: str, content_id: str) -> str | None:
    """The provider that owns a content of the tenant, or None when there is no such content."""
    return repository.provider_of(conn, tenant_id, content_id)


def provider_of_sql(tenant_column: str, content_column: str) -> str:
    """A scalar subquery: the provider owning the content the two references name (NULL: no such content).

    For reading the owner in another resource's statement, beside its other lookups.
    """
    return repository.provider_of_sql(tenant_column, content_column)
