"""Which database a command opens: only ``serve`` and ``tenants create`` may create a SQLite file.

Every other command reads, or changes what must already exist (a tenant, an app, a user), so a missing file
is a mistake in ``--database`` or the working directory: it is an error that names the path, and nothing is
created.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from learninggraph.progress import upgrade_showing_progress
from learninggraph.storage.database import Database, DatabaseUrl

MEMORY = ":memory:"


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names, if it does not exist; None for PostgreSQL and existing files."""
    parsed = DatabaseUrl.parse(url)
    if parsed.scheme != "sqlite" or parsed.path == MEMORY:
        return None
    path = Path(parsed.path)
    return None if path.exists() else path


def open_database(args: argparse.Namespace) -> Database | None:
    """The migrated database of the command's ``--database``; None for commands that use none."""
    if not getattr(args, "uses_database", True):
        return None
    if not getattr(args, "creates_database", False):
        missing = missing_sqlite_file(args.database)
        if missing is not None:
            raise ValueError(
                f"no database at {missing.resolve()} (give --database, or run 'learninggraph serve' or "
                "'learninggraph tenants create' to create one)"
            )
    database = Database(args.database)
    upgrade_showing_progress(database)
    return database
