"""Progress bars for the migrations an upgrade applies to an existing database: shown on a terminal only."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from learninggraph.progress import MigrationBars, upgrade_showing_progress
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import MIGRATIONS, Migration, render, upgrade

_LATEST = MIGRATIONS[-1]


def _database_before_the_latest_migration(url: str) -> None:
    """A database with every migration but the latest applied, as an older release would have left it."""
    database = Database(url)
    try:
        with database.transaction() as conn:
            conn.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            for migration in MIGRATIONS[:-1]:
                for statement in migration.statements:
                    rendered = render(statement, database.dialect)
                    if rendered is not None:
                        conn.execute(rendered)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).isoformat()),
                )
    finally:
        database.close()


def _upgrade_with_bars(url: str, bars: MigrationBars) -> list[int]:
    database = Database(url)
    try:
        return upgrade(database, on_step=bars)
    finally:
        bars.close()
        database.close()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_upgrade_tells_its_listener_each_step_of_each_migration_it_applies(
    new_database_url: Callable[[], str],
) -> None:
    url = new_database_url()
    _database_before_the_latest_migration(url)
    told: list[tuple[int, int]] = []

    def listen(migration: Migration, steps: int) -> None:
        told.append((migration.version, steps))

    database = Database(url)
    try:
        assert upgrade(database, on_step=listen) == [_LATEST.version]
    finally:
        database.close()
    assert told == [(_LATEST.version, steps) for steps in range(len(_LATEST.statements) + 1)]


def test_a_migration_applied_to_an_existing_database_shows_its_steps_on_a_terminal(
    new_database_url: Callable[[], str],
) -> None:
    url = new_database_url()
    _database_before_the_latest_migration(url)
    terminal = _Terminal()
    _upgrade_with_bars(url, MigrationBars(file=terminal))
    shown = terminal.getvalue()
    total = len(_LATEST.statements)
    assert f"migration {_LATEST.version} ({_LATEST.name})" in shown
    assert f"{total}/{total}" in shown and ("steps/s" in shown or "s/ steps" in shown)


def test_migration_bars_are_silent_when_standard_error_is_not_a_terminal(
    new_database_url: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = new_database_url()
    _database_before_the_latest_migration(url)
    database = Database(url)
    try:
        assert upgrade_showing_progress(database) == [_LATEST.version]
    finally:
        database.close()
    assert capsys.readouterr().err == ""


def test_creating_a_new_database_shows_no_migration_bar_even_on_a_terminal(
    new_database_url: Callable[[], str],
) -> None:
    terminal = _Terminal()
    applied = _upgrade_with_bars(new_database_url(), MigrationBars(file=terminal))
    assert applied == [migration.version for migration in MIGRATIONS]
    assert terminal.getvalue() == ""


def test_a_command_on_an_older_database_shows_the_migration_bar_on_a_real_terminal(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    url = new_database_url()
    _database_before_the_latest_migration(url)
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    try:
        command = [
            sys.executable,
            "-m",
            "learninggraph",
            "export",
            "--database",
            url,
            "--output",
            str(tmp_path / "out.jsonl"),
        ]
        subprocess.run(command, stderr=secondary, stdout=subprocess.DEVNULL, check=True)
        shown = os.read(primary, 65536).decode()
    finally:
        os.close(primary)
        os.close(secondary)
    assert f"migration {_LATEST.version}" in shown and " steps" in shown
