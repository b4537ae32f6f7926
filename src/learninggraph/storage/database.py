"""Database connections and the one-transaction-per-request rule, on SQLite (here) or PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from learninggraph.domain.errors import Conflict
from learninggraph.storage.connection import (
    RETRY_AFTER_SECONDS,
    Connection,
    Database,
    DatabaseUrl,
    Params,
    Row,
    UniqueViolation,
    unavailable,
)
from learninggraph.storage.writer_lock import WriterLock, private_file

__all__ = [
    "RETRY_AFTER_SECONDS",
    "Connection",
    "Database",
    "DatabaseUrl",
    "Params",
    "Row",
    "SqliteDatabase",
    "UniqueViolation",
    "unavailable",
]


def _postgres() -> type[Database]:
    from learninggraph.storage.postgres import PostgresDatabase

    return PostgresDatabase


# The connection's page cache (KiB). Pages it misses come from the operating system's file cache in a few
# microseconds; past a few tens of MiB a larger cache mostly grows the worker's memory with the data set.
CACHE_KIB = 32_768
# A ceiling on all of SQLite's memory in the process (KiB): every connection's page cache (the data's and the
# journal's), prepared statements, schemas and in-memory sorts together. Near it, page caches reuse their least
# recently used pages instead of growing, so the worker's SQLite memory levels at this figure whatever the
# database's size or the number of connections. Soft: SQLite never fails an allocation because of it. The
# default leaves room for the two caches (CACHE_KIB and the journal's 8 MiB) and their statements.
HEAP_LIMIT_KIB = 49_152
# The write-ahead log's pages before a commit checkpoints them into the database file (SQLite's default: 1,000).
# A bulk write changes the same pages (each learner's and each content's last index leaf, the indexes' inner
# pages) commit after commit: a checkpoint copies each page once however often it changed, and syncs the log
# and the file, so checkpointing a tenth as often copies fewer pages per row and waits on the disk less. The
# log file stays at up to this many pages (40 MiB), reused from its start after each checkpoint.
CHECKPOINT_PAGES = 10_000


class SqliteConnection(Connection):
    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def fetch_one(self, sql: str, params: Params = (), *, lock: bool = False) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    def fetch_all(self, sql: str, params: Params = (), *, lock: bool = False) -> list[Row]:
        rows: list[Row] = self._run(sql, params).fetchall()
        return rows

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._run(sql, params).rowcount

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        try:
            self._raw.executemany(sql, rows)
        except sqlite3.OperationalError as exc:
            raise unavailable(exc) from exc

    def exclusive(self, name: str) -> None:
        pass

    def _run(self, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return self._raw.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            raise Conflict("The request conflicts with the stored data.") from exc
        except sqlite3.OperationalError as exc:
            raise unavailable(exc) from exc


def _writer_lock(path: str) -> WriterLock | None:
    """The file's writer lock; None where its lock file cannot be made (writers then wait in SQLite's busy handler)."""
    try:
        return WriterLock(path)
    except OSError:
        return None


class SqliteDatabase(Database):
    """One SQLite connection per process, used from the event loop thread only.

    Write transactions (and groups) take the file's ``WriterLock`` before BEGIN IMMEDIATE and give it back after
    COMMIT or ROLLBACK, so the writers of several processes (workers, the journal's writer) queue on it and a
    waiter starts as soon as the lock is free, not when SQLite's busy handler next wakes up.
    """

    dialect = "sqlite"
    # How long a writer waits for another process's write lock before the request is a 503.
    busy_timeout_ms = 5000

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = DatabaseUrl.parse(url).path
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            private_file(self.path)
        self._raw = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        self._lock = threading.RLock()
        # The connection every write and snapshot block hands out: it holds nothing but the raw connection,
        # so one serves every block (no object made per request).
        self._connection = SqliteConnection(self._raw)
        self._autocommit = _AutocommitWrites(self)
        self._grouping = False
        self._writer = None if self.path == ":memory:" else _writer_lock(self.path)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}",
            f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA cache_size=-{CACHE_KIB}",
            # A sort larger than its cache (a deep page of an ordered listing keeps OFFSET rows) goes on to a
            # temporary file: in memory its size would follow the offset, without any bound.
            "PRAGMA temp_store=FILE",
            # Process-wide (each opening sets the same figure again): see HEAP_LIMIT_KIB.
            f"PRAGMA soft_heap_limit={HEAP_LIMIT_KIB * 1024}",
        ):
            self._raw.execute(pragma)

    def transaction(self) -> AbstractContextManager[Connection]:
        """Taken at once (BEGIN IMMEDIATE), so two writers never deadlock on upgrade; inside a group, a
        savepoint of the group's transaction."""
        # A plain class rather than a generator: every write request opens one, so its cost counts.
        return _SqliteWrite(self)

    def single_write(self) -> AbstractContextManager[Connection]:
        """Inside a group, no savepoint: SQLite undoes a failed statement (a constraint it breaks) on its own,
        so the block's one write either happened whole or not at all. Should the block raise after its write
        all the same, the group's transaction is rolled back, so the group fails whole (see ``grouped``)."""
        return _SqliteWrite(self, single=True)

    def unlocked_write(self) -> AbstractContextManager[Connection]:
        """Each statement in SQLite's autocommit mode: the reads lock nothing, and the one write (the block's
        last statement) takes the writer lock for itself alone and commits as it ends, durable as a COMMIT's.
        No BEGIN IMMEDIATE and COMMIT, and the writer lock is not held over the reads and the checks. Inside a
        group, the group's transaction, as ``single_write``."""
        return _SqliteWrite(self, single=True, unlocked=True)

    def snapshot(self) -> AbstractContextManager[Connection]:
        # A plain class rather than a generator: every read request opens one, so its cost counts.
        return _SqliteSnapshot(self)

    def read(self) -> AbstractContextManager[Connection]:
        # In autocommit mode SQLite runs a lone SELECT in a read transaction of its own: the state it sees is
        # as consistent as a snapshot's, without the BEGIN and COMMIT statements around it.
        return _SqliteSnapshot(self, single=True)

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """One write transaction (one commit) for the block; each transaction inside is a savepoint.

        The whole block holds the write lock, as each of its transactions would in turn.
        """
        with self._lock:
            if self._grouping:
                yield
                return
            self._begin_write()
            try:
                self._grouping = True
                try:
                    yield
                except BaseException:
                    if self._raw.in_transaction:
                        self._raw.execute("ROLLBACK")
                    raise
                finally:
                    self._grouping = False
                self._require_group()
                self._commit()
            finally:
                self._end_write()

    def _begin_write(self) -> None:
        """The writer lock, then BEGIN IMMEDIATE; a 503 if either stays taken past the busy timeout."""
        self._take_writer()
        try:
            self._raw.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            self._end_write()
            if isinstance(exc, sqlite3.OperationalError):
                raise unavailable(exc) from exc
            raise

    def _take_writer(self) -> None:
        """The writer lock (where there is one); a 503 if it stays taken past the busy timeout."""
        writer = self._writer
        if writer is not None and not writer.acquire(self.busy_timeout_ms * 0.001):
            raise unavailable(f"another process held the writer lock {writer.path} too long")

    def _end_write(self) -> None:
        if self._writer is not None:
            self._writer.release()

    def _require_group(self) -> None:
        """SQLite ends the whole transaction on some errors (a full disk, say): then the group is lost."""
        if not self._raw.in_transaction:
            raise unavailable("the transaction of the request was ended by the database")

    def _commit(self) -> None:
        try:
            self._raw.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._raw.in_transaction:
                self._raw.execute("ROLLBACK")
            raise unavailable(exc) from exc

    def close(self) -> None:
        with self._lock:
            self._raw.close()
            # Closing twice closes the lock file once: its descriptor number may belong to another file by then.
            if self._writer is not None:
                self._writer.close()
                self._writer = None


class _SqliteWrite:
    """A write transaction holding the connection's lock: the writer lock and BEGIN IMMEDIATE, then COMMIT (or
    ROLLBACK when the block raises) and the writer lock given back; inside a group, a savepoint of it, or for
    a ``single`` write (``SqliteDatabase.single_write``) the group's transaction alone."""

    __slots__ = ("_changes", "_database", "_savepoint", "_single", "_unlocked")

    def __init__(self, database: SqliteDatabase, *, single: bool = False, unlocked: bool = False) -> None:
        self._database = database
        self._savepoint = False
        self._single = single
        # ``unlocked`` (``SqliteDatabase.unlocked_write``): outside a group, no transaction at all.
        self._unlocked = unlocked
        # In a group without a savepoint: the connection's count of changed rows when the block began.
        self._changes = -1

    def __enter__(self) -> Connection:
        database = self._database
        database._lock.acquire()
        try:
            if database._grouping:
                database._require_group()
                self._unlocked = False
                if self._single:
                    self._changes = database._raw.total_changes
                else:
                    database._raw.execute("SAVEPOINT unit")
                    self._savepoint = True
            elif self._unlocked:
                return database._autocommit
            else:
                database._begin_write()
        except BaseException:
            database._lock.release()
            raise
        return database._connection

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        database = self._database
        raw = database._raw
        try:
            if self._unlocked:
                return  # each statement committed (or undid itself) as it ended
            if self._changes >= 0:
                # A block that raised after its write cannot be undone alone: the group is, whole.
                if exc_type is not None:
                    if raw.total_changes != self._changes and raw.in_transaction:
                        raw.execute("ROLLBACK")
                    return
                database._require_group()
                return
            if self._savepoint:
                if exc_type is not None:
                    if raw.in_transaction:
                        raw.execute("ROLLBACK TO unit")
                        raw.execute("RELEASE unit")
                    return
                database._require_group()
                raw.execute("RELEASE unit")
                return
            try:
                if exc_type is None:
                    database._commit()
                # SQLite may have rolled back already: a full disk while spilling the cache undoes it all.
                elif raw.in_transaction:
                    raw.execute("ROLLBACK")
            finally:
                writer = database._writer
                if writer is not None:
                    writer.release()
        finally:
            database._lock.release()


class _AutocommitWrites(SqliteConnection):
    """A connection for ``unlocked_write()``: every statement in autocommit mode; a write holds the writer lock
    while it runs, so writers of several processes still queue on it rather than in SQLite's busy handler."""

    __slots__ = ("_database",)

    def __init__(self, database: SqliteDatabase) -> None:
        super().__init__(database._raw)
        self._database = database

    def execute(self, sql: str, params: Params = ()) -> int:
        database = self._database
        database._take_writer()
        try:
            return self._run(sql, params).rowcount
        finally:
            database._end_write()

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        # Autocommit would commit each row on its own: a block of several writes needs ``single_write()``.
        raise RuntimeError("Database.unlocked_write() runs one write; use single_write() for several.")


class _OneStatement(SqliteConnection):
    """A connection for ``read()``: its first statement runs in SQLite's autocommit mode, a second raises."""

    __slots__ = ("_used",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        super().__init__(raw)
        self._used = False

    def _run(self, sql: str, params: Params) -> sqlite3.Cursor:
        if self._used:
            raise RuntimeError("Database.read() runs one statement; use snapshot() for more.")
        self._used = True
        return super()._run(sql, params)


class _SqliteSnapshot:
    """A read transaction (BEGIN ... COMMIT) holding the connection's lock; inside a group, the group's.

    ``single``: the block runs one statement, in autocommit mode (no BEGIN, no COMMIT).
    """

    __slots__ = ("_began", "_database", "_single")

    def __init__(self, database: SqliteDatabase, *, single: bool = False) -> None:
        self._database = database
        self._began = False
        self._single = single

    def __enter__(self) -> Connection:
        database = self._database
        database._lock.acquire()
        try:
            if database._grouping:
                # Inside a group the outer transaction already gives one consistent view.
                database._require_group()
            elif self._single:
                return _OneStatement(database._raw)
            else:
                database._raw.execute("BEGIN")
                self._began = True
        except BaseException as exc:
            database._lock.release()
            if isinstance(exc, sqlite3.OperationalError):
                raise unavailable(exc) from exc
            raise
        return database._connection

    def __exit__(self, *exc_info: object) -> None:
        database = self._database
        try:
            if self._began and database._raw.in_transaction:
                database._raw.execute("COMMIT")
        finally:
            database._lock.release()


Database.backends.update(sqlite=lambda: SqliteDatabase, postgresql=_postgres)
