"""The table the notes live in, created by the resource's own migration.

Its version stays clear of the numbered sequence of ``storage.migrations``: a database that once served the
example keeps the row of this migration, and a release's next migration never meets it.
"""

from __future__ import annotations

from learninggraph.storage.migrations import Migration

MIGRATION = Migration(
    1001,
    "example resource: learning notes",
    (
        """CREATE TABLE example_learning_notes (
            tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (tenant_id, id))""",
    ),
)
