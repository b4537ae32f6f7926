"""Where an import's rows go: one writer per backend, each inside the import's single write transaction.

Into a table that is empty when its first record arrives, each writer defers the work a bulk load can do
once at the end instead of once per row, all inside the same transaction, so a refused import rolls it back
with everything else: SQLite builds its secondary indexes after the rows are in and checks foreign keys once
(``PRAGMA foreign_key_check``) instead of per row; PostgreSQL also builds its primary keys and unique
constraints (on tables no foreign key refers to) and checks its foreign keys once, at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol

from learninggraph.progress import upgrade_at_showing_progress
from learninggraph.storage.database import DatabaseUrl
from learninggraph.transfer.records import KIND_BY_NAME, Kind, TransferError, Value

_KIND_BY_TABLE = {kind.table: kind for kind in KIND_BY_NAME.values()}


class Writer(Protocol):
    def begin_kind(self, kind: Kind) -> None: ...

    def finish(self) -> None: ...

    def insert(self, kind: Kind, columns: tuple[str, ...], rows: list[tuple[Value, ...]]) -> None: ...

    def refused(self, rows: list[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
        """After ``insert`` raised: the rows of the batch that may be the one it refused, for ``existing`` to
        look up. Rows of the batch still in are earlier records of the file, so a clash with one of them is
        a clash with a record earlier in the file."""
        ...

    def existing(self, kind: Kind, keys: list[tuple[Value, ...]]) -> tuple[Value, ...] | None: ...

    def holds_any(self, kind: Kind) -> bool: ...


def _refused(kind: Kind, reason: str) -> TransferError:
    return TransferError(f"a {kind.name} record was refused by the database ({reason}): nothing was imported")


# The SQLite import's page cache (KiB) and, while its indexes are built, the sorter's run size and helper threads.
_CACHE_KIB = 256 << 10
_SORT_RUN_KIB = 16 << 10
_SORT_THREADS = 2


class _SqliteWriter:
    """Foreign keys are off for the import's connection (set before its transaction) and checked for every
    table it wrote to before it commits; into an empty table, the secondary indexes are dropped first and
    built again at the end (one sort per index instead of a B-tree insert per row)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw
        self._dropped: list[str] = []
        self._written: list[Kind] = []
        self._changes = 0

    def begin_kind(self, kind: Kind) -> None:
        self._written.append(kind)
        if self.holds_any(kind):
            return
        indexes = self._raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (kind.table,),
        ).fetchall()
        for name, sql in indexes:
            self._raw.execute(f'DROP INDEX "{name}"')
            self._dropped.append(sql)

    def finish(self) -> None:
        if self._dropped:
            # SQLite's sorter sorts in helper threads only the runs it writes out, and a run is as large as
            # the page cache: with a small cache while the indexes are built, the sorting of each index is
            # shared with two helper threads and the importing thread only reads the table and merges.
            self._raw.execute(f"PRAGMA threads={_SORT_THREADS}")
            self._raw.execute(f"PRAGMA cache_size=-{_SORT_RUN_KIB}")
            for sql in self._dropped:
                self._raw.execute(sql)
            self._raw.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            self._raw.execute("PRAGMA threads=0")
        self._dropped = []
        for kind in self._written:
            broken = self._raw.execute(f"PRAGMA foreign_key_check({kind.table})").fetchone()
            if broken is not None:
                raise _refused(kind, f"FOREIGN KEY constraint failed: no {broken[2]} row it refers to")

    def insert(self, kind: Kind, columns: tuple[str, ...], rows: list[tuple[Value, ...]]) -> None:
        # No savepoint around the batch: each row is a statement of its own, which SQLite undoes alone when
        # it is refused, so the rows inserted before it are counted (``refused``) instead of rolled back
        # (a savepoint copies every page it changes that existed before it, the two key indexes' included).
        marks = ", ".join("?" * len(columns))
        self._changes = self._raw.total_changes
        self._raw.executemany(f"INSERT INTO {kind.table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def refused(self, rows: list[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
        refused = self._raw.total_changes - self._changes
        return rows[refused : refused + 1]

    def holds_any(self, kind: Kind) -> bool:
        return self._raw.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone() is not None

    def existing(self, kind: Kind, keys: list[tuple[Value, ...]]) -> tuple[Value, ...] | None:
        where = " AND ".join(f"{column} = ?" for column in kind.key)
        for key in keys:
            if self._raw.execute(f"SELECT 1 FROM {kind.table} WHERE {where}", key).fetchone():
                return key
        return None


# The table's indexes that no constraint owns.
_PLAIN_INDEXES = (
    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
    "WHERE x.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
)
_FOREIGN_KEYS = "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'"
# Primary keys and unique constraints of a table no foreign key refers to (dropping a referred-to key would
# take the other table's foreign key with it).
_UNIQUE_KEYS = (
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
    "AND contype IN ('p', 'u') AND NOT EXISTS "
    "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = %s::regclass) ORDER BY contype, conname"
)


class _PostgresWriter:
    """Into an empty table, its keys and plain indexes are built and its foreign keys checked once, after its
    rows are in (one sort per index, one join per foreign key, instead of work per row)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        # (kind, statement) run at the end, in this order: keys, plain indexes, statistics, foreign keys.
        self._keys: list[tuple[Kind, str]] = []
        self._indexes: list[tuple[Kind, str]] = []
        self._foreign_keys: list[tuple[Kind, str]] = []
        # The tables that were empty: analysed once loaded.
        self._loaded: list[Kind] = []

    def begin_kind(self, kind: Kind) -> None:
        if self.holds_any(kind):
            return
        self._loaded.append(kind)
        table = kind.table
        for name, definition in self._raw.execute(_UNIQUE_KEYS, (table, table)).fetchall():
            self._raw.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            self._keys.append((kind, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        for name, definition in self._raw.execute(_PLAIN_INDEXES, (table,)).fetchall():
            self._raw.execute(f'DROP INDEX "{name}"')
            self._indexes.append((kind, definition))
        for name, definition in self._raw.execute(_FOREIGN_KEYS, (table,)).fetchall():
            self._raw.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            self._foreign_keys.append((kind, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))

    def finish(self) -> None:
        import psycopg

        # Statistics of the tables loaded, before their foreign keys are checked: without them the check's
        # join is planned for an empty table (two sorts and a merge, three times the hash join's time).
        statements = [
            *self._keys,
            *self._indexes,
            *[(kind, f"ANALYZE {kind.table}") for kind in self._loaded],
            *self._foreign_keys,
        ]
        for kind, statement in statements:
            try:
                self._raw.execute(statement)
            except psycopg.errors.UniqueViolation as exc:
                detail = (exc.diag.message_detail or "").removesuffix(".")
                raise TransferError(
                    f"a {kind.name} record appears twice in the file ({detail}): nothing was imported"
                ) from None
            except psycopg.Error as exc:
                raise _refused(kind, str(exc).strip().splitlines()[0]) from None
        self._keys, self._indexes, self._foreign_keys, self._loaded = [], [], [], []

    def insert(self, kind: Kind, columns: tuple[str, ...], rows: list[tuple[Value, ...]]) -> None:
        # A savepoint per batch: a refused ``COPY`` leaves the transaction aborted, and its clash is looked up
        # after the savepoint is rolled back to.
        self._raw.execute("SAVEPOINT batch")
        with (
            self._raw.cursor() as cursor,
            cursor.copy(f"COPY {kind.table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            write = copy.write_row
            for row in rows:
                write(row)
        self._raw.execute("RELEASE SAVEPOINT batch")

    def refused(self, rows: list[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
        self._raw.execute("ROLLBACK TO SAVEPOINT batch")
        return rows

    def holds_any(self, kind: Kind) -> bool:
        return self._raw.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone() is not None

    def existing(self, kind: Kind, keys: list[tuple[Value, ...]]) -> tuple[Value, ...] | None:
        where = " AND ".join(f"{column} = %s" for column in kind.key)
        for key in keys:
            if self._raw.execute(f"SELECT 1 FROM {kind.table} WHERE {where}", key).fetchone():
                return tuple(key)
        return None


@contextmanager
def write_transaction(url: str) -> Iterator[tuple[Writer, type[Exception]]]:
    """One write transaction at ``url`` (migrated first); yields the writer and its driver's error class."""
    upgrade_at_showing_progress(url)
    if DatabaseUrl.parse(url).scheme == "sqlite":
        with _sqlite_transaction(DatabaseUrl.parse(url).path) as writer:
            yield writer, sqlite3.Error
        return
    import psycopg

    from learninggraph.storage.postgres import connection_string

    with psycopg.connect(connection_string(url), autocommit=False) as conn:
        conn.execute("SET LOCAL statement_timeout = 0")
        # Room to sort each deferred key and index of a million rows in memory rather than in temporary files
        # (this transaction only; the check of each deferred foreign key takes it as its work_mem too).
        conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
        try:
            yield _PostgresWriter(conn), psycopg.Error
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


# Maps None to None in C (a bound ``dict.get`` of an empty dict): no Python frame per value.
_NULL: dict[None, None] = {}


@contextmanager
def _sqlite_transaction(path: str) -> Iterator[_SqliteWriter]:
    # Python's sqlite3 binds None through its adapter lookup, which fails slowly (an AttributeError raised
    # and dropped per value, half the insert time of a row with five nulls); a registered adapter is found at
    # once. It gives None back unchanged, so every connection of the process binds NULL exactly as before.
    sqlite3.register_adapter(type(None), _NULL.get)
    # No wait while trying the journal mode (another connection keeps it as it is); 5 s for the lock after.
    raw = sqlite3.connect(path, isolation_level=None, timeout=0)
    journal_switched = False
    # SQLite's process-wide memory ceiling (a server's ``HEAP_LIMIT_KIB``, set by every opening of a database in
    # this process, the upgrade's before the import included) would hold the page cache below it and spill the
    # rows to the file as they are inserted: lifted for the import, set back after.
    heap_limit = raw.execute("PRAGMA soft_heap_limit").fetchone()[0]
    raw.execute("PRAGMA soft_heap_limit=0")
    try:
        # Checked once at the end instead (``finish``); this pragma cannot change inside a transaction.
        raw.execute("PRAGMA foreign_keys=OFF")
        journal_switched = _rollback_journal_if_new(raw)
        raw.execute("PRAGMA busy_timeout=5000")
        # Up to 256 MB of pages held (grown only as pages are used): the key indexes' pages stay in memory
        # for their inserts while the table's filled pages are written out as the cache fills. At a million
        # activities (about 900 MB of pages) the importing thread's CPU time was the same as with 1 GiB held
        # to the commit, or lower, for a quarter of the memory.
        raw.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransferError(f"the database is busy ({exc}): nothing was imported") from None
        try:
            yield _SqliteWriter(raw)
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
    finally:
        if journal_switched:
            _back_to_wal(raw)
        raw.execute(f"PRAGMA soft_heap_limit={int(heap_limit)}")
        raw.close()


def _rollback_journal_if_new(raw: sqlite3.Connection) -> bool:
    """Into a database that holds no records yet, the import runs in rollback-journal mode: pages past the
    file's size at the start need no journal, so the rows are written once, where WAL writes them to the log
    and copies them again at the checkpoint. Just as durable (the journal and ``synchronous=FULL`` make the
    commit atomic; a crash leaves a hot journal the next opening rolls back). Only when no other connection
    has the file open (the mode cannot change then): otherwise the import stays in WAL."""
    for kind in KIND_BY_NAME.values():
        if raw.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone() is not None:
            return False
    try:
        mode = raw.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError:
        return False
    return mode is not None and str(mode[0]).lower() == "delete"


def _back_to_wal(raw: sqlite3.Connection) -> None:
    """WAL again, as the server keeps it (a server that opened the file meanwhile sets it itself)."""
    with suppress(sqlite3.OperationalError):
        raw.execute("PRAGMA journal_mode=WAL")
