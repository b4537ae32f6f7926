"""A SQLite import into a new file runs in rollback-journal mode and leaves the file in WAL, as the server keeps it."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from learninggraph.transfer.load import import_file
from learninggraph.transfer.writers import write_transaction
from tests.transfer.world import export_file, populate


def _journal_mode(path: Path) -> str:
    raw = sqlite3.connect(path)
    try:
        return str(raw.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        raw.close()


def _an_export(tmp_path: Path) -> Path:
    populate(f"sqlite:///{tmp_path / 'source.db'}")
    export_file(f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "out.jsonl")
    return tmp_path / "out.jsonl"


def test_a_new_sqlite_file_is_loaded_in_rollback_journal_mode_and_left_in_wal(tmp_path: Path) -> None:
    target = tmp_path / "target.db"
    url = f"sqlite:///{target}"
    with write_transaction(url), sqlite3.connect(target, timeout=0) as other:
        # Inside the import the file is in rollback-journal mode (a reader sees the mode, not the rows).
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert _journal_mode(target) == "wal"


def test_an_import_beside_another_open_connection_stays_in_wal_and_does_not_wait(tmp_path: Path) -> None:
    export = _an_export(tmp_path)
    target = tmp_path / "target.db"
    url = f"sqlite:///{target}"
    database = Database(url)
    try:
        upgrade(database)
        with database.snapshot() as conn:
            assert conn.fetch_one("SELECT COUNT(*) FROM tenants") == (0,)
        started = time.monotonic()
        with export.open("rb") as source:
            assert import_file(url, source)["courseActivity"] == 4
        assert time.monotonic() - started < 4.0
        with database.snapshot() as conn:
            assert conn.fetch_one("SELECT COUNT(*) FROM learning_course_activities") == (4,)
    finally:
        database.close()
    assert _journal_mode(target) == "wal"


def test_an_import_into_a_file_that_holds_records_stays_in_wal(tmp_path: Path) -> None:
    target = tmp_path / "target.db"
    url = f"sqlite:///{target}"
    populate(url)
    with write_transaction(url), sqlite3.connect(target, timeout=0) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
