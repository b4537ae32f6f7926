"""The writer lock of a SQLite file: one lock file beside the database that every process writing to it takes
before its write transaction, so writers queue on the lock rather than in SQLite's busy handler.

SQLite lets one connection write at a time; a second writer meets ``SQLITE_BUSY`` and its busy handler sleeps
1, 2, 5, 10, 15, 20 ... ms between attempts, so with several worker processes a write that found the lock
taken sleeps long after it was freed (the writes themselves take a fraction of a millisecond), and on SQLite the
handlers run on the event loop, which sleeps with it. Here a waiter asks again after 20 µs, doubling up to 1 ms,
so it gets the lock within about a tenth of its wait once it is free, bounded by the busy timeout (then the
request is a 503, as a busy database's is). ``flock`` locks belong to the open file, so two connections of one
process exclude each other as two processes do, and the kernel releases the lock of a process that dies. The
database's own files are made owner-only here too (``private_file``).
"""

from __future__ import annotations

import fcntl
import os
import time

# The database holds the token signing keys and secret digests, and another user who could take the lock file
# could stall writes: the database's files and the lock file are all owner-only.
OWNER_ONLY = 0o600
LOCK_FILE_MODE = OWNER_ONLY
# A waiter's first pause and the longest one (seconds).
FIRST_PAUSE = 0.00002
LONGEST_PAUSE = 0.001
# Read once: every write transaction takes and gives back the lock, and a module's attributes are looked up.
_flock = fcntl.flock
_TAKE_NOW = fcntl.LOCK_EX | fcntl.LOCK_NB
_GIVE_BACK = fcntl.LOCK_UN


def private_file(path: str) -> None:
    """Creates the database file owner-only before SQLite opens it; tightens an existing one.

    SQLite gives the ``-wal`` and ``-shm`` files it creates the database file's permissions.
    """
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, OWNER_ONLY)
    except FileExistsError:
        pass
    else:
        os.close(descriptor)
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, OWNER_ONLY)
        except OSError:  # absent, or another user's file: nothing to tighten here
            continue


def lock_path(database_path: str) -> str:
    return f"{database_path}-writer.lock"


class WriterLock:
    """An exclusive ``flock`` on ``{database}-writer.lock``, held from before BEGIN IMMEDIATE to after COMMIT."""

    __slots__ = ("_descriptor", "path")

    def __init__(self, database_path: str) -> None:
        self.path = lock_path(database_path)
        self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, LOCK_FILE_MODE)
        try:
            if os.fstat(self._descriptor).st_mode & 0o077:
                os.fchmod(self._descriptor, LOCK_FILE_MODE)
        except OSError:  # another user's file: nothing to tighten here
            pass

    def acquire(self, timeout: float) -> bool:
        """Takes the lock, waiting at most ``timeout`` seconds; False if it stayed taken that long."""
        descriptor = self._descriptor
        try:
            _flock(descriptor, _TAKE_NOW)
            return True
        except BlockingIOError:
            pass
        deadline = time.monotonic() + timeout
        pause = FIRST_PAUSE
        while True:
            time.sleep(pause)
            try:
                _flock(descriptor, _TAKE_NOW)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
            pause = min(pause * 2, LONGEST_PAUSE)

    def release(self) -> None:
        _flock(self._descriptor, _GIVE_BACK)

    def close(self) -> None:
        os.close(self._descriptor)
