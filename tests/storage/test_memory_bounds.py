"""The ceilings that keep a SQLite worker's memory level: SQLite's process-wide heap limit and the page caches."""

from __future__ import annotations

import ctypes
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from learninggraph.journal import storage as journal_storage
from learninggraph.storage import database as sqlite_database
from learninggraph.storage.database import CACHE_KIB, HEAP_LIMIT_KIB, Database


def sqlite_library() -> ctypes.CDLL:
    """The libsqlite3 Python's ``sqlite3`` module runs on (all its connections' memory is counted there)."""
    import _sqlite3

    maps = Path("/proc/self/maps").read_text().splitlines()
    # Linked as a shared library, or else built into the ``_sqlite3`` extension itself.
    library = next((line.split()[-1] for line in maps if "libsqlite3" in line), _sqlite3.__file__)
    return ctypes.CDLL(library)


def sqlite_memory_used() -> int:
    used = sqlite_library().sqlite3_memory_used
    used.restype = ctypes.c_int64
    return int(used())


def sqlite_memory_peak_since_last_asked() -> int:
    """SQLite's high-water mark of memory in use, reset by asking."""
    highwater = sqlite_library().sqlite3_memory_highwater
    highwater.restype = ctypes.c_int64
    highwater.argtypes = [ctypes.c_int]
    return int(highwater(1))


def test_opening_a_sqlite_database_caps_all_of_sqlite_s_memory_in_the_process(tmp_path: Path) -> None:
    # The limit is the process's, not the connection's: clear it as before any opening.
    sqlite3.connect(":memory:").execute("PRAGMA soft_heap_limit=0").close()
    database = Database(f"sqlite:///{tmp_path}/fresh.db")
    try:
        with database.read() as conn:
            row = conn.fetch_one("PRAGMA soft_heap_limit")
    finally:
        database.close()

    assert row is not None and row[0] == HEAP_LIMIT_KIB * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds libsqlite3 in /proc/self/maps")
def test_reading_a_large_table_grows_the_page_cache_no_further_than_the_heap_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/large.db"
    database = Database(url)
    with database.transaction() as conn:
        conn.execute("CREATE TABLE blobs (body BLOB)")
        conn.execute_many("INSERT INTO blobs VALUES (?)", [(os.urandom(1000),) for _ in range(16_000)])
    database.close()
    # A limit far below the 16 MB table and the connection's own 32 MiB cache.
    monkeypatch.setattr(sqlite_database, "HEAP_LIMIT_KIB", 2048)
    database = Database(url)
    try:
        before = sqlite_memory_used()
        with database.read() as conn:
            conn.fetch_one("SELECT sum(length(body)) FROM blobs")
        grown = sqlite_memory_used() - before
    finally:
        database.close()
        sqlite3.connect(":memory:").execute(f"PRAGMA soft_heap_limit={HEAP_LIMIT_KIB * 1024}").close()

    assert grown < 3 * 1024 * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds libsqlite3 in /proc/self/maps")
def test_a_sort_larger_than_the_cache_spills_to_a_file_instead_of_growing_memory(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/sorted.db")
    try:
        with database.transaction() as conn:
            conn.execute("CREATE TABLE keys (k TEXT)")
            conn.execute_many("INSERT INTO keys VALUES (?)", [(os.urandom(8).hex(),) for _ in range(4000)])
        with database.read() as conn:
            conn.fetch_all("SELECT count(*) FROM keys")
        before = sqlite_memory_used()
        sqlite_memory_peak_since_last_asked()
        # A deep page of an ordered listing: the sort keeps OFFSET rows, here 4000 rows of 4 KB (16 MB).
        with database.read() as conn:
            rows = conn.fetch_all("SELECT k, zeroblob(4000) FROM keys ORDER BY k LIMIT 1 OFFSET 3990")
        grown = sqlite_memory_peak_since_last_asked() - before
    finally:
        database.close()

    assert len(rows) == 1
    assert grown < 6 * 1024 * 1024


def test_the_heap_limit_leaves_room_for_the_data_and_journal_page_caches_together() -> None:
    assert HEAP_LIMIT_KIB >= CACHE_KIB + journal_storage.CACHE_KIB + 4096
