"""Progress bars on standard error for the long operations: export, import, schema upgrades and the
benchmark's data-set loader. Counts, rate and time left (tqdm); nothing at all when standard error is not a
terminal, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO, Any

from tqdm import tqdm

from learninggraph.storage.database import Database
from learninggraph.storage.migrations import MIGRATIONS, Migration, upgrade


def progress(
    total: int | None,
    description: str,
    *,
    unit: str = " rows",
    shown: bool | None = None,
    file: IO[str] | None = None,
) -> tqdm[Any]:
    """A bar with counts, rate and time left; ``shown`` None: only when standard error is a terminal."""
    out = sys.stderr if file is None else file
    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        # Thousands of rows read as 1.2M; a migration's few steps as whole numbers.
        unit_scale=unit == " rows",
        file=out,
        disable=not out.isatty() if shown is None else not shown,
        dynamic_ncols=True,
    )


class MigrationBars:
    """Listens to ``upgrade``: one bar per migration applied to an existing database, counting its statements.

    A migration can be long only on a database that already holds rows (adding a column with a default,
    building an index, rewriting or backfilling a table); on a new database every table is empty, so an
    upgrade that starts from the first migration shows nothing.
    """

    def __init__(self, *, shown: bool | None = None, file: IO[str] | None = None) -> None:
        self._shown = shown
        self._file = file
        self._new_database: bool | None = None
        self._bar: tqdm[Any] | None = None

    def __call__(self, migration: Migration, done: int) -> None:
        if self._new_database is None:
            self._new_database = migration.version == 1
        if self._new_database:
            return
        if done == 0:
            self.close()
            self._bar = progress(
                len(migration.statements),
                f"migration {migration.version} ({migration.name})",
                unit=" steps",
                shown=self._shown,
                file=self._file,
            )
            return
        if self._bar is not None:
            self._bar.update(1)
            if done == len(migration.statements):
                self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def upgrade_showing_progress(database: Database, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """``upgrade`` with a bar for each migration it applies to an existing database (on a terminal)."""
    bars = MigrationBars()
    try:
        return upgrade(database, migrations, on_step=bars)
    finally:
        bars.close()


def upgrade_at_showing_progress(url: str, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """``upgrade_showing_progress`` through a connection of its own to the database at ``url``."""
    database = Database(url)
    try:
        return upgrade_showing_progress(database, migrations)
    finally:
        database.close()
