"""The SQLite database holds the signing keys: its file and its WAL and shared-memory files are owner-only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from learninggraph.identity.keys import SigningKeys
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask, under which files are created world-readable (0644)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_and_shm_files_are_created_0600(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "learninggraph.db"
    database = Database(f"sqlite:///{path}")
    try:
        upgrade(database)
        SigningKeys.load_or_create(database)
        modes = {name: _mode(tmp_path / name) for name in (path.name, f"{path.name}-wal", f"{path.name}-shm")}
    finally:
        database.close()

    assert modes == {path.name: 0o600, f"{path.name}-wal": 0o600, f"{path.name}-shm": 0o600}


def test_a_world_readable_database_from_an_older_version_is_tightened_on_open(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)

    Database(f"sqlite:///{path}").close()

    assert _mode(path) == 0o600


def test_the_writer_lock_beside_a_new_database_is_created_0600(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "learninggraph.db"

    Database(f"sqlite:///{path}").close()

    assert _mode(tmp_path / "learninggraph.db-writer.lock") == 0o600


def test_a_world_writable_writer_lock_is_tightened_on_open(tmp_path: Path, permissive_umask: None) -> None:
    lock = tmp_path / "old.db-writer.lock"
    lock.touch(mode=0o666)
    lock.chmod(0o666)

    Database(f"sqlite:///{tmp_path / 'old.db'}").close()

    assert _mode(lock) == 0o600
