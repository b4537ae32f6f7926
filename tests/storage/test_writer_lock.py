"""SQLite's writers (other processes, other connections) queue on the file's writer lock: a waiter starts as soon
as the lock is free, everyone's writes land, a lock held too long is a 503, a failed write gives it back, and an unlocked write holds it for its statement alone."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from learninggraph.domain.errors import ServiceUnavailable
from learninggraph.storage.database import SqliteDatabase
from learninggraph.storage.writer_lock import lock_path

HOLD_SECONDS = 0.06
WRITES_PER_PROCESS = 150

# One process's share of the writes: each increments the counter in its own write transaction.
WRITER = """
import sys, time
from learninggraph.storage.database import SqliteDatabase
database = SqliteDatabase(sys.argv[1])
longest = 0.0
for _ in range(int(sys.argv[2])):
    started = time.monotonic()
    with database.transaction() as conn:
        longest = max(longest, time.monotonic() - started)
        (value,) = conn.fetch_one("SELECT value FROM counter")
        conn.execute("UPDATE counter SET value = ?", (value + 1,))
database.close()
print(longest)
"""


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    database = SqliteDatabase(url)
    with database.transaction() as conn:
        conn.execute("CREATE TABLE counter (value INTEGER NOT NULL)")
        conn.execute("INSERT INTO counter (value) VALUES (0)")
    database.close()
    yield url


def _counter(url: str) -> int:
    database = SqliteDatabase(url)
    try:
        with database.snapshot() as conn:
            row = conn.fetch_one("SELECT value FROM counter")
    finally:
        database.close()
    assert row is not None
    return int(row[0])


def _lateness_after_a_held_write(url: str) -> float:
    """Seconds between one connection's commit and the start of another's write that waited for it."""
    holder, waiter = SqliteDatabase(url), SqliteDatabase(url)
    holding = threading.Event()
    released = [0.0]

    def hold() -> None:
        with holder.transaction() as conn:
            conn.execute("UPDATE counter SET value = value + 1")
            holding.set()
            time.sleep(HOLD_SECONDS)
        released[0] = time.monotonic()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        holding.wait(5)
        with waiter.transaction() as conn:
            started = time.monotonic()
            conn.execute("UPDATE counter SET value = value + 1")
        thread.join()
    finally:
        holder.close()
        waiter.close()
    return started - released[0]


def test_a_waiting_writer_starts_within_milliseconds_of_the_lock_being_freed(url: str) -> None:
    # SQLite's busy handler would sleep 1, 2, 5, 10, 15, 20, 25 ms: after a 60 ms write it wakes 18 ms late.
    lateness = min(_lateness_after_a_held_write(url) for _ in range(3))

    assert lateness < 0.008
    assert _counter(url) == 6


def test_two_processes_writing_one_file_all_succeed_and_lose_no_write(url: str) -> None:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(WRITES_PER_PROCESS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for _ in range(2)
    ]
    outputs = [writer.communicate(timeout=60) for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0], [err for _, err in outputs]
    assert _counter(url) == 2 * WRITES_PER_PROCESS
    # No write waited anywhere near the busy timeout (5 s): the waiters were let in as the lock came free.
    assert max(float(out) for out, _ in outputs) < 2


def test_a_writer_lock_held_past_the_busy_timeout_is_a_503_and_then_writes_go_through(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SqliteDatabase, "busy_timeout_ms", 300)
    database = SqliteDatabase(url)
    descriptor = os.open(lock_path(url.removeprefix("sqlite:///")), os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable), database.transaction() as conn:
            conn.execute("UPDATE counter SET value = value + 1")
        waited = time.monotonic() - started
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        with database.transaction() as conn:
            conn.execute("UPDATE counter SET value = value + 1")
    finally:
        os.close(descriptor)
        database.close()

    assert 0.3 <= waited < 3
    assert _counter(url) == 1


def test_a_write_that_fails_gives_the_writer_lock_back(url: str) -> None:
    first, second = SqliteDatabase(url), SqliteDatabase(url)
    try:
        with pytest.raises(RuntimeError), first.transaction() as conn:
            conn.execute("UPDATE counter SET value = value + 1")
            raise RuntimeError("the request failed")
        started = time.monotonic()
        with second.transaction() as conn:
            conn.execute("UPDATE counter SET value = value + 10")
        waited = time.monotonic() - started
    finally:
        first.close()
        second.close()

    assert waited < 0.5
    assert _counter(url) == 10


def test_a_group_holds_the_writer_lock_until_it_commits(url: str) -> None:
    database = SqliteDatabase(url)
    descriptor = os.open(lock_path(url.removeprefix("sqlite:///")), os.O_RDWR)
    try:
        with database.grouped():
            with database.transaction() as conn:
                conn.execute("UPDATE counter SET value = value + 1")
            with pytest.raises(BlockingIOError):
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(descriptor)
        database.close()

    assert _counter(url) == 1


def test_a_database_whose_lock_file_cannot_be_made_still_writes(url: str) -> None:
    # A directory where the lock file belongs: opening it for writing fails, as a read-only directory's would.
    lock = Path(lock_path(url.removeprefix("sqlite:///")))
    lock.unlink()
    lock.mkdir()
    database = SqliteDatabase(url)
    try:
        with database.transaction() as conn:
            conn.execute("UPDATE counter SET value = value + 1")
    finally:
        database.close()

    assert _counter(url) == 1


def test_closing_a_database_twice_closes_no_other_file(url: str, tmp_path: Path) -> None:
    database = SqliteDatabase(url)
    database.close()
    other = (tmp_path / "other.txt").open("w")
    try:
        database.close()
        other.write("still open")
        other.flush()
    finally:
        other.close()

    assert (tmp_path / "other.txt").read_text() == "still open"


def test_an_unlocked_write_reads_while_the_writer_lock_is_held_and_takes_it_for_its_write_alone(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SqliteDatabase, "busy_timeout_ms", 300)
    database = SqliteDatabase(url)
    descriptor = os.open(lock_path(url.removeprefix("sqlite:///")), os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        with pytest.raises(ServiceUnavailable), database.unlocked_write() as conn:
            read = conn.fetch_one("SELECT value FROM counter")
            conn.execute("UPDATE counter SET value = value + 1")
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        with database.unlocked_write() as conn:
            conn.execute("UPDATE counter SET value = value + 1")
        # Given back as the write ended: another holder takes it at once.
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(descriptor)
        database.close()

    assert read == (0,)
    assert _counter(url) == 1


def test_an_unlocked_write_inside_a_group_is_committed_with_the_group(url: str) -> None:
    database = SqliteDatabase(url)
    descriptor = os.open(lock_path(url.removeprefix("sqlite:///")), os.O_RDWR)
    try:
        with database.grouped():
            with database.unlocked_write() as conn:
                conn.execute("UPDATE counter SET value = value + 1")
            assert _counter(url) == 0
            with pytest.raises(BlockingIOError):
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(descriptor)
        database.close()

    assert _counter(url) == 1


def test_an_unlocked_write_refuses_several_rows_at_once(url: str) -> None:
    database = SqliteDatabase(url)
    try:
        with pytest.raises(RuntimeError, match="one write"), database.unlocked_write() as conn:
            conn.execute_many("UPDATE counter SET value = value + ?", [(1,), (2,)])
    finally:
        database.close()

    assert _counter(url) == 0
